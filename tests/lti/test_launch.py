"""Launches from real platforms (lti1p3platform): GET and POST login, two issuers, two client
ids under one issuer, several deployments, the learner and facilitator views."""

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from api.db import Sessions
from api.models import Learner
from plugins.lti.models import LtiLink
from tests.conftest import Tenant
from tests.lti.conftest import (
    BASE,
    INSTRUCTOR,
    LEARNER,
    MODULE,
    Client,
    fragment,
    launch,
    learners,
    login,
    register,
)
from tests.lti.platform import Platform

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("post", [False, True], ids=["get-login", "post-login"])
async def test_launch_hands_a_learner_token_to_the_player(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform, post: bool
) -> None:
    await register(lti_client, district_a, canvas)
    response = await launch(
        lti_client,
        canvas,
        "canvas-user-7",
        post=post,
        name="Pat Rivera",
        email="pat@example.org",
        custom={
            "module": MODULE,
            "employee_id": "E100",
            "school": "Lincoln Elementary",
            "job_role": "secretary",
        },
        locale="es-MX",
    )
    assert response.headers["location"].startswith(f"{BASE}/player/#")
    got = fragment(response)
    assert got["module"] == MODULE and got["view"] == "learner" and got["lang"] == "es"
    headers = {"Authorization": f"Bearer {got['token']}"}
    me = (await lti_client.get("/api/v1/me", headers=headers)).json()
    assert me["name"] == "Pat Rivera" and me["employee_id"] == "E100" and me["role"] == "secretary"
    assert me["external_id"].startswith("lti:") and me["external_id"].endswith(":canvas-user-7")
    assert (await lti_client.get(f"/api/v1/modules/{MODULE}", headers=headers)).status_code == 200
    assert (await lti_client.get(f"/api/v1/modules/{MODULE}/facilitator", headers=headers)).status_code == 403
    # The spent state cookie is cleared.
    assert "max-age=0" in response.headers["set-cookie"].lower()
    assert await learners(sessions) == 1


