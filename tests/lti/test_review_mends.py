"""What the outside review found in the LTI plugin, each through its public routes (or the
key-set service with a mock transport): registration URLs, learners with long subs, scores for
learners only, the platform key set's caching, the 409 between districts, and single-use
dynamic-registration URLs."""

from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from api.db import Sessions
from api.outbox.dispatcher import Dispatcher
from plugins.lti.keysets import KeySets
from tests.conftest import Tenant
from tests.lti.conftest import BASE, INSTRUCTOR, Client, fragment, launch, learners, register
from tests.lti.platform import Platform, new_private_pem, public_pem

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http:///jwks", "no host"),
        ("https:///jwks", "no host"),
        ("https://exa mple.org/jwks", "space or a control character"),
        ("https://example.org/jw\x01ks", "space or a control character"),
        ("https://example.org/jwks\n", "space or a control character"),
        ("http://lms.example.org/jwks", "https"),
        ("https://admin:pw@lms.example.org/jwks", "user name or password"),
        ("https://lms.example.org:99999/jwks", "malformed"),
        ("https://lms..example.org/jwks", "host name"),
    ],
)
async def test_registration_urls_are_validated(
    lti_client: Client, district_a: Tenant, canvas: Platform, url: str, words: str
) -> None:
    body = {**canvas.registration_body(), "key_set_url": url}
    response = await lti_client.post("/api/v1/lti/registrations", json=body, headers=district_a.headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert words in problem["detail"] and problem["errors"][0]["field"] == "$.key_set_url"
    listed = await lti_client.get("/api/v1/lti/registrations", headers=district_a.headers)
    assert listed.json() == []


async def test_two_long_subs_sharing_a_prefix_are_two_learners(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    # 255 characters each (the most LTI allows), the same first 250.
    subs = ["p" * 250 + "user1", "p" * 250 + "user2"]
    people = []
    for sub in subs:
        got = fragment(await launch(lti_client, canvas, sub))
        me = await lti_client.get("/api/v1/me", headers={"Authorization": f"Bearer {got['token']}"})
        people.append(me.json())
    assert people[0]["id"] != people[1]["id"]
    assert all(p["external_id"].startswith("ltih:") and len(p["external_id"]) <= 200 for p in people)
    # The same long sub again is the same learner; a short sub keeps its readable id.
    again = fragment(await launch(lti_client, canvas, subs[0]))
    me = await lti_client.get("/api/v1/me", headers={"Authorization": f"Bearer {again['token']}"})
    assert me.json()["id"] == people[0]["id"]
    short = fragment(await launch(lti_client, canvas, "short-sub"))
    me = await lti_client.get("/api/v1/me", headers={"Authorization": f"Bearer {short['token']}"})
    assert me.json()["external_id"].startswith("lti:") and me.json()["external_id"].endswith(":short-sub")
    assert await learners(sessions) == 3


async def test_only_learners_get_scores(
    lti_client: Client, district_a: Tenant, canvas: Platform, dispatcher: Dispatcher
) -> None:
    await register(lti_client, district_a, canvas)
    lineitem = f"{canvas.url}/lineitems/21"
    fragment(await launch(lti_client, canvas, "teacher-1", roles=INSTRUCTOR, ags_lineitem=lineitem))
    mentor = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"]
    fragment(await launch(lti_client, canvas, "mentor-1", roles=mentor, ags_lineitem=lineitem))
    await dispatcher.run_once()
    assert canvas.scores == []
    fragment(await launch(lti_client, canvas, "learner-1", ags_lineitem=lineitem))
    await dispatcher.run_once()
    assert [(s["userId"], s["activityProgress"]) for _, s in canvas.scores] == [("learner-1", "Started")]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def jwk(private_pem: str, kid: str) -> dict[str, Any]:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from jwt.algorithms import RSAAlgorithm

    key = RSAAlgorithm.to_jwk(load_pem_public_key(public_pem(private_pem).encode()), as_dict=True)
    return {**key, "kid": kid, "alg": "RS256", "use": "sig"}


@pytest.mark.parametrize(
    ("headers", "kept"),
    [
        ({"Cache-Control": "max-age=120"}, 120),
        ({"Cache-Control": "public, max-age=600", "Age": "500"}, 100),
        ({"Cache-Control": "no-cache"}, 60),  # the floor
        ({"Cache-Control": "max-age=31536000"}, 86_400),  # the ceiling
        ({"Expires": "Thu, 01 Jan 2026 00:10:00 GMT", "Date": "Thu, 01 Jan 2026 00:00:00 GMT"}, 600),
        ({}, 300),
    ],
)
async def test_a_removed_platform_key_verifies_only_as_long_as_the_platform_said(
    headers: dict[str, str], kept: int
) -> None:
    keys = {"old": jwk(new_private_pem(), "old")}
    fetches = []

    def handler(request: httpx.Request) -> httpx.Response:
        fetches.append(request.url)
        return httpx.Response(200, json={"keys": list(keys.values())}, headers=headers)

    clock = Clock()
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        sets = KeySets(http, clock=clock)
        url = "https://lms.example.org/jwks"
        assert await sets.key(url, "old")
        del keys["old"]  # the platform retires the key
        clock.now += kept - 1
        assert await sets.key(url, "old")  # still cached, as the platform allowed
        assert len(fetches) == 1
        clock.now += 2
        with pytest.raises(Exception, match="does not hold"):
            await sets.key(url, "old")
        assert len(fetches) == 2


async def test_another_districts_registration_is_not_revealed(
    lti_client: Client, district_a: Tenant, district_b: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    taken = await lti_client.post(
        "/api/v1/lti/registrations", json=canvas.registration_body(), headers=district_b.headers
    )
    assert taken.status_code == 409
    detail = taken.json()["detail"]
    assert "another district" not in detail and "registered by" not in detail
    assert district_a.slug not in taken.text and str(district_a.id) not in taken.text
    assert "client id of this district's own" in detail


async def test_a_registration_url_registers_once_and_can_be_revoked(
    lti_client: Client, district_a: Tenant, district_b: Tenant, canvas: Platform
) -> None:
    canvas.issuer = canvas.url
    canvas.registration.set_iss(canvas.url)
    made = await lti_client.post("/api/v1/lti/registration-url", headers=district_a.headers)
    assert made.status_code == 201
    url = made.json()
    lifetime = datetime.fromisoformat(url["expires_at"]) - datetime.now(
        datetime.fromisoformat(url["expires_at"]).tzinfo
    )
    assert 3500 < lifetime.total_seconds() <= 3600
    listed = (await lti_client.get("/api/v1/lti/registration-url", headers=district_a.headers)).json()
    assert [u["id"] for u in listed] == [url["id"]] and "url" not in listed[0]
    assert (await lti_client.get("/api/v1/lti/registration-url", headers=district_b.headers)).json() == []
    path = url["url"].removeprefix(BASE)
    # A registration that fails (the platform's configuration is not there) gives the URL back.
    missing = quote(f"{canvas.url}/nowhere", safe="")
    failed = await lti_client.get(f"{path}?openid_configuration={missing}")
    assert failed.status_code == 422, failed.text
    config = quote(f"{canvas.url}/.well-known/openid-configuration", safe="")
    page = await lti_client.get(f"{path}?openid_configuration={config}&registration_token=t1")
    assert page.status_code == 200, page.text
    # Used: a second LMS (or anyone who saw the URL) cannot register with it.
    again = await lti_client.get(f"{path}?openid_configuration={config}&registration_token=t2")
    assert again.status_code == 401 and "used already" in again.json()["detail"]
    assert len(canvas.registration_requests) == 1
    assert (await lti_client.get("/api/v1/lti/registration-url", headers=district_a.headers)).json() == []
    # Revoked: refused too; another district cannot revoke it, nor can it be revoked twice.
    other = (await lti_client.post("/api/v1/lti/registration-url", headers=district_a.headers)).json()
    gone = f"/api/v1/lti/registration-url/{other['id']}"
    assert (await lti_client.delete(gone, headers=district_b.headers)).status_code == 404
    assert (await lti_client.delete(gone, headers=district_a.headers)).status_code == 204
    assert (await lti_client.delete(gone, headers=district_a.headers)).status_code == 404
    revoked = await lti_client.get(f"{other['url'].removeprefix(BASE)}?openid_configuration={config}")
    assert revoked.status_code == 401
