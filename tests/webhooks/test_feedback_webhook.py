"""A family's answers reach a district's webhook, signed: `feedback.received` with the contact
details the family consented to give and nothing of an anonymous family, and `survey.received`
with the survey's scales and choices but none of its free text."""

import secrets
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from api.db import Sessions
from api.outbox.dispatcher import Dispatcher
from tests.conftest import Tenant
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import add_endpoint, drain

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]


async def lincoln(client: Client, tenant: Tenant) -> Any:
    """A school of the tenant with a feedback link."""
    made = await client.post(
        "/api/v1/feedback/schools", json={"code": "LIN", "name": "Lincoln"}, headers=tenant.headers
    )
    assert made.status_code == 201, made.text
    return made.json()


async def test_feedback_received_reaches_a_webhook(
    hook_client: Client, sessions: Sessions, district_a: Tenant, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    created = await add_endpoint(hook_client, district_a, receiver.url, event_types=["feedback.*"])
    school = await lincoln(hook_client, district_a)
    bodies = [
        {"score": 10, "reason": "meals", "resolved": True},
        {
            "score": 3,
            "reason": "enrollment",
            "resolved": False,
            "contact": {"name": "Ana", "email": "ana@example.org", "consent": True},
        },
    ]
    for body in bodies:
        cookie = {"Cookie": f"fo_feedback_device={secrets.token_urlsafe(24)}"}
        response = await hook_client.post(f"/feedback/{school['token']}/answers", json=body, headers=cookie)
        assert response.status_code == 201, response.text
    await drain(dispatcher, sessions)
    verifier = Webhook(created["secret"])
    payloads = sorted(
        (verifier.verify(request.body, request.headers) for request in receiver.received),
        key=lambda p: p["data"]["score"],
    )
    assert [p["type"] for p in payloads] == ["feedback.received", "feedback.received"]
    assert payloads[0]["data"]["contact"] == {"name": "Ana", "phone": "", "email": "ana@example.org"}
    assert payloads[1]["data"]["contact"] is None and payloads[1]["data"]["reason"] == "meals"


async def test_survey_received_reaches_a_webhook(
    hook_client: Client, sessions: Sessions, district_a: Tenant, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    created = await add_endpoint(hook_client, district_a, receiver.url, event_types=["survey.received"])
    school = await lincoln(hook_client, district_a)
    cookie = {"Cookie": f"fo_feedback_device={secrets.token_urlsafe(24)}"}
    body = {"language": "en", "answers": {"score": 9, "better": "Call back sooner"}}
    response = await hook_client.post(f"/survey/{school['token']}/answers", json=body, headers=cookie)
    assert response.status_code == 201, response.text
    # A card answer is another event type: this endpoint does not subscribe to it.
    card = {"score": 10, "reason": "meals", "resolved": True}
    assert (await hook_client.post(f"/feedback/{school['token']}/answers", json=card)).status_code == 201
    await drain(dispatcher, sessions)
    verifier = Webhook(created["secret"])
    (payload,) = [verifier.verify(request.body, request.headers) for request in receiver.received]
    assert payload["type"] == "survey.received"
    assert payload["data"]["school"]["code"] == "LIN" and payload["data"]["score"] == 9
    assert payload["data"]["answers"] == {"score": 9} and payload["data"]["text_answers"] == 1
