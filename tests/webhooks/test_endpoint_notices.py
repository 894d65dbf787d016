"""`endpoint.failing` notices: once when an endpoint starts failing, whatever it does next
within the day, however many batches and workers record its attempts."""

import asyncio

import msgspec
import pytest
from sqlalchemy import select

from api.db import Sessions
from api.models import OutboxEvent
from api.outbox.dispatcher import Dispatcher
from tests.conftest import Tenant
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import Client, add_endpoint, completion_events, make_due

pytestmark = pytest.mark.anyio


async def test_a_flapping_endpoint_is_reported_once(
    hook_client: Client, sessions: Sessions, district_a: Tenant, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    flapping = await add_endpoint(hook_client, district_a, receiver.url)
    receiver.pattern = (500, 200, 503, 200)  # every other request fails, inside a batch and across
    # Two workers recording batches at once, as two `frontoffice worker` processes would.
    workers = [
        dispatcher,
        Dispatcher(dispatcher.context, dispatcher.plugins, lease=dispatcher.lease, batch=7),
    ]
    with Receiver().running() as other:
        await add_endpoint(hook_client, district_a, other.url)
        for _ in range(6):
            await completion_events(sessions, district_a, 8)
            for _ in range(3):
                await asyncio.gather(*(w.run_once() for w in workers))
                await make_due(sessions)
        receiver.pattern = (500,)  # then down for good: the episode already told of goes on
        await completion_events(sessions, district_a, 4)
        for _ in range(3):
            await asyncio.gather(*(w.run_once() for w in workers))
            await make_due(sessions)
        assert receiver.arrivals > 60
        async with sessions() as session:
            stored = list(
                (
                    await session.execute(
                        select(OutboxEvent.payload).where(OutboxEvent.type == "endpoint.failing")
                    )
                ).scalars()
            )
        assert len(stored) == 1 and stored[0]["endpoint_id"] == flapping["endpoint"]["id"]
        # The one notice reached the district's other endpoint, once.
        told = [msgspec.json.decode(r.body) for r in other.received]
        assert [n["data"]["endpoint_id"] for n in told if n["type"] == "endpoint.failing"] == [
            flapping["endpoint"]["id"]
        ]
    endpoint = (
        await hook_client.get(
            f"/api/v1/webhooks/endpoints/{flapping['endpoint']['id']}", headers=district_a.headers
        )
    ).json()
    assert endpoint["state"] == "failing"
