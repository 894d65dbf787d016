"""The console's sign-in against a real OpenID Connect provider on loopback (Authlib's server
side, tests/console/idp.py), its session on the JSON API, CSRF, expiry, a principal's school,
and each refusal (wrong domain, replayed state or code, an id_token for another client, another
district's URL) changing nothing."""

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from api.app import create_app
from api.db import Sessions
from api.models import ApiKey, ConsoleProvider, ConsoleSession, utcnow
from api.settings import Settings
from tests.conftest import Tenant
from tests.console.idp import Provider

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]
BASE = "https://testserver.local"
SECRET = "console-client-secret"
ADMIN = {"sub": "u-1", "name": "Ada Admin", "email": "ada@district-a.org", "email_verified": True}
PRINCIPAL = {
    "sub": "u-2",
    "name": "Pat Principal",
    "email": "pat@district-a.org",
    "email_verified": True,
    "groups": ["principals-lincoln"],
}
ROLES = [
    {"role": "district_admin", "email": "ada@district-a.org"},
    {"role": "principal", "group": "principals-lincoln", "school": "LIN"},
]
ROSTER = (
    "employee_id,name,email,school_code,school_name,department,role_code,role_title,status\n"
    "E1,Ana Ruiz,ana@district-a.org,LIN,Lincoln Elementary,Front office,SEC,Secretary,active\n"
    "E2,Bo Chen,bo@district-a.org,WAS,Washington Middle,Front office,REG,Registrar,active\n"
)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    console = msgspec.structs.replace(
        settings,
        secret_key="console-tests-secret-key-of-32-bytes!",
        base_url=BASE,
        outbound_allowlist=["127.0.0.1"],
        console_allow_http=True,  # the test provider speaks plain http on loopback
    )
    async with AsyncTestClient(app=create_app(console), base_url=BASE) as client:
        yield client


@pytest.fixture
def idp() -> Iterator[Provider]:
    with Provider("console-a", SECRET, f"{BASE}/console/callback").running() as provider:
        yield provider