async def test_a_launch_that_writes_only_its_learner(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    """A learner's launch of a link already seen, without AGS: only the nonce and the learner are
    written (one statement on PostgreSQL, one trip on SQLite); a second launch updates the
    learner, and a replay writes nothing."""
    await register(lti_client, district_a, canvas)
    fragment(await launch(lti_client, canvas, "user-1", ags=False))  # remembers the link
    started = datetime.now(UTC)
    fragment(await launch(lti_client, canvas, "user-2", ags=False, name="Ana Ruiz"))
    auth = await login(lti_client, canvas, "user-2")
    form = canvas.launch(
        auth, sub="user-2", roles=LEARNER, custom={"module": MODULE}, ags=False, name="Ana R."
    )
    fields = {"id_token": form["id_token"], "state": form["state"]}
    fragment(await lti_client.post("/lti/launch", data=fields, follow_redirects=False))
    # The browser still has its state cookie: the used nonce alone refuses the launch.
    lti_client.cookies.set("lti1p3-" + form["state"], form["state"], domain="testserver.local", path="/lti")
    replay = await lti_client.post("/lti/launch", data=fields, follow_redirects=False)
    assert replay.status_code == 401 and "already used" in replay.json()["detail"]
    async with sessions() as session:
        rows = (await session.execute(select(Learner).order_by(Learner.created_at))).scalars().all()
    assert [r.external_id.rsplit(":", 1)[1] for r in rows] == ["user-1", "user-2"]
    ana = rows[1]
    assert ana.name == "Ana R." and ana.district_id == district_a.id and ana.progress_version == 0
    assert started - timedelta(seconds=1) <= ana.created_at <= ana.updated_at <= datetime.now(UTC)


async def test_instructor_gets_the_facilitator_view(
    lti_client: Client, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    got = fragment(await launch(lti_client, canvas, "teacher-1", roles=INSTRUCTOR))
    assert got["view"] == "facilitator" and got["lang"] == ""
    headers = {"Authorization": f"Bearer {got['token']}"}
    assert (await lti_client.get(f"/api/v1/modules/{MODULE}/facilitator", headers=headers)).status_code == 200


async def test_two_issuers_and_two_client_ids_under_one_issuer(
    lti_client: Client,
    sessions: Sessions,
    district_a: Tenant,
    district_b: Tenant,
    canvas: Platform,
    moodle: Platform,
) -> None:
    # Canvas: one issuer for every customer; district B's Canvas has its own client id.
    with Platform(canvas.issuer, "10000000000002", "dep-b", BASE).running() as canvas_b:
        await register(lti_client, district_a, canvas)
        await register(lti_client, district_b, canvas_b)
        await register(lti_client, district_b, moodle)
        tokens = {}
        for name, platform in (("a", canvas), ("b", canvas_b), ("m", moodle)):
            got = fragment(await launch(lti_client, platform, "same-sub"))
            headers = {"Authorization": f"Bearer {got['token']}"}
            tokens[name] = (await lti_client.get("/api/v1/me", headers=headers)).json()
    # Same sub: district A and district B get their own learners; two issuers never collide.
    assert len({t["id"] for t in tokens.values()}) == 3
    assert tokens["a"]["external_id"] == tokens["b"]["external_id"] != tokens["m"]["external_id"]
    listed = (await lti_client.get("/api/v1/lti/registrations", headers=district_b.headers)).json()
    assert {r["client_id"] for r in listed} == {"10000000000002", "moodle-client"}
    assert await learners(sessions) == 3


async def test_several_deployments_of_one_registration(
    lti_client: Client, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas, deployment_ids=["dep-1", "dep-2"])
    fragment(await launch(lti_client, canvas, "u1"))
    canvas.registration.set_deployment_id("dep-2")
    fragment(await launch(lti_client, canvas, "u2"))


async def test_key_set_is_cached_and_refetched_on_an_unknown_kid(
    lti_client: Client, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    fragment(await launch(lti_client, canvas, "u1"))
    # The platform rotates its key: the cached set lacks the new kid, so it is fetched again.
    from tests.lti.platform import new_private_pem, public_pem

    pem = new_private_pem()
    canvas.registration.set_platform_private_key(pem).set_platform_public_key(public_pem(pem))
    fragment(await launch(lti_client, canvas, "u2"))


async def test_jwks_publishes_the_tool_key(lti_client: Client) -> None:
    keys = (await lti_client.get("/lti/jwks")).json()["keys"]
    assert len(keys) == 1 and keys[0]["kid"] and keys[0]["alg"] == "RS256" and "d" not in keys[0]
    assert (await lti_client.get("/lti/jwks")).json()["keys"] == keys


async def test_login_for_an_unknown_platform_is_a_4xx(lti_client: Client, canvas: Platform) -> None:
    url = canvas.login_url("u1")
    response = await lti_client.get(url.removeprefix(BASE), follow_redirects=False)
    assert response.status_code == 403 and "register" in response.json()["detail"]
    missing = await lti_client.get("/lti/login?iss=x", follow_redirects=False)
    assert missing.status_code == 400 and missing.headers["content-type"].startswith(
        "application/problem+json"
    )


async def test_login_in_an_iframe_checks_cookies_first(
    lti_client: Client, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    url = canvas.login_url("u1").removeprefix(BASE)
    page = await lti_client.get(url, headers={"Sec-Fetch-Dest": "iframe"}, follow_redirects=False)
    assert page.status_code == 200 and "new tab" in page.text and "lti1p3_new_window" in page.text
    again = await lti_client.get(url + "&lti1p3_new_window=1", headers={"Sec-Fetch-Dest": "iframe"})
    assert again.status_code == 302 or again.history
    assert dict(parse_qsl(url.split("?", 1)[1]))["iss"] == canvas.issuer


async def test_postmessage_storage_where_cookies_are_blocked(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    url = canvas.login_url("u1").removeprefix(BASE) + "&lti_storage_target=_parent"
    page = await lti_client.get(url, follow_redirects=False)
    assert page.status_code == 200 and "lti.put_data" in page.text
    secret = re.search(r'value: "([^"]+)"', page.text)
    auth_url = re.search(r"window\.location\.href = (\"[^\"]+\");", page.text)
    assert secret and auth_url
    auth = dict(parse_qsl(urlsplit(json.loads(auth_url.group(1))).query))
    form = canvas.launch(auth, sub="u1", roles=LEARNER, custom={"module": MODULE})
    lti_client.cookies.clear()  # the browser kept no cookie in the LMS frame
    data = {"id_token": form["id_token"], "state": form["state"], "lti_storage_target": "_parent"}
    reader = await lti_client.post("/lti/launch", data=data, follow_redirects=False)
    assert reader.status_code == 200 and "lti.get_data" in reader.text and 'id="relaunch"' in reader.text
    with_secret = {**data, "lti_storage_secret": secret.group(1)}
    # A cross-site form cannot present the secret; nor can a wrong secret pass.
    cross = await lti_client.post("/lti/launch", data=with_secret, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 401
    wrong = {**with_secret, "lti_storage_secret": "guess"}
    assert (await lti_client.post("/lti/launch", data=wrong, headers={"Origin": BASE})).status_code == 401
    assert await learners(sessions) == 0
    ok = await lti_client.post(
        "/lti/launch", data=with_secret, headers={"Origin": BASE}, follow_redirects=False
    )
    assert fragment(ok)["view"] == "learner" and await learners(sessions) == 1


async def test_a_resource_link_without_the_module_parameter_opens_the_module_it_showed(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform, moodle: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    await register(lti_client, district_a, moodle)
    # Unknown link, no module parameter: refused as before.
    response = await launch(lti_client, canvas, "u1", custom={}, resource_link="course-7-link")
    assert response.status_code == 422, response.text
    assert "module=<id>" in response.json()["detail"]
    # Launched once with the parameter (as a deep-linked link is), the link is remembered ...
    response = await launch(
        lti_client, canvas, "u1", custom={"module": MODULE}, resource_link="course-7-link"
    )
    assert response.status_code == 303, response.text
    async with sessions() as session:
        rows = (await session.execute(select(LtiLink.resource_link_id, LtiLink.module_id))).all()
    assert [tuple(r) for r in rows] == [("course-7-link", MODULE)]
    # ... and opens its module without it.
    response = await launch(lti_client, canvas, "u2", custom={}, resource_link="course-7-link")
    assert response.status_code == 303, response.text
    assert fragment(response)["module"] == MODULE
    # Per registration: the same link id from another platform maps to nothing.
    response = await launch(lti_client, moodle, "u3", custom={}, resource_link="course-7-link")
    assert response.status_code == 422, response.text
