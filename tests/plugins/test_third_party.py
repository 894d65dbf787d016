"""A third-party plugin (tests/plugin_example, installed by the test command) loads from the
entry-point group like the built-ins, is configured per district with its secret kept sealed,
and receives the completion a learner records."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from frontoffice_example.models import ExampleReceipt
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import inspect, select

from api.app import create_app
from api.cli import main
from api.db import Sessions, create_engine
from api.migrate import current_revisions, missing_heads
from api.models import Delivery, OutboxEvent, PluginSetting
from api.outbox.dispatcher import Dispatcher
from api.plugin import Delivery as PluginDelivery
from api.plugin import PluginError, load_plugins
from api.runtime import open_runtime
from api.settings import Settings
from schemas.events import typed
from tests.conftest import Tenant, fresh_postgres_database
from tests.progress.test_progress_api import facilitator_forms, learner_headers, submit_form

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]
SECRET_KEY = "plugin-tests-secret-key-of-at-least-32-bytes"


@pytest.fixture
async def plugin_client(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(msgspec.structs.replace(settings, secret_key=SECRET_KEY))
    async with AsyncTestClient(app=app) as client:
        yield client


def test_plugins_load_from_the_entry_point_group() -> None:
    assert {"webhooks", "example"} <= set(load_plugins())
    assert list(load_plugins(["webhooks"])) == ["webhooks"]  # FRONTOFFICE_PLUGINS restricts
    with pytest.raises(PluginError, match="not installed"):
        load_plugins(["no-such-plugin"])


async def test_a_third_party_plugin_receives_completions(
    plugin_client: Client,
    sessions: Sessions,
    district_a: Tenant,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox = tmp_path / "inbox.jsonl"
    body = {"enabled": True, "config": {"inbox": str(inbox), "token": "s3cret-token"}}
    response = await plugin_client.put("/api/v1/plugins/example", json=body, headers=district_a.headers)
    assert response.status_code == 200 and response.json()["config"]["token"] == "********"
    listed = (await plugin_client.get("/api/v1/plugins", headers=district_a.headers)).text
    assert "s3cret-token" not in listed
    async with sessions() as session:
        stored = (await session.execute(select(PluginSetting))).scalar_one()
    assert "s3cret-token" not in json.dumps(stored.config)

    headers = await learner_headers(plugin_client, district_a)
    forms = await facilitator_forms(plugin_client, district_a)
    for form_id in ("customer-worksheet", "knowledge-check", "reflection"):
        result = await submit_form(plugin_client, headers, forms[form_id])
    completion = result["completion"]

    delivering = msgspec.structs.replace(settings, secret_key=SECRET_KEY, outbound_allowlist=["127.0.0.1"])
    async with open_runtime(delivering, load_plugins()) as runtime:
        dispatcher = Dispatcher(runtime.context(), runtime.plugins)
        for _ in range(3):
            await dispatcher.run_once()
        # A retry of a delivery whose answer was lost: the plugin's own table says it is done.
        async with sessions() as session:
            row = (await session.execute(select(Delivery).where(Delivery.plugin == "example"))).scalar_one()
            receipts = (await session.execute(select(ExampleReceipt))).scalars().all()
            outbox_row = await session.get(OutboxEvent, row.event_id)
        assert [r.delivery_id for r in receipts] == [row.id] and outbox_row is not None
        event = typed(outbox_row.type, outbox_row.id, outbox_row.created_at, outbox_row.payload)
        retried = PluginDelivery(
            id=row.id, district_id=row.district_id, subscriber=row.subscriber, attempt=2, event=event
        )
        outcome = await runtime.plugins["example"].deliver(runtime.context(), retried)
        assert outcome.result == "success"
    [line] = [json.loads(text) for text in inbox.read_text().splitlines()]
    assert line["event"]["type"] == "completion.recorded"
    assert line["event"]["data"]["completion_id"] == completion["id"]
    assert line["token_seen"] == "s3cret-token"  # the plugin, and only it, sees the secret

    # A secret may also name an environment variable; the API shows the reference, not the value.
    monkeypatch.setenv("EXAMPLE_TOKEN", "from-the-environment")
    body = {"enabled": True, "config": {"inbox": str(inbox), "token": "env:EXAMPLE_TOKEN"}}
    response = await plugin_client.put("/api/v1/plugins/example", json=body, headers=district_a.headers)
    assert response.json()["config"]["token"] == "env:EXAMPLE_TOKEN"


async def test_bad_plugin_settings_are_refused(plugin_client: Client, district_a: Tenant) -> None:
    bad = {"enabled": True, "config": {"inbox": "/tmp/x", "token": "t", "surprise": 1}}
    response = await plugin_client.put("/api/v1/plugins/example", json=bad, headers=district_a.headers)
    assert response.status_code == 422 and "surprise" in response.json()["detail"]
    missing = await plugin_client.put("/api/v1/plugins/nope", json={"config": {}}, headers=district_a.headers)
    assert missing.status_code == 404


async def test_restricted_plugins_are_not_loaded(settings: Settings, district_a: Tenant) -> None:
    app = create_app(msgspec.structs.replace(settings, secret_key=SECRET_KEY, plugins=["webhooks"]))
    async with AsyncTestClient(app=app) as client:
        names = [p["name"] for p in (await client.get("/api/v1/plugins", headers=district_a.headers)).json()]
        assert names == ["webhooks"]
        response = await client.put(
            "/api/v1/plugins/example", json={"config": {}}, headers=district_a.headers
        )
        assert response.status_code == 404


def test_a_plugin_adds_its_commands_to_the_cli() -> None:
    from click.testing import CliRunner

    from api.cli import main

    result = CliRunner().invoke(main, ["example", "hello"])
    assert result.exit_code == 0 and "hello from the example plugin" in result.output
    assert "example" in CliRunner().invoke(main, ["--help"]).output


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_frontoffice_migrate_makes_a_plugins_own_tables(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example plugin's table comes from its own migrations folder, on its own branch."""
    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path}/plugin.db"
        else:
            url = stack.enter_context(fresh_postgres_database("plugin_migrate"))
        monkeypatch.setenv("FRONTOFFICE_DATABASE_URL", url)
        result = CliRunner().invoke(main, ["migrate"])
        assert result.exit_code == 0, result.output

        async def state() -> tuple[set[str], frozenset[str]]:
            engine = create_engine(url)
            try:
                async with engine.connect() as connection:
                    tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
                return tables, await current_revisions(engine)
            finally:
                await engine.dispose()

        tables, current = asyncio.run(state())
    assert {"example_receipts", "lti_registrations", "webhook_endpoints", "completions"} <= tables
    assert "example_0001" in current
    assert missing_heads(load_plugins().values(), current) == frozenset()