async def configure(client: Client, tenant: Tenant, idp: Provider, client_id: str = "console-a") -> None:
    body = {
        "issuer": idp.issuer,
        "client_id": client_id,
        "client_secret": SECRET,
        "allowed_domains": ["district-a.org"],
        "roles": ROLES,
    }
    response = await client.put("/api/v1/console/provider", json=body, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert "client_secret" not in response.json()
    assert response.json()["redirect_uri"] == f"{BASE}/console/callback"


async def start(client: Client, idp: Provider, person: dict[str, Any], slug: str = "district-a") -> str:
    """Start a sign-in and let the provider answer it: the callback URL it sends the browser to."""
    idp.person = person
    response = await client.get(f"/console/{slug}/login", follow_redirects=False)
    assert response.status_code == 302, response.text
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(response.headers["location"], follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = answer.headers["location"]
    assert back.startswith(f"{BASE}/console/callback?")
    url = urlsplit(back)
    return f"{url.path}?{url.query}"


async def sign_in(client: Client, idp: Provider, person: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(await start(client, idp, person), follow_redirects=False)
    assert response.status_code == 303, response.text
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("__Host-fo_console="))
    assert all(flag in session.lower() for flag in ("httponly", "secure", "samesite=lax", "path=/"))
    me = await client.get("/console/district-a/session")
    assert me.status_code == 200, me.text
    return me.json()  # type: ignore[no-any-return]


async def count(sessions: Sessions, model: Any) -> int:
    async with sessions() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_sign_in_csrf_audit_and_sign_out(
    client: Client, idp: Provider, district_a: Tenant, sessions: Sessions
) -> None:
    await configure(client, district_a, idp)
    me = await sign_in(client, idp, ADMIN)
    assert (me["name"], me["role"], me["school"]) == ("Ada Admin", "district_admin", "")
    assert "admin" in me["scopes"] and me["csrf_token"]

    # The session authenticates the public JSON API, without a key.
    assert (await client.get("/api/v1/keys")).status_code == 200
    keys = await count(sessions, ApiKey)
    for headers in ({}, {"X-CSRF-Token": "forged-" + me["csrf_token"]}):
        refused = await client.post(
            "/api/v1/keys", json={"name": "x", "scopes": ["hr:read"]}, headers=headers
        )
        assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert await count(sessions, ApiKey) == keys  # nothing written
    made = await client.post(
        "/api/v1/keys",
        json={"name": "from the console", "scopes": ["hr:read"]},
        headers={"X-CSRF-Token": me["csrf_token"]},
    )
    assert made.status_code == 201, made.text

    audit = (await client.get("/api/v1/audit", headers=district_a.headers)).json()
    actions = {(e["action"], e["actor"]) for e in audit}
    assert ("console.sign_in", "Ada Admin <ada@district-a.org>") in actions
    assert ("console.call", "Ada Admin <ada@district-a.org>") in actions

    assert (await client.post("/console/district-a/logout")).status_code == 403  # CSRF here too
    out = await client.post("/console/district-a/logout", headers={"X-CSRF-Token": me["csrf_token"]})
    assert out.status_code == 204
    assert (await client.get("/console/district-a/session")).status_code == 401


async def test_refused_sign_ins_make_no_session(
    client: Client, idp: Provider, district_a: Tenant, sessions: Sessions
) -> None:
    await configure(client, district_a, idp)
    cases = [
        ({**ADMIN, "email": "ada@elsewhere.org"}, 403, "domains"),
        ({**ADMIN, "email_verified": False}, 403, "verified"),
        ({**ADMIN, "email": "nobody@district-a.org"}, 403, "no console role"),
    ]
    for person, status, words in cases:
        response = await client.get(await start(client, idp, person), follow_redirects=False)
        assert response.status_code == status and words in response.json()["detail"], response.text

    # A provider issuing the id_token for another client: its audience is refused.
    idp.audience = "another-client"
    response = await client.get(await start(client, idp, ADMIN), follow_redirects=False)
    assert response.status_code == 401 and "aud" in response.json()["detail"], response.text
    idp.audience = None

    # A sign-in started in another browser (no state cookie here) is refused.
    callback = await start(client, idp, ADMIN)
    client.cookies.clear()
    response = await client.get(callback, follow_redirects=False)
    assert response.status_code == 400 and "browser" in response.json()["detail"]
    assert await count(sessions, ConsoleSession) == 0

    # A state and code used once are refused the second time.
    callback = await start(client, idp, ADMIN)
    login_cookie = dict(client.cookies)
    assert (await client.get(callback, follow_redirects=False)).status_code == 303
    client.cookies.clear()
    client.cookies.update(login_cookie)
    replay = await client.get(callback, follow_redirects=False)
    assert replay.status_code == 400 and "used already" in replay.json()["detail"]
    assert await count(sessions, ConsoleSession) == 1

    # A client secret sealed under another FRONTOFFICE_SECRET_KEY: a 409 saying what to do.
    async with sessions.begin() as session:
        await session.execute(update(ConsoleProvider).values(client_secret_sealed="sealed-elsewhere"))
    response = await client.get(await start(client, idp, ADMIN), follow_redirects=False)
    assert response.status_code == 409 and "enter the client secret again" in response.json()["detail"]
    assert await count(sessions, ConsoleSession) == 1


async def test_principal_sees_only_their_school(client: Client, idp: Provider, district_a: Tenant) -> None:
    await configure(client, district_a, idp)
    put = await client.put(
        "/api/v1/roster", content=ROSTER.encode(), headers={**district_a.headers, "Content-Type": "text/csv"}
    )
    assert put.status_code == 200, put.text
    me = await sign_in(client, idp, PRINCIPAL)
    assert (me["role"], me["school"]) == ("principal", "LIN")

    roster = await client.get("/api/v1/roster")
    assert [e["employee_id"] for e in roster.json()["items"]] == ["E1"]
    outstanding = await client.get("/api/v1/outstanding", params={"module": "who-are-our-customers"})
    assert [e["employee_id"] for e in outstanding.json()] == ["E1"]
    assert (await client.get("/api/v1/completions")).status_code == 200
    # Another school, and routes that are not limited to one school, are refused.
    assert (await client.get("/api/v1/roster", params={"school": "WAS"})).status_code == 403
    assert (await client.get("/api/v1/completions/export.csv", params={"school": "WAS"})).status_code == 403
    # The summaries are limited to their school too (the console's charts read them).
    schools = await client.get("/api/v1/summaries/schools")
    assert [g["code"] for g in schools.json()["groups"]] == ["LIN"], schools.text
    assert (await client.get("/api/v1/summaries/roles", params={"school": "WAS"})).status_code == 403
    assert (await client.get("/api/v1/keys")).status_code == 403
    # Course content and the feedback card's labels are no district's data: theirs to read.
    modules = await client.get("/api/v1/modules", params={"lang": "es"})
    assert modules.status_code == 200 and modules.json()[0]["title"], modules.text
    assert "who-are-our-customers" in [m["id"] for m in modules.json()]
    card = await client.get("/api/v1/feedback/card", params={"lang": "es"})
    assert card.status_code == 200 and card.json()["language"] == "es", card.text
    # Each read is in the audit log under the principal's name.
    audit = (await client.get("/api/v1/audit?limit=100", headers=district_a.headers)).json()
    named = {(e["action"], e["actor"]) for e in audit}
    for action in ("list", "summary", "outstanding"):
        assert (action, "Pat Principal <pat@district-a.org>") in named, sorted(named)


async def test_a_principal_s_inbox_is_their_school_s(
    client: Client, idp: Provider, district_a: Tenant
) -> None:
    await configure(client, district_a, idp)
    ids = {}
    for code in ("LIN", "WAS"):
        school = await client.post(
            "/api/v1/feedback/schools",
            json={"code": code, "name": f"School {code}"},
            headers=district_a.headers,
        )
        assert school.status_code == 201, school.text
        ids[code] = school.json()["id"]
        concern = {"school_id": ids[code], "reason": "enrollment", "summary": f"A concern at {code}"}
        made = await client.post("/api/v1/dialogues", json=concern, headers=district_a.headers)
        assert made.status_code == 201, made.text
        ids[f"{code}-dialogue"] = made.json()["id"]
    me = await sign_in(client, idp, PRINCIPAL)
    csrf = {"X-CSRF-Token": me["csrf_token"]}
    assert {"dialogues:read", "dialogues:write"} <= set(me["scopes"])

    listed = (await client.get("/api/v1/dialogues")).json()["items"]
    assert [d["summary"] for d in listed] == ["A concern at LIN"]
    assert (await client.get("/api/v1/dialogues", params={"school_id": ids["WAS"]})).json()["items"] == []
    summary = (await client.get("/api/v1/dialogues/summary")).json()
    assert [s["code"] for s in summary["schools"]] == ["LIN"]
    # Their school's concern is theirs to work; the other school's is not found, and unchanged.
    note = {"author": "pat@district-a.org", "text": "Called the family back."}
    mine = await client.post(f"/api/v1/dialogues/{ids['LIN-dialogue']}/notes", json=note, headers=csrf)
    assert mine.status_code == 201, mine.text
    other = ids["WAS-dialogue"]
    assert (await client.get(f"/api/v1/dialogues/{other}")).status_code == 404
    assert (await client.post(f"/api/v1/dialogues/{other}/notes", json=note, headers=csrf)).status_code == 404
    closing = await client.patch(f"/api/v1/dialogues/{other}", json={"status": "closed"}, headers=csrf)
    assert closing.status_code == 404
    entered = await client.post(
        "/api/v1/dialogues",
        json={"school_id": ids["WAS"], "reason": "enrollment", "summary": "Not theirs"},
        headers=csrf,
    )
    assert entered.status_code == 422 and entered.json()["errors"][0]["field"] == "$.school_id"
    was = (await client.get(f"/api/v1/dialogues/{other}", headers=district_a.headers)).json()
    assert (was["status"], was["notes"]) == ("open", [])
    everything = (await client.get("/api/v1/dialogues", headers=district_a.headers)).json()["items"]
    assert len(everything) == 2


async def test_idle_and_absolute_expiry(
    client: Client, idp: Provider, district_a: Tenant, sessions: Sessions
) -> None:
    await configure(client, district_a, idp)
    await sign_in(client, idp, ADMIN)
    async with sessions.begin() as session:
        await session.execute(update(ConsoleSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    assert (await client.get("/api/v1/keys")).status_code == 401  # idle

    await sign_in(client, idp, ADMIN)
    async with sessions.begin() as session:
        # Busy all along, but past its 12 hours.
        await session.execute(update(ConsoleSession).values(last_seen_at=utcnow(), expires_at=utcnow()))
    expired = await client.get("/api/v1/keys")
    assert expired.status_code == 401 and "sign in again" in expired.json()["detail"]


async def test_session_is_for_its_own_district(
    client: Client, idp: Provider, district_a: Tenant, district_b: Tenant
) -> None:
    await configure(client, district_a, idp)
    await sign_in(client, idp, ADMIN)
    other = await client.get("/console/district-b/session")
    assert other.status_code == 403 and "district-a" in other.json()["detail"]
    # The API answers with district A's data only.
    mine = await client.get("/api/v1/district")
    assert mine.json()["slug"] == "district-a"
    # The console's own routes are for sessions, not keys.
    keyed = await client.get("/console/district-b/session", headers=district_b.headers)
    assert keyed.status_code == 403 and "console" in keyed.json()["detail"]
    # And district B's sign-in is not district A's: no provider there.
    assert (await client.get("/console/district-b/login", follow_redirects=False)).status_code == 404


async def test_a_session_answer_is_never_served_to_another_caller(
    client: Client, idp: Provider, district_a: Tenant
) -> None:
    await configure(client, district_a, idp)
    await sign_in(client, idp, ADMIN)
    # The content routes' response cache is keyed by the Authorization header, which a session
    # does not send: a caller with no credential right after must not get the session's answer.
    assert (await client.get("/api/v1/modules")).status_code == 200
    client.cookies.clear()
    assert (await client.get("/api/v1/modules")).status_code == 401
