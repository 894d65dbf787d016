"""The staff roster from a district's OneRoster 1.1/1.2 REST server on a schedule: the
dispatcher's sweep signs in with OAuth 2 client credentials through the guarded client, pages
through orgs and users, imports through the CSV bundle's mapping and row checks (all or
nothing), and records each run; a bad answer is a recorded failure with nothing written."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.db import Sessions
from api.models import OneRosterSource, RosterEmployee, utcnow
from api.outbound import make_client
from api.roster.onerosterrest import Source
from api.roster.schedule import configure, oneroster_sweep
from api.runtime import Runtime
from api.settings import Settings
from tests.conftest import Tenant, make_tenant
from tests.hr.oneroster_server import CLIENT_ID, CLIENT_SECRET, TOKEN, OneRosterServer

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]

ORGS = [
    {"sourcedId": "d1", "status": "active", "name": "District", "type": "district", "identifier": ""},
    {
        "sourcedId": "s1",
        "status": "active",
        "name": "Lincoln Elementary",
        "type": "school",
        "identifier": "S-001",
    },
    {"sourcedId": "s2", "status": "active", "name": "Roosevelt Middle", "type": "school", "identifier": ""},
]


def user(sid: str, given: str, role: str, orgs: list[str], version: str, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "sourcedId": sid,
        "status": "active",
        "enabledUser": True if version == "1.2" else "true",
        "givenName": given,
        "familyName": "Doe",
        "identifier": f"E-{sid}",
        "email": f"{sid}@district.example",
        **extra,
    }
    if version == "1.1":
        record |= {"role": role, "orgs": [{"sourcedId": o, "type": "org"} for o in orgs]}
    else:
        record["roles"] = [
            {"roleType": "primary" if i == 0 else "secondary", "role": role, "org": {"sourcedId": o}}
            for i, o in enumerate(orgs)
        ]
    return record


def users(version: str) -> list[dict[str, Any]]:
    return [
        user("t1", "Ana", "teacher", ["s1"], version),
        user("a1", "Ben", "aide", ["s2"], version),
        user("st1", "Cal", "student", ["s1"], version),
        user("x1", "Dee", "administrator", ["d1"], version),
        user("t2", "Eve", "teacher", ["d1", "s2"], version),
    ]


@pytest.fixture
def outbound(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, outbound_allowlist=["127.0.0.1"])


@pytest.fixture
async def http(outbound: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(outbound) as client:  # the guarded client, loopback allowed
        yield client


@pytest.fixture(params=["1.1", "1.2"])
def server(request: pytest.FixtureRequest) -> Iterator[OneRosterServer]:
    with OneRosterServer(request.param, ORGS, users(request.param)).running() as s:
        yield s


async def add_source(
    runtime: Runtime, tenant: Tenant, server: OneRosterServer, secret: str = CLIENT_SECRET
) -> None:
    source = Source(
        base_url=server.base_url,
        version="1.1" if server.version == "1.1" else "1.2",
        token_url=f"{server.base_url}/token",
        client_id=CLIENT_ID,
        client_secret=secret,
    )
    await configure(runtime.sessions, runtime.box(), tenant.id, source, every_hours=24)


async def staff(sessions: Sessions, tenant: Tenant) -> dict[str, tuple[str, str, str]]:
    async with sessions.begin() as session:
        rows = await session.scalars(select(RosterEmployee).where(RosterEmployee.district_id == tenant.id))
        return {r.employee_id: (r.name, r.school_code, r.role_code) for r in rows}


async def state(sessions: Sessions, tenant: Tenant) -> OneRosterSource:
    async with sessions.begin() as session:
        row = await session.get(OneRosterSource, tenant.id)
        assert row is not None
        return row


async def test_a_due_source_is_imported_page_by_page(
    runtime: Runtime, http: httpx.AsyncClient, district_a: Tenant, district_b: Tenant, server: OneRosterServer
) -> None:
    await add_source(runtime, district_a, server)
    sweep = oneroster_sweep(http, runtime.box())
    assert await sweep(runtime.sessions, utcnow()) == 1
    assert await staff(runtime.sessions, district_a) == {
        "E-t1": ("Ana Doe", "S-001", "teacher"),
        "E-a1": ("Ben Doe", "s2", "aide"),
        "E-x1": ("Dee Doe", "", "administrator"),
        "E-t2": ("Eve Doe", "s2", "teacher"),
    }
    assert await staff(runtime.sessions, district_b) == {}  # another district's roster untouched
    row = await state(runtime.sessions, district_a)
    assert (row.last_outcome, row.last_created, row.last_updated) == ("imported", 4, 0)
    assert "1 skipped" in row.last_detail
    assert row.client_secret_sealed != CLIENT_SECRET and CLIENT_SECRET not in row.client_secret_sealed
    # Token first, then every page of 2 (the server's cap) by limit/offset until X-Total-Count.
    path = server.base_url and (
        "/ims/oneroster/v1p1" if server.version == "1.1" else "/ims/oneroster/rostering/v1p2"
    )
    assert server.requests == [
        "POST /token",
        f"GET {path}/orgs?limit=500&offset=0",
        f"GET {path}/orgs?limit=500&offset=2",
        f"GET {path}/users?limit=500&offset=0",
        f"GET {path}/users?limit=500&offset=2",
        f"GET {path}/users?limit=500&offset=4",
    ]
    # Not due again for a day; then the next run updates.
    assert await sweep(runtime.sessions, utcnow() + timedelta(hours=1)) == 0
    assert await sweep(runtime.sessions, utcnow() + timedelta(hours=25)) == 1
    row = await state(runtime.sessions, district_a)
    assert (row.last_outcome, row.last_created, row.last_updated) == ("imported", 0, 4)


async def test_many_sweeps_at_once_run_a_source_once(
    runtime: Runtime, http: httpx.AsyncClient, district_a: Tenant, server: OneRosterServer
) -> None:
    await add_source(runtime, district_a, server)
    sweep = oneroster_sweep(http, runtime.box())
    now = utcnow()
    ran = await asyncio.gather(*(sweep(runtime.sessions, now) for _ in range(4)))
    assert sorted(ran) == [0, 0, 0, 1]
    assert server.requests.count("POST /token") == 1


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ("token", "token endpoint"),
        ("status", "answered 503 at offset 2"),
        ("json", "did not answer JSON at offset 2"),
        ("shape", "did not answer a list of users"),
    ],
)
async def test_a_bad_answer_is_recorded_and_writes_nothing(
    runtime: Runtime,
    http: httpx.AsyncClient,
    district_a: Tenant,
    server: OneRosterServer,
    fault: str,
    says: str,
) -> None:
    await add_source(runtime, district_a, server)
    server.fault = fault
    assert await oneroster_sweep(http, runtime.box())(runtime.sessions, utcnow()) == 1
    assert await staff(runtime.sessions, district_a) == {}
    row = await state(runtime.sessions, district_a)
    assert row.last_outcome == "failed" and says in row.last_detail, row.last_detail
    assert row.next_run_at > utcnow() + timedelta(hours=23)  # tried again at the next run, not in a loop


async def test_a_bad_record_imports_nothing(
    runtime: Runtime, http: httpx.AsyncClient, district_a: Tenant, server: OneRosterServer
) -> None:
    records = server.collections["users"]
    records[1] = {**records[1], "email": "not-an-email"}
    await add_source(runtime, district_a, server)
    await oneroster_sweep(http, runtime.box())(runtime.sessions, utcnow())
    assert await staff(runtime.sessions, district_a) == {}  # all or nothing, as for a CSV bundle
    row = await state(runtime.sessions, district_a)
    assert row.last_outcome == "failed"
    assert "users.csv line 2" in row.last_detail and "email" in row.last_detail, row.last_detail


async def test_a_wrong_secret_is_refused_by_the_server(
    runtime: Runtime, http: httpx.AsyncClient, district_a: Tenant, server: OneRosterServer
) -> None:
    await add_source(runtime, district_a, server, secret="wrong")
    await oneroster_sweep(http, runtime.box())(runtime.sessions, utcnow())
    row = await state(runtime.sessions, district_a)
    assert row.last_outcome == "failed" and "401" in row.last_detail
    assert all(not r.startswith("GET") for r in server.requests)  # no token, no roster read
    assert TOKEN not in row.last_detail


async def test_internal_addresses_are_refused_by_the_guarded_client(
    runtime: Runtime, settings: Settings, district_a: Tenant, server: OneRosterServer
) -> None:
    """Without loopback on the allowlist (production), the guard refuses the SIS URL."""
    await add_source(runtime, district_a, server)
    async with make_client(settings) as guarded:
        await oneroster_sweep(guarded, runtime.box())(runtime.sessions, utcnow())
    row = await state(runtime.sessions, district_a)
    assert row.last_outcome == "failed" and "could not be reached" in row.last_detail, row.last_detail
    assert server.requests == []


async def test_an_admin_sets_up_the_source_by_the_api(
    client: Client,
    runtime: Runtime,
    http: httpx.AsyncClient,
    district_a: Tenant,
    district_b: Tenant,
    server: OneRosterServer,
) -> None:
    """PUT the source, its first run comes at the next sweep, GET shows the outcome and never the
    secret; another district sees none of it; run-now and DELETE."""
    path = "/api/v1/roster/oneroster/source"
    body = {
        "base_url": server.base_url,
        "version": server.version,
        "token_url": f"{server.base_url}/token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "every_hours": 12,
    }
    put = await client.put(path, json=body, headers=district_a.headers)
    assert put.status_code == 200, put.text
    assert CLIENT_SECRET not in put.text and put.json()["last_outcome"] == ""
    assert await oneroster_sweep(http, runtime.box())(runtime.sessions, utcnow()) == 1
    got = (await client.get(path, headers=district_a.headers)).json()
    assert (got["last_outcome"], got["last_created"], got["every_hours"]) == ("imported", 4, 12)
    assert CLIENT_SECRET not in str(got)
    assert (await client.get(path, headers=district_b.headers)).status_code == 404
    assert (await client.post(f"{path}/run", headers=district_b.headers)).status_code == 404
    assert (await client.post(f"{path}/run", headers=district_a.headers)).status_code == 202
    assert await oneroster_sweep(http, runtime.box())(runtime.sessions, utcnow()) == 1  # due again
    assert (await client.delete(path, headers=district_b.headers)).status_code == 404
    assert (await client.delete(path, headers=district_a.headers)).status_code == 204
    assert (await client.get(path, headers=district_a.headers)).status_code == 404
    assert len(await staff(runtime.sessions, district_a)) == 4  # the roster stays


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"base_url": "sis.example.org"}, "base_url"),
        ({"token_url": "ftp://sis.example.org/token"}, "token_url"),
        ({"version": "1.0"}, "version"),
        ({"every_hours": 0}, "every_hours"),
        ({"client_secret": ""}, "client_secret"),
        ({"password": "x"}, "password"),
    ],
)
async def test_a_bad_source_is_a_422_and_stores_nothing(
    client: Client, runtime: Runtime, district_a: Tenant, change: dict[str, Any], field: str
) -> None:
    body = {
        "base_url": "https://sis.example.org",
        "version": "1.2",
        "token_url": "https://sis.example.org/token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **change,
    }
    response = await client.put("/api/v1/roster/oneroster/source", json=body, headers=district_a.headers)
    assert response.status_code in (400, 422), response.text
    assert field in response.text
    async with runtime.sessions.begin() as session:
        assert await session.get(OneRosterSource, district_a.id) is None


async def test_only_admin_keys_manage_the_source(client: Client, runtime: Runtime) -> None:
    reader = await make_tenant(runtime.sessions, "district-r", ["hr:read"])
    path = "/api/v1/roster/oneroster/source"
    assert (await client.get(path, headers=reader.headers)).status_code == 403
    assert (await client.get(path)).status_code == 401
