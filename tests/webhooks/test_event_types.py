"""The event types an endpoint may subscribe to (what the console offers as choices), and a
refused endpoint URL named as the field it came in."""

import pytest
from sqlalchemy import func, select

from api.db import Sessions
from plugins.webhooks.models import WebhookEndpoint
from schemas.events import EVENT_TYPES
from tests.conftest import Tenant, make_tenant
from tests.webhooks.conftest import Client
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.anyio


async def test_event_types_are_every_published_one_with_when_it_is_sent(
    hook_client: Client, district_a: Tenant, sessions: Sessions, receiver: Receiver
) -> None:
    response = await hook_client.get("/api/v1/webhooks/event-types", headers=district_a.headers)
    assert response.status_code == 200, response.text
    listed = response.json()
    # Every published type but `ping`, which reaches the endpoint it tests whatever its choice.
    assert [t["type"] for t in listed] == sorted(set(EVENT_TYPES) - {"ping"})
    voided = next(t for t in listed if t["type"] == "completion.voided")
    assert voided["description"] == "an administrator voided a completion record, with a reason."
    assert all(t["description"] and not t["description"].startswith("`") for t in listed)

    # Each listed type is one an endpoint accepts.
    body = {"url": receiver.url, "event_types": [t["type"] for t in listed]}
    made = await hook_client.post("/api/v1/webhooks/endpoints", json=body, headers=district_a.headers)
    assert made.status_code == 201, made.text

    assert (await hook_client.get("/api/v1/webhooks/event-types")).status_code == 401
    reader = await make_tenant(sessions, "district-reader", ["hr:read"])
    assert (await hook_client.get("/api/v1/webhooks/event-types", headers=reader.headers)).status_code == 403


async def test_a_refused_url_is_named_as_the_url_field(
    hook_client: Client, district_a: Tenant, sessions: Sessions
) -> None:
    for url in ("http://10.0.0.8/hook", "https://no-such-host.invalid/hook"):
        response = await hook_client.post(
            "/api/v1/webhooks/endpoints", json={"url": url}, headers=district_a.headers
        )
        assert response.status_code == 422, response.text
        problem = response.json()
        assert [e["field"] for e in problem["errors"]] == ["$.url"]
        assert "URL" in problem["detail"] or "host" in problem["detail"]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
