"""`/metrics` after real deliveries to a local receiver: attempts by plugin and outcome, the
undelivered backlog and its age, and endpoints by state (the webhook plugin's gauge)."""

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from api.db import Sessions
from api.metrics import Metrics
from api.models import Delivery, utcnow
from api.outbox.dispatcher import Dispatcher
from api.outbox.emit import emit
from api.plugin import load_plugins
from api.runtime import open_runtime
from api.settings import Settings
from schemas.events import CompletionVoided, LearnerRef
from tests.conftest import Tenant
from tests.ops.metrics_text import Scrape
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import add_endpoint

# Counts since the app was built: an app of its own, which no other test has counted into.
pytestmark = [pytest.mark.anyio, pytest.mark.own_app]
Client = AsyncTestClient[Litestar]
ATTEMPTS = "frontoffice_delivery_attempts_total"


@pytest.fixture
async def counting(hook_client: Client, hook_settings: Settings) -> AsyncIterator[Dispatcher]:
    """A dispatcher that counts into the app's metrics, as the one `serve` runs does."""
    metrics = hook_client.app.state.metrics
    assert isinstance(metrics, Metrics)
    async with open_runtime(hook_settings, load_plugins(["webhooks"])) as runtime:
        yield Dispatcher(runtime.context(), runtime.plugins, lease=timedelta(minutes=10), metrics=metrics)


@pytest.fixture
def gone() -> Iterator[Receiver]:
    """An endpoint that answers 410 Gone: the plugin disables it."""
    with Receiver().running() as running:
        running.status = 410
        yield running


async def voided(sessions: Sessions, tenant: Tenant, count: int = 1) -> None:
    learner = LearnerRef(
        id=uuid.uuid4(), external_id="e", employee_id="", email="", name="", school="", role=""
    )
    async with sessions.begin() as session:
        for n in range(count):
            event = CompletionVoided(
                completion_id=uuid.uuid4(), learner=learner, module_id="m", reason=f"r{n}", voided_at=utcnow()
            )
            await emit(session, tenant.id, event, utcnow())


async def scrape(client: Client) -> Scrape:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return Scrape(response.text)


async def test_deliveries_are_counted_by_outcome_and_endpoints_by_state(
    hook_client: Client,
    sessions: Sessions,
    district_a: Tenant,
    receiver: Receiver,
    gone: Receiver,
    counting: Dispatcher,
) -> None:
    await add_endpoint(hook_client, district_a, receiver.url, event_types=["completion.*", "endpoint.*"])
    await add_endpoint(hook_client, district_a, gone.url)
    figures = await scrape(hook_client)
    assert figures.value("frontoffice_webhook_endpoints", state="active") == 2
    assert figures.value("frontoffice_webhook_endpoints", state="disabled") == 0

    # Two events to both: the good endpoint takes them, the gone one says 410 and is disabled
    # (which tells the good endpoint, on the next round).
    await voided(sessions, district_a, 2)
    assert (await scrape(hook_client)).value("frontoffice_outbox_events_unfanned") == 2
    assert await counting.run_once() == 4
    assert await counting.run_once() == 1  # the endpoint.disabled notice
    figures = await scrape(hook_client)
    assert figures.value(ATTEMPTS, plugin="webhooks", outcome="succeeded") == 3
    assert figures.value(ATTEMPTS, plugin="webhooks", outcome="failed") == 2
    assert figures.get(ATTEMPTS, plugin="webhooks", outcome="retried") == 0
    assert figures.value("frontoffice_webhook_endpoints", state="disabled") == 1
    assert figures.value("frontoffice_webhook_endpoints", state="active") == 1
    assert figures.value("frontoffice_outbox_events_unfanned") == 0

    # The receiver fails: the good endpoint's delivery is retried later; the disabled one's is
    # skipped. The retry waits, undelivered, and its age is the delivery's.
    receiver.status = 500
    await voided(sessions, district_a)
    assert await counting.run_once() == 1
    async with sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.status == "pending")
            .values(
                created_at=utcnow() - timedelta(minutes=30), next_attempt_at=utcnow() - timedelta(minutes=5)
            )
        )
    figures = await scrape(hook_client)
    assert figures.value(ATTEMPTS, plugin="webhooks", outcome="retried") == 1
    assert figures.value(ATTEMPTS, plugin="webhooks", outcome="skipped") == 1
    assert figures.value(ATTEMPTS, plugin="webhooks", outcome="succeeded") == 3
    assert figures.value("frontoffice_deliveries_undelivered", status="pending") == 1
    assert figures.value("frontoffice_deliveries_undelivered", status="leased") == 0
    assert 1800 <= figures.value("frontoffice_deliveries_oldest_undelivered_age_seconds") < 1800 + 600
    assert 300 <= figures.value("frontoffice_deliveries_overdue_seconds") < 300 + 600
    assert figures.value("frontoffice_webhook_endpoints", state="failing") == 1

    # It recovers: the retry succeeds, and nothing waits any more.
    receiver.status = 200
    await counting.run_once()
    figures = await scrape(hook_client)
    assert figures.value(ATTEMPTS, plugin="webhooks", outcome="succeeded") == 4
    assert figures.value("frontoffice_deliveries_undelivered", status="pending") == 0
    assert figures.value("frontoffice_deliveries_oldest_undelivered_age_seconds") == 0
    assert figures.value("frontoffice_deliveries_overdue_seconds") == 0


async def test_an_endpoint_switched_off_counts_as_paused(
    hook_client: Client, district_a: Tenant, receiver: Receiver
) -> None:
    created = await add_endpoint(hook_client, district_a, receiver.url)
    response = await hook_client.patch(
        f"/api/v1/webhooks/endpoints/{created['endpoint']['id']}",
        json={"enabled": False},
        headers=district_a.headers,
    )
    assert response.status_code == 200, response.text
    figures = await scrape(hook_client)
    assert figures.value("frontoffice_webhook_endpoints", state="paused") == 1
    assert figures.value("frontoffice_webhook_endpoints", state="active") == 0
