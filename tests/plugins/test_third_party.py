"""A third-party plugin (tests/plugin_example, installed by the test command) loads from the
entry-point group like the built-ins, is configured per district with its secret kept sealed,
and receives the completion a learner records."""

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.app import create_app
from api.crypto import SecretBox
from api.db import Sessions
from api.models import PluginSetting
from api.outbox.dispatcher import Dispatcher
from api.settings import Settings
from api.ssrf import GuardedTransport
from plugins.contract import Context
from plugins.registry import PluginError, load_plugins
from tests.conftest import Tenant
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

    transport = GuardedTransport(allowlist=["127.0.0.1"])
    async with httpx.AsyncClient(transport=transport, trust_env=False) as http:
        context = Context(
            sessions=sessions,
            http=http,
            transport=transport,
            settings=settings,
            secret_box=SecretBox(SECRET_KEY, "plugin-secrets"),
        )
        dispatcher = Dispatcher(context, load_plugins())
        for _ in range(3):
            await dispatcher.run_once()
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
