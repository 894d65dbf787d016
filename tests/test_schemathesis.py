"""Bounded schemathesis runs over the checked-in OpenAPI document against the in-process app, on
SQLite and on PostgreSQL: no 5xx and every response as documented (status, content type,
schema), for schema-valid data, for data that breaks the schema (each refused with a 4xx), and
for sequences of calls that feed one response into the next request (the stateful phase).
Every operation that declares security also refuses a request without it."""

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar import Litestar
from schemathesis import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import select

from api.app import create_app
from api.content.loader import load_course
from api.content.publish import publish
from api.db import create_engine, create_sessions
from api.migrate import upgrade
from api.models import ApiKey
from api.plugin import load_plugins
from api.settings import Settings
from tests.conftest import CONTENT_DIR, UNLIMITED, Tenant, fresh_postgres_database, make_tenant

OPENAPI = Path(__file__).parent.parent / "openapi" / "openapi.json"
schema = schemathesis.openapi.from_path(OPENAPI)


def _has_input(ctx: Any) -> bool:
    """Whether an operation takes anything whose schema a value can break: a body, or a parameter
    other than a free-text one in the path (any string fits those)."""
    raw = ctx.operation.definition.raw
    breakable = [
        p
        for p in raw.get("parameters", [])
        if not (p["in"] == "path" and p.get("schema") == {"type": "string"})
    ]
    return bool(breakable or raw.get("requestBody"))


negative = schemathesis.openapi.from_path(OPENAPI).include(func=_has_input)
negative.config.generation.update(modes=[GenerationMode.NEGATIVE])
# A body too long for its schema may be too long for the service too: 413 refuses it as well.
negative.config.checks.negative_data_rejection.expected_statuses.append("413")

Fuzzed = tuple[Tenant, Litestar, Any, str]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzzed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """A migrated database with one district, the app over it, and a client with one lifespan
    for the whole run."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz')}/fuzz.db"
        else:
            url = stack.enter_context(fresh_postgres_database("fuzz"))

        async def prepare() -> tuple[Tenant, str]:
            engine = create_engine(url)
            await upgrade(engine, load_plugins().values())
            sessions = create_sessions(engine)
            await publish(sessions, load_course(CONTENT_DIR))
            tenant = await make_tenant(sessions, "fuzz")
            async with sessions() as session:
                key_id = (await session.execute(select(ApiKey.id))).scalar_one()
            await engine.dispose()
            return tenant, str(key_id)

        tenant, key_id = asyncio.run(prepare())
        settings = Settings(
            database_url=url,
            migrate_on_start=False,
            publish_on_start=False,
            log_level="ERROR",
            rate_limit_public=UNLIMITED,  # hundreds of cases hit the public routes within a minute
        )
        app = create_app(settings)
        client = stack.enter_context(asgi.get_client(app))
        yield tenant, app, client, key_id


def _call(case: schemathesis.Case, fuzzed: Fuzzed) -> None:
    tenant, app, client, _ = fuzzed
    # The document declares security, so schemathesis also probes each operation without the
    # credential and with a wrong one (its ignored_auth check); the probes reach the app in
    # process only when the schema knows the app. A case that tests a missing or wrong
    # credential is sent as generated, without the district's key.
    case.operation.schema.app = case.operation.app = app
    negated = case.operation.schema.is_security_param_negated(case)
    case.call_and_validate(
        session=client,
        headers={} if negated else tenant.headers,
        base_url="http://localhost",
        # Rules beyond the schema (a URL that resolves to an internal address, no attempts
        # left) rightly refuse some schema-valid requests with a documented 422.
        excluded_checks=[positive_data_acceptance],
    )


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_documentation(case: schemathesis.Case, fuzzed: Fuzzed) -> None:
    _call(case, fuzzed)


@negative.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_data_that_breaks_the_schema_is_refused_as_documented(
    case: schemathesis.Case, fuzzed: Fuzzed
) -> None:
    # schemathesis's negative_data_rejection check (on by default) fails a 2xx to such data.
    _call(case, fuzzed)


def test_sequences_of_calls_stay_as_documented(fuzzed: Fuzzed) -> None:
    """The stateful phase: responses' ids feed later requests (keys made then read or revoked,
    attempts started then saved and submitted, ...). The district's own key is never revoked: the
    run would go on without a credential."""
    tenant, app, client, key_id = fuzzed
    machine = schema.as_state_machine()
    statuses: list[int] = []

    class Calls(machine):  # type: ignore[valid-type,misc]
        def before_call(self, case: schemathesis.Case) -> None:
            case.operation.schema.app = case.operation.app = app
            if case.method == "DELETE" and str(case.path_parameters.get("key_id")) == key_id:
                case.path_parameters["key_id"] = "00000000-0000-4000-8000-000000000000"

        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            statuses.append(response.status_code)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"session": client, "headers": tenant.headers, "base_url": "http://localhost"}

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            case.validate_response(response, excluded_checks=[positive_data_acceptance])

    Calls.run(
        settings=settings(
            max_examples=10, stateful_step_count=6, deadline=None, suppress_health_check=list(HealthCheck)
        )
    )
    # The sequences ran, and some calls built on an earlier response succeeded.
    assert len(statuses) > 10 and any(200 <= status < 300 for status in statuses)
