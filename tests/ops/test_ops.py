"""Liveness, readiness and metrics."""

import gc

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.heap import YOUNG_THRESHOLD
from api.migrate import head_revisions
from api.plugin import load_plugins
from api.settings import Settings

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]


async def test_healthz(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_a_running_app_sets_the_collector_for_a_long_run(app: Litestar) -> None:
    thresholds = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    async with AsyncTestClient(app=app) as client:
        # The routes, the OpenAPI document, the course: far more than any request makes.
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold()[0] >= YOUNG_THRESHOLD
        assert (await client.get("/healthz")).status_code == 200
    # Handed back when the app stops: a stopped app's objects can be collected again.
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds


async def test_readyz_reports_database_and_migration(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["pending_migrations"] == []
    # One branch per plugin with tables (the built-ins and the example), each after the app's.
    heads = head_revisions(load_plugins().values())
    assert {head.split("_")[0] for head in heads} >= {"lti", "webhooks", "example"}
    assert set(response.json()["migrations"]) <= heads


async def test_readyz_is_503_on_an_unmigrated_database(tmp_path: object) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/empty.db",
        migrate_on_start=False,
        publish_on_start=False,
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "migration-pending"


async def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        migrate_on_start=False,
        publish_on_start=False,
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503 and response.json()["status"] == "unavailable"


@pytest.mark.own_app  # counts since the app was built: no other test may have counted into it
async def test_metrics_count_requests_by_route(client: Client) -> None:
    await client.get("/healthz")
    await client.get("/nowhere")
    text = (await client.get("/metrics")).text
    assert 'frontoffice_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert 'route="<unmatched>",status="404"' in text
    assert "frontoffice_request_duration_seconds_bucket" in text
