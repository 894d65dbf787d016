"""Webhook delivery end to end, against a real local receiver: signed, retried, disabled and
recovered, never lost, and never sent twice at once by two dispatchers."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook

from api.db import Sessions
from api.models import Delivery, OutboxEvent, utcnow
from api.outbox.dispatcher import Dispatcher
from api.outbox.emit import emit
from api.plugin import load_plugins
from api.runtime import open_runtime
from api.settings import Settings
from plugins.webhooks.models import WebhookEndpoint
from tests.conftest import Tenant
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]

ENDPOINTS = "/api/v1/webhooks/endpoints"


async def add_endpoint(client: Client, tenant: Tenant, url: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(ENDPOINTS, json={"url": url, **fields}, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def completion_events(sessions: Sessions, tenant: Tenant, count: int) -> list[str]:
    from schemas.events import CompletionVoided, LearnerRef

    learner = LearnerRef(
        id=uuid.uuid4(), external_id="e", employee_id="", email="", name="", school="", role=""
    )
    async with sessions.begin() as session:
        for n in range(count):
            event = CompletionVoided(
                completion_id=uuid.uuid4(), learner=learner, module_id="m", reason=f"r{n}", voided_at=utcnow()
            )
            await emit(session, tenant.id, event, utcnow())
    async with sessions() as session:
        rows = (
            await session.execute(select(OutboxEvent.id).where(OutboxEvent.type == "completion.voided"))
        ).scalars()
        return [str(i) for i in rows]


async def make_due(sessions: Sessions) -> None:
    """Time passes: every pending retry is due now."""
    async with sessions.begin() as session:
        await session.execute(
            update(Delivery).where(Delivery.status == "pending").values(next_attempt_at=utcnow())
        )


async def drain(dispatcher: Dispatcher, sessions: Sessions, rounds: int = 12) -> None:
    for _ in range(rounds):
        await dispatcher.run_once()
        await make_due(sessions)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://10.0.0.1/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("ftp://example.org/x", "http"),
        ("https://user:pw@example.org/x", "password"),
    ],
)
async def test_internal_or_bad_urls_are_refused(
    hook_client: Client, district_a: Tenant, url: str, words: str
) -> None:
    response = await hook_client.post(ENDPOINTS, json={"url": url}, headers=district_a.headers)
    assert response.status_code == 422
    assert words in response.json()["detail"].lower()
    assert (await hook_client.get(ENDPOINTS, headers=district_a.headers)).json() == []


async def test_plain_http_needs_the_development_setting(client: Client, district_a: Tenant) -> None:
    response = await client.post(
        ENDPOINTS, json={"url": "http://example.org/hook"}, headers=district_a.headers
    )
    assert response.status_code == 422 and "https" in response.json()["detail"]


async def test_secret_is_shown_once(
    hook_client: Client, district_a: Tenant, district_b: Tenant, receiver: Receiver
) -> None:
    created = await add_endpoint(hook_client, district_a, receiver.url)
    assert created["secret"].startswith("whsec_")
    endpoint_id = created["endpoint"]["id"]
    for path in (ENDPOINTS, f"{ENDPOINTS}/{endpoint_id}"):
        assert created["secret"] not in (await hook_client.get(path, headers=district_a.headers)).text
    assert (
        await hook_client.get(f"{ENDPOINTS}/{endpoint_id}", headers=district_b.headers)
    ).status_code == 404


async def test_events_arrive_signed(
    hook_client: Client, sessions: Sessions, district_a: Tenant, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    created = await add_endpoint(hook_client, district_a, receiver.url, event_types=["completion.*"])
    event_ids = await completion_events(sessions, district_a, 3)
    await drain(dispatcher, sessions)
    assert sorted(receiver.event_ids()) == sorted(event_ids)
    verifier = Webhook(created["secret"])
    for request in receiver.received:
        payload = verifier.verify(request.body, request.headers)
        assert payload["type"] == "completion.voided" and payload["id"] == request.headers["webhook-id"]
    deliveries = (
        await hook_client.get(
            f"{ENDPOINTS}/{created['endpoint']['id']}/deliveries", headers=district_a.headers
        )
    ).json()
    assert {d["status"] for d in deliveries} == {"succeeded"} and len(deliveries) == 3
    detail = (
        await hook_client.get(
            f"{ENDPOINTS}/{created['endpoint']['id']}/deliveries/{deliveries[0]['id']}",
            headers=district_a.headers,
        )
    ).json()
    assert (
        detail["attempts"][0]["status_code"] == 200 and detail["attempts"][0]["response_excerpt"] == "thanks"
    )


async def test_failures_are_retried_until_the_receiver_recovers(
    hook_client: Client,
    sessions: Sessions,
    district_a: Tenant,
    receiver: Receiver,
    dispatcher: Dispatcher,
    hook_settings: Settings,
) -> None:
    created = await add_endpoint(hook_client, district_a, receiver.url)
    event_ids = await completion_events(sessions, district_a, 4)
    receiver.status = 500
    await dispatcher.run_once()
    # Then no answer at all: the retries time out. The receiver holds its answer rather than
    # being slow, so the timeout is reached however fast or slow the machine is.
    impatient = msgspec.structs.replace(hook_settings, webhook_timeout_seconds=0.5)
    context = msgspec.structs.replace(dispatcher.context, settings=impatient)
    receiver.status = 200
    with receiver.holding():
        await make_due(sessions)
        await Dispatcher(context, load_plugins(["webhooks"]), lease=dispatcher.lease).run_once()
    endpoint = (
        await hook_client.get(f"{ENDPOINTS}/{created['endpoint']['id']}", headers=district_a.headers)
    ).json()
    assert endpoint["state"] == "failing" and endpoint["failing_since"]
    await drain(dispatcher, sessions)
    delivered = [i for i in receiver.event_ids() if i in event_ids]
    assert sorted(set(delivered)) == sorted(event_ids)
    endpoint = (
        await hook_client.get(f"{ENDPOINTS}/{created['endpoint']['id']}", headers=district_a.headers)
    ).json()
    assert endpoint["state"] == "active"
    detail = (
        await hook_client.get(
            f"{ENDPOINTS}/{created['endpoint']['id']}/deliveries?status=succeeded", headers=district_a.headers
        )
    ).json()
    log = (
        await hook_client.get(
            f"{ENDPOINTS}/{created['endpoint']['id']}/deliveries/{detail[0]['id']}",
            headers=district_a.headers,
        )
    ).json()["attempts"]
    assert log[0]["status_code"] == 500 and log[1]["error"] == "timed out"


async def test_refused_connections_are_retried(
    hook_client: Client, sessions: Sessions, district_a: Tenant, dispatcher: Dispatcher
) -> None:
    await add_endpoint(
        hook_client, district_a, "http://127.0.0.1:9/hook"
    )  # the discard port: nothing listens
    await completion_events(sessions, district_a, 1)
    await dispatcher.run_once()
    async with sessions() as session:
        delivery = (await session.execute(select(Delivery))).scalar_one()
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_error
    assert delivery.next_attempt_at > utcnow()


async def test_410_disables_tells_the_others_and_recovery_redelivers(
    hook_client: Client, sessions: Sessions, district_a: Tenant, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    gone = await add_endpoint(hook_client, district_a, receiver.url.replace("/hook", "/gone"))
    with Receiver().running() as other:
        await add_endpoint(hook_client, district_a, other.url)
        receiver.status = 410
        await completion_events(sessions, district_a, 1)
        await drain(dispatcher, sessions, rounds=3)
        endpoint_id = gone["endpoint"]["id"]
        endpoint = (await hook_client.get(f"{ENDPOINTS}/{endpoint_id}", headers=district_a.headers)).json()
        assert endpoint["state"] == "disabled" and "410" in endpoint["disabled_reason"]
        notices = [msgspec.json.decode(r.body)["type"] for r in other.received]
        assert "endpoint.disabled" in notices
        # While disabled, new events are recorded as skipped, not lost.
        later = await completion_events(sessions, district_a, 2)
        await drain(dispatcher, sessions, rounds=2)
        skipped = (
            await hook_client.get(
                f"{ENDPOINTS}/{endpoint_id}/deliveries?status=skipped", headers=district_a.headers
            )
        ).json()
        assert len(skipped) == 2
        receiver.status = 200
        assert (
            await hook_client.post(
                f"{ENDPOINTS}/{endpoint_id}/recover",
                json={"since": "2000-01-01T00:00:00Z"},
                headers=district_a.headers,
            )
        ).status_code == 422  # enable it first
        await hook_client.patch(
            f"{ENDPOINTS}/{endpoint_id}", json={"enabled": True}, headers=district_a.headers
        )
        recovered = await hook_client.post(
            f"{ENDPOINTS}/{endpoint_id}/recover",
            json={"since": "2000-01-01T00:00:00Z"},
            headers=district_a.headers,
        )
        assert recovered.status_code == 202 and recovered.json()["redelivering"] == 3
        await drain(dispatcher, sessions, rounds=2)
        assert set(later) <= set(receiver.event_ids())


async def test_five_days_of_failure_disables_after_warning(
    hook_client: Client, sessions: Sessions, district_a: Tenant, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    created = await add_endpoint(hook_client, district_a, receiver.url)
    receiver.status = 503
    await completion_events(sessions, district_a, 1)
    await dispatcher.run_once()
    endpoint_id = uuid.UUID(created["endpoint"]["id"])
    for days in (4.5, 5.1):  # the failing began (and the district was told) this long ago
        began = utcnow() - timedelta(days=days)
        async with sessions.begin() as session:
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id)
                .values(failing_since=began, warned_at=began)
            )
        await make_due(sessions)
        await dispatcher.run_once()
    endpoint = (await hook_client.get(f"{ENDPOINTS}/{endpoint_id}", headers=district_a.headers)).json()
    assert endpoint["state"] == "disabled" and "5 days" in endpoint["disabled_reason"]
    async with sessions() as session:
        types = list(
            (await session.execute(select(OutboxEvent.type).order_by(OutboxEvent.created_at))).scalars()
        )
    assert types.count("endpoint.failing") == 2 and types.count("endpoint.disabled") == 1


async def test_rotation_signs_with_old_and_new_secrets(
    hook_client: Client, sessions: Sessions, district_a: Tenant, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    created = await add_endpoint(hook_client, district_a, receiver.url)
    rotated = await hook_client.post(
        f"{ENDPOINTS}/{created['endpoint']['id']}/rotate-secret", headers=district_a.headers
    )
    assert rotated.status_code == 200 and rotated.json()["endpoint"]["rotating_until"]
    await completion_events(sessions, district_a, 1)
    await drain(dispatcher, sessions, rounds=2)
    [request] = receiver.received
    for secret in (created["secret"], rotated.json()["secret"]):
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "completion.voided"


async def test_ping_goes_to_that_endpoint_only(
    hook_client: Client, sessions: Sessions, district_a: Tenant, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    created = await add_endpoint(hook_client, district_a, receiver.url)
    with Receiver().running() as other:
        await add_endpoint(hook_client, district_a, other.url)
        response = await hook_client.post(
            f"{ENDPOINTS}/{created['endpoint']['id']}/test", headers=district_a.headers
        )
        assert response.status_code == 202
        await drain(dispatcher, sessions, rounds=2)
        assert [msgspec.json.decode(r.body)["type"] for r in receiver.received] == ["ping"]
        assert other.received == []


async def test_two_dispatchers_never_send_one_delivery_twice_at_once(
    hook_client: Client, sessions: Sessions, district_a: Tenant, receiver: Receiver, hook_settings: Settings
) -> None:
    await add_endpoint(hook_client, district_a, receiver.url)
    event_ids = await completion_events(sessions, district_a, 60)
    receiver.delay = 0.02
    # A generous timeout: this test is about overlap, and a timed-out request is retried, which
    # is a legitimate (at-least-once) duplicate on a loaded machine, not the overlap it looks for.
    patient = msgspec.structs.replace(hook_settings, webhook_timeout_seconds=30.0)
    async with open_runtime(patient, load_plugins(["webhooks"])) as runtime:
        workers = [Dispatcher(runtime.context(), runtime.plugins, batch=10) for _ in range(2)]
        for _ in range(8):
            await asyncio.gather(*(w.run_once() for w in workers))
    assert receiver.overlaps == []
    assert sorted(receiver.event_ids()) == sorted(event_ids)  # each exactly once


async def test_fan_out_leases_the_deliveries_it_creates_to_its_own_worker(
    hook_client: Client, sessions: Sessions, district_a: Tenant, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    await add_endpoint(hook_client, district_a, receiver.url)
    event_ids = await completion_events(sessions, district_a, 3)
    claimed = await dispatcher.fan_out()
    assert sorted(str(c.delivery.event.id) for c in claimed) == sorted(event_ids)
    # Leased already: another worker finds nothing to claim until the lease runs out.
    assert await Dispatcher(dispatcher.context, dispatcher.plugins).claim() == []
    async with sessions() as session:
        leases = (await session.execute(select(Delivery.status, Delivery.lease_owner))).all()
    assert leases == [("leased", dispatcher.owner)] * 3
    assert await dispatcher.deliver_batch(claimed) == 3  # none skipped: the lease held
    async with sessions() as session:
        statuses = (await session.execute(select(Delivery.status, Delivery.attempts))).all()
    assert statuses == [("succeeded", 1)] * 3
    # Succeeded means answered, and the receiver records a request before it answers.
    assert sorted(receiver.event_ids()) == sorted(event_ids)
