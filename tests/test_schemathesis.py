"""A bounded schemathesis run over the checked-in OpenAPI document against the in-process app:
no 5xx, every response matches its documented status, content type and schema, and every
operation that declares security refuses a request without it."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar import Litestar
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from api.content.loader import load_course
from api.content.publish import publish
from api.db import create_engine, create_sessions
from api.migrate import upgrade
from api.plugin import load_plugins
from api.settings import Settings
from tests.conftest import CONTENT_DIR, UNLIMITED, Tenant, make_tenant

OPENAPI = Path(__file__).parent.parent / "openapi" / "openapi.json"
schema = schemathesis.openapi.from_path(OPENAPI)


@pytest.fixture(scope="module")
def tenant_and_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Tenant, Litestar]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz')}/fuzz.db"

    async def prepare() -> Tenant:
        engine = create_engine(url)
        await upgrade(engine, load_plugins().values())
        await publish(create_sessions(engine), load_course(CONTENT_DIR))
        tenant = await make_tenant(create_sessions(engine), "fuzz")
        await engine.dispose()
        return tenant

    tenant = asyncio.run(prepare())
    settings = Settings(
        database_url=url,
        migrate_on_start=False,
        publish_on_start=False,
        log_level="ERROR",
        rate_limit_public=UNLIMITED,  # hundreds of cases hit the public routes within a minute
    )
    return tenant, create_app(settings)


@pytest.fixture(scope="module")
def asgi_client(tenant_and_app: tuple[Tenant, Litestar]) -> Iterator[object]:
    with asgi.get_client(tenant_and_app[1]) as client:  # one lifespan for the whole run
        yield client


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_documentation(
    case: schemathesis.Case, asgi_client: object, tenant_and_app: tuple[Tenant, Litestar]
) -> None:
    # The document declares security, so schemathesis also probes each operation without the
    # credential and with a wrong one (its ignored_auth check); the probes reach the app in
    # process only when the schema knows the app. A case that tests a missing or wrong
    # credential is sent as generated, without the district's key.
    case.operation.schema.app = case.operation.app = tenant_and_app[1]
    negated = case.operation.schema.is_security_param_negated(case)
    case.call_and_validate(
        session=asgi_client,
        headers={} if negated else tenant_and_app[0].headers,
        base_url="http://localhost",
        # Rules beyond the schema (a URL that resolves to an internal address, no attempts
        # left) rightly refuse some schema-valid requests with a documented 422.
        excluded_checks=[positive_data_acceptance],
    )
