"""What `/metrics` tells an on-call person: completions recorded, the outbox backlog and its age
(read from the database at scrape time), process metrics, and several processes counted as one."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from api.app import create_app
from api.db import Sessions
from api.models import OutboxEvent, utcnow
from api.settings import Settings
from tests.conftest import Tenant
from tests.ops.metrics_text import Scrape
from tests.progress.test_progress_api import MODULE, facilitator_forms, learner_headers, submit_form

# Counts since the app was built: an app of its own, which no other test has counted into.
pytestmark = [pytest.mark.anyio, pytest.mark.own_app]
Client = AsyncTestClient[Litestar]
ROOT = Path(__file__).parent.parent.parent


async def scrape(client: Client) -> Scrape:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return Scrape(response.text)


async def test_a_completion_is_counted_and_its_events_wait_in_the_outbox(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    before = await scrape(client)
    assert before.get("frontoffice_completions_recorded_total", module=MODULE) == 0
    assert before.value("frontoffice_outbox_events_unfanned") == 0
    assert before.value("frontoffice_outbox_oldest_unfanned_event_age_seconds") == 0
    assert before.value("frontoffice_database_figures_up") == 1

    headers = await learner_headers(client, district_a)
    forms = await facilitator_forms(client, district_a)
    await submit_form(client, headers, forms["customer-worksheet"])
    await submit_form(client, headers, forms["knowledge-check"])
    after_two = await scrape(client)
    assert after_two.get("frontoffice_completions_recorded_total", module=MODULE) == 0  # not complete yet
    reflection = await submit_form(client, headers, forms["reflection"])
    assert reflection["completion"] is not None

    figures = await scrape(client)
    assert figures.value("frontoffice_completions_recorded_total", module=MODULE) == 1
    async with sessions() as session:
        written = (await session.execute(select(func.count()).select_from(OutboxEvent))).scalar_one()
    assert written >= 4  # each form.submitted and attempt.submitted, and completion.recorded
    # No dispatcher runs in these tests: every event waits to be fanned out.
    assert figures.value("frontoffice_outbox_events_unfanned") == written
    assert 0 <= figures.value("frontoffice_outbox_oldest_unfanned_event_age_seconds") < 600
    assert figures.value("frontoffice_deliveries_undelivered", status="pending") == 0
    assert figures.value("frontoffice_deliveries_undelivered", status="leased") == 0
    assert figures.value("frontoffice_deliveries_oldest_undelivered_age_seconds") == 0

    # The oldest waiting event's age is its age, whatever else waits.
    async with sessions.begin() as session:
        oldest = (
            (await session.execute(select(OutboxEvent.id).order_by(OutboxEvent.created_at))).scalars().first()
        )
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == oldest)
            .values(created_at=utcnow() - timedelta(hours=2))
        )
    aged = await scrape(client)
    assert 7200 <= aged.value("frontoffice_outbox_oldest_unfanned_event_age_seconds") < 7200 + 600

    # A repeat submit (a retry, a second device) records nothing new and counts nothing.
    again = await client.post(
        f"/api/v1/me/attempts/{reflection['attempt']['id']}/submit", json={"answers": None}, headers=headers
    )
    assert again.status_code == 200, again.text
    assert (await scrape(client)).value("frontoffice_completions_recorded_total", module=MODULE) == 1


async def test_process_metrics_are_on_the_apps_registry(client: Client) -> None:
    figures = await scrape(client)
    assert figures.value("process_resident_memory_bytes") > 0
    assert figures.value("process_open_fds") > 0
    assert "python_info" in figures.families
    assert "python_gc_objects_collected" in figures.families


async def test_counters_are_served_when_the_database_is_unreachable() -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        migrate_on_start=False,
        publish_on_start=False,
        log_level="ERROR",
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        await client.get("/healthz")
        figures = await scrape(client)
    assert figures.value("frontoffice_database_figures_up") == 0
    assert figures.value("frontoffice_requests_total", method="GET", route="/healthz", status="200") == 1
    assert "frontoffice_outbox_events_unfanned" not in figures.families


COUNT_IN_A_PROCESS = "from api.metrics import Metrics; Metrics.for_process().completions.labels('m').inc({n})"
SCRAPE_IN_A_PROCESS = (
    "import sys; from api.metrics import Metrics; sys.stdout.write(Metrics.for_process().expose().decode())"
)


def test_several_processes_are_counted_as_one(tmp_path: Path) -> None:
    """`serve --workers N`'s processes share prometheus-client's multiprocess folder: whichever of
    them is scraped reports what all of them counted."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    def python(code: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    python(COUNT_IN_A_PROCESS.format(n=2))
    python(COUNT_IN_A_PROCESS.format(n=3))
    figures = Scrape(python(SCRAPE_IN_A_PROCESS))
    assert figures.value("frontoffice_completions_recorded_total", module="m") == 5
    # One process's memory is not the service's: process metrics are left out in this mode.
    assert "process_resident_memory_bytes" not in figures.families
