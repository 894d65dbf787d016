"""The concerns inbox's events reach a district's webhook: `dialogue.opened` for a family's
answer that asks for contact, `dialogue.closed`, and `dialogue.past_due` from the sweep."""

import secrets
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from api.db import Sessions
from api.dialogues.services import sweep_past_due
from api.models import utcnow
from api.outbox.dispatcher import Dispatcher
from tests.conftest import Tenant
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import add_endpoint, drain

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]


async def test_dialogue_events_reach_a_webhook(
    hook_client: Client, sessions: Sessions, district_a: Tenant, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    created = await add_endpoint(hook_client, district_a, receiver.url, event_types=["dialogue.*"])
    headers = district_a.headers
    school = (
        await hook_client.post(
            "/api/v1/feedback/schools", json={"code": "LIN", "name": "Lincoln"}, headers=headers
        )
    ).json()
    answer = {
        "score": 2,
        "reason": "transportation",
        "resolved": False,
        "comment": "No bus today.",
        "contact": {"name": "Ana", "phone": "555-0101", "consent": True},
    }
    cookie = {"Cookie": f"fo_feedback_device={secrets.token_urlsafe(24)}"}
    response = await hook_client.post(f"/feedback/{school['token']}/answers", json=answer, headers=cookie)
    assert response.status_code == 201, response.text
    from_family = (await hook_client.get("/api/v1/dialogues", headers=headers)).json()["items"][0]
    closed = await hook_client.patch(
        f"/api/v1/dialogues/{from_family['id']}",
        json={"status": "closed", "first_contact_resolved": True},
        headers=headers,
    )
    assert closed.status_code == 200, closed.text
    from_staff = await hook_client.post(
        "/api/v1/dialogues",
        json={"school_id": school["id"], "reason": "enrollment", "summary": "Forms missing."},
        headers=headers,
    )
    assert from_staff.status_code == 201, from_staff.text
    assert await sweep_past_due(sessions, utcnow() + timedelta(days=14)) == 1
    await drain(dispatcher, sessions)

    verifier = Webhook(created["secret"])
    payloads = [verifier.verify(request.body, request.headers) for request in receiver.received]
    by_type = {(p["type"], p["data"]["dialogue_id"]): p["data"] for p in payloads}
    staff_id = from_staff.json()["id"]
    assert sorted(by_type) == sorted(
        [
            ("dialogue.opened", from_family["id"]),
            ("dialogue.closed", from_family["id"]),
            ("dialogue.opened", staff_id),
            ("dialogue.past_due", staff_id),
        ]
    )
    opened = by_type[("dialogue.opened", from_family["id"])]
    assert opened["source"] == "feedback" and opened["summary"] == "No bus today."
    assert opened["contact"] == {"name": "Ana", "phone": "555-0101", "email": ""}
    assert by_type[("dialogue.closed", from_family["id"])]["first_contact_resolved"] is True
    assert by_type[("dialogue.past_due", staff_id)]["school"]["code"] == "LIN"
