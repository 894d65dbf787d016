"""Reaching the district console through an LTI launch (the link's custom parameter
`view=console`), from a real platform (lti1p3platform): an instructor opens it as a facilitator,
an LMS administrator the district's rules name by email as that role, an instructor never more
than a facilitator whatever their email; a learner, a launch in the LMS's frame and a replay are
refused and open nothing."""

import pytest
from sqlalchemy import func, select

from api.db import Sessions
from api.models import ConsoleSession
from tests.conftest import Tenant
from tests.lti.conftest import BASE, INSTRUCTOR, LEARNER, Client, launch, login, register
from tests.lti.platform import Platform

pytestmark = pytest.mark.anyio
CONSOLE = {"view": "console"}
LMS_ADMIN = ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"]
ADA = "ada@district-a.org"


async def console_rules(client: Client, tenant: Tenant) -> None:
    """The district's console rules (its sign-in provider need not be reachable for these)."""
    body = {
        "issuer": "https://accounts.district-a.org",
        "client_id": "console",
        "client_secret": "secret",
        "allowed_domains": ["district-a.org"],
        "roles": [{"role": "district_admin", "email": ADA}],
    }
    response = await client.put("/api/v1/console/provider", json=body, headers=tenant.headers)
    assert response.status_code == 200, response.text


async def opened(sessions: Sessions) -> int:
    async with sessions() as session:
        return (await session.execute(select(func.count()).select_from(ConsoleSession))).scalar_one()


async def session_of(client: Client, tenant: Tenant, cookie: str) -> dict:  # type: ignore[type-arg]
    response = await client.get(
        f"/console/{tenant.slug}/session", headers={"Cookie": f"__Host-fo_console={cookie}"}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def console_cookie(response: object) -> str:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    found = [h for h in headers if h.startswith("__Host-fo_console=")]
    assert len(found) == 1, headers
    assert all(part in found[0].lower() for part in ("httponly", "secure", "samesite=lax", "path=/"))
    return str(found[0].split(";", 1)[0].split("=", 1)[1])


async def test_an_instructor_opens_the_console_as_a_facilitator(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    await console_rules(lti_client, district_a)
    # Named district_admin by email, but an instructor's email is not trusted for more.
    response = await launch(
        lti_client, canvas, "teacher-1", roles=INSTRUCTOR, custom=CONSOLE, name="Ada Teacher", email=ADA
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{BASE}/console/{district_a.slug}/"
    me = await session_of(lti_client, district_a, console_cookie(response))
    assert (me["role"], me["name"], me["school"]) == ("facilitator", "Ada Teacher", "")
    assert "admin" not in me["scopes"] and "hr:read" not in me["scopes"]
    keys = await lti_client.get(
        "/api/v1/keys", headers={"Cookie": f"__Host-fo_console={console_cookie(response)}"}
    )
    assert keys.status_code == 403
    audit = (await lti_client.get("/api/v1/audit?action=console.sign_in", headers=district_a.headers)).json()
    assert [(e["actor"], e["filters"]) for e in audit] == [
        (f"Ada Teacher <{ADA}>", {"role": "facilitator", "school": "", "via": "lti"})
    ]


async def test_an_lms_administrator_gets_the_role_the_district_gave_their_email(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    await console_rules(lti_client, district_a)
    named = await launch(
        lti_client, canvas, "admin-1", roles=LMS_ADMIN, custom=CONSOLE, name="Ada Admin", email=ADA
    )
    cookie = console_cookie(named)
    me = await session_of(lti_client, district_a, cookie)
    assert me["role"] == "district_admin" and "admin" in me["scopes"]
    assert (
        await lti_client.get("/api/v1/keys", headers={"Cookie": f"__Host-fo_console={cookie}"})
    ).status_code == 200
    # An administrator the rules do not name, or named at another domain, is a facilitator.
    other = await launch(
        lti_client, canvas, "admin-2", roles=LMS_ADMIN, custom=CONSOLE, email="it@district-a.org"
    )
    assert (await session_of(lti_client, district_a, console_cookie(other)))["role"] == "facilitator"
    assert await opened(sessions) == 2


async def test_refused_launches_open_nothing(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    learner = await launch(lti_client, canvas, "learner-1", roles=LEARNER, custom=CONSOLE)
    assert learner.status_code == 403 and "instructors and LMS administrators" in learner.json()["detail"]

    # Inside the LMS's frame the cookie would be dropped: refused with what to change.
    auth = await login(lti_client, canvas, "teacher-2")
    form = canvas.launch(auth, sub="teacher-2", roles=INSTRUCTOR, custom=CONSOLE)
    fields = {"id_token": form["id_token"], "state": form["state"]}
    framed = await lti_client.post(
        "/lti/launch", data=fields, headers={"Sec-Fetch-Dest": "iframe"}, follow_redirects=False
    )
    assert framed.status_code == 403 and "new window" in framed.json()["detail"]

    # A launch replayed after it opened the console opens no second session.
    auth = await login(lti_client, canvas, "teacher-3")
    form = canvas.launch(auth, sub="teacher-3", roles=INSTRUCTOR, custom=CONSOLE)
    fields = {"id_token": form["id_token"], "state": form["state"]}
    first = await lti_client.post("/lti/launch", data=fields, follow_redirects=False)
    assert first.status_code == 303, first.text
    replay = await lti_client.post("/lti/launch", data=fields, follow_redirects=False)
    assert replay.status_code == 401, replay.text
    assert await opened(sessions) == 1
