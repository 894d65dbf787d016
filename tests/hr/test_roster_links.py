"""The roster read back (search, filters, pages) and HR's links by hand between an unmatched
learner and a roster employee: audited, counted in coverage and records, kept per district."""

import uuid

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.db import Sessions
from api.models import AuditEntry, Learner
from tests.conftest import Tenant, make_tenant
from tests.hr.seed import add_completion, add_learner, current_modules

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]

ROSTER = {
    "employees": [
        {"employee_id": "E1", "name": "Ana Ruiz", "email": "Ana.Ruiz@District.org", "school_code": "LIN",
         "role_code": "SEC"},
        {"employee_id": "E2", "name": "Bo Chen", "email": "bo@district.org", "school_code": "WAS",
         "role_code": "REG"},
        {"employee_id": "E3", "name": "Cy Ruizdael", "school_code": "LIN", "role_code": "REG"},
        {"employee_id": "X4", "name": "Di Park", "email": "di@other.org", "school_code": "WAS",
         "role_code": "SEC", "status": "inactive"},
        {"employee_id": "E5", "name": "Ed 100%_off", "school_code": "LIN", "role_code": "SEC"},
    ]
}  # fmt: skip


async def load_roster(client: Client, tenant: Tenant) -> None:
    response = await client.put("/api/v1/roster", json=ROSTER, headers=tenant.headers)
    assert response.status_code == 200 and response.json()["created"] == 5, response.text


async def ids(client: Client, tenant: Tenant, query: str) -> list[str]:
    response = await client.get(f"/api/v1/roster?{query}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return [e["employee_id"] for e in response.json()["items"]]


async def audit_count(sessions: Sessions, action: str) -> int:
    async with sessions() as session:
        count = await session.scalar(select(func.count()).where(AuditEntry.action == action))
    return count or 0


async def test_roster_search_filters_and_pages(
    client: Client, district_a: Tenant, district_b: Tenant
) -> None:
    await load_roster(client, district_a)
    assert await ids(client, district_a, "") == ["E1", "E2", "E3", "E5", "X4"]
    # Substring in either case, across name, email and employee id.
    assert await ids(client, district_a, "q=RUIZ") == ["E1", "E3"]
    assert await ids(client, district_a, "q=District.ORG") == ["E1", "E2"]
    assert await ids(client, district_a, "q=x4") == ["X4"]
    # LIKE's wildcards in the search are plain characters.
    assert await ids(client, district_a, "q=%25_") == ["E5"]
    assert await ids(client, district_a, "school=LIN&role=SEC") == ["E1", "E5"]
    assert await ids(client, district_a, "status=inactive") == ["X4"]
    assert await ids(client, district_a, "q=ruiz&role=REG") == ["E3"]
    first = (await client.get("/api/v1/roster?limit=2", headers=district_a.headers)).json()
    assert first["items"][0] == {
        "employee_id": "E1",
        "name": "Ana Ruiz",
        "email": "Ana.Ruiz@District.org",
        "school_code": "LIN",
        "school_name": "",
        "department": "",
        "role_code": "SEC",
        "role_title": "",
        "status": "active",
        "linked_learner_id": None,
        "updated_at": first["items"][0]["updated_at"],
    }
    seen = [e["employee_id"] for e in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = (
            await client.get(f"/api/v1/roster?limit=2&cursor={cursor}", headers=district_a.headers)
        ).json()
        seen += [e["employee_id"] for e in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ["E1", "E2", "E3", "E5", "X4"]
    # A cursor is bound to its filters and its district.
    other = await client.get(
        f"/api/v1/roster?limit=2&school=LIN&cursor={first['next_cursor']}", headers=district_a.headers
    )
    assert other.status_code == 400 and "cursor" in other.json()["detail"]
    foreign = await client.get(
        f"/api/v1/roster?limit=2&cursor={first['next_cursor']}", headers=district_b.headers
    )
    assert foreign.status_code == 400
    assert await ids(client, district_b, "") == []
    bad = await client.get("/api/v1/roster?status=retired", headers=district_a.headers)
    assert bad.status_code == 400
    # Each read of staff names and emails is in the reader's district's audit log, with its filters.
    audit = (await client.get("/api/v1/audit?action=roster.list", headers=district_a.headers)).json()
    assert {"q": "ruiz", "school": "", "role": "REG", "status": "", "cursor": ""} in [
        a["filters"] for a in audit
    ]
    assert {a["row_count"] for a in audit if a["filters"]["q"] == "x4"} == {1}
    theirs = (await client.get("/api/v1/audit?action=roster.list", headers=district_b.headers)).json()
    assert [a["row_count"] for a in theirs] == [0]


async def test_link_counts_the_learner_for_the_employee_and_is_audited(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    await load_roster(client, district_a)
    module_id, version = next(iter((await current_modules(sessions)).items()))
    # No employee id, no email: nothing matches this learner today.
    learner = await add_learner(sessions, district_a.id, "lms-ana", name="A. Ruiz")
    await add_completion(sessions, district_a.id, learner, module_id, version)

    async def outstanding() -> list[str]:
        response = await client.get(f"/api/v1/outstanding?module={module_id}", headers=district_a.headers)
        assert response.status_code == 200, response.text
        return [o["employee_id"] for o in response.json()]

    assert "E1" in await outstanding()
    unmatched = await client.get("/api/v1/roster/unmatched", headers=district_a.headers)
    assert [u["learner_id"] for u in unmatched.json()] == [str(learner)]
    assert await audit_count(sessions, "roster.unmatched") == 1

    linked = await client.put(
        f"/api/v1/roster/links/{learner}", json={"employee_id": "E1"}, headers=district_a.headers
    )
    assert linked.status_code == 200, linked.text
    assert linked.json() == {"learner_id": str(learner), "employee_id": "E1", "name": "Ana Ruiz"}
    assert "E1" not in await outstanding()
    assert (await client.get("/api/v1/roster/unmatched", headers=district_a.headers)).json() == []
    records = (await client.get("/api/v1/completions?employee=E1", headers=district_a.headers)).json()
    [record] = records["items"]
    assert record["employee"]["matched_by"] == "link"
    assert record["employee"]["name"] == "Ana Ruiz" and record["placement"]["school_code"] == "LIN"
    transcript = (await client.get("/api/v1/employees/E1/transcript", headers=district_a.headers)).json()
    assert len(transcript["records"]) == 1
    roster = (await client.get("/api/v1/roster?q=E1", headers=district_a.headers)).json()
    assert roster["items"][0]["linked_learner_id"] == str(learner)
    # The changes feed serves the record again, now under the employee.
    changes = (await client.get("/api/v1/completions/changes", headers=district_a.headers)).json()
    assert changes["items"][-1]["record"]["employee"]["employee_id"] == "E1"

    key_id = (await client.get("/api/v1/keys", headers=district_a.headers)).json()[0]["id"]
    audit = (await client.get("/api/v1/audit?action=roster.link", headers=district_a.headers)).json()
    assert [(a["key_id"], a["filters"], a["row_count"]) for a in audit] == [
        (key_id, {"learner_id": str(learner), "employee_id": "E1"}, 1)
    ]
    # Linking the same pair again changes nothing and logs nothing.
    again = await client.put(
        f"/api/v1/roster/links/{learner}", json={"employee_id": "E1"}, headers=district_a.headers
    )
    assert again.status_code == 200 and await audit_count(sessions, "roster.link") == 1

    unlinked = await client.delete(f"/api/v1/roster/links/{learner}", headers=district_a.headers)
    assert unlinked.status_code == 204, unlinked.text
    assert "E1" in await outstanding()
    audit = (await client.get("/api/v1/audit?action=roster.unlink", headers=district_a.headers)).json()
    assert [(a["key_id"], a["filters"]) for a in audit] == [
        (key_id, {"learner_id": str(learner), "employee_id": "E1"})
    ]
    gone = await client.delete(f"/api/v1/roster/links/{learner}", headers=district_a.headers)
    assert gone.status_code == 404 and "not linked" in gone.json()["detail"]


async def test_link_conflicts(client: Client, sessions: Sessions, district_a: Tenant) -> None:
    await load_roster(client, district_a)
    first = await add_learner(sessions, district_a.id, "lms-1")
    second = await add_learner(sessions, district_a.id, "lms-2")
    ok = await client.put(
        f"/api/v1/roster/links/{first}", json={"employee_id": "E2"}, headers=district_a.headers
    )
    assert ok.status_code == 200
    taken = await client.put(
        f"/api/v1/roster/links/{second}", json={"employee_id": "E2"}, headers=district_a.headers
    )
    assert taken.status_code == 409
    assert "E2" in taken.json()["detail"] and str(first) in taken.json()["detail"]
    moved = await client.put(
        f"/api/v1/roster/links/{first}", json={"employee_id": "E3"}, headers=district_a.headers
    )
    assert moved.status_code == 409 and "unlink them first" in moved.json()["detail"]
    async with sessions() as session:
        links = dict((await session.execute(select(Learner.id, Learner.roster_employee_id))).all())
    assert links[second] is None and links[first] is not None
    assert await audit_count(sessions, "roster.link") == 1


async def test_links_stay_in_their_district(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    await load_roster(client, district_a)
    await client.put(
        "/api/v1/roster",
        json={"employees": [{"employee_id": "B1", "name": "Bea"}]},
        headers=district_b.headers,
    )
    mine = await add_learner(sessions, district_a.id, "lms-a")
    theirs = await add_learner(sessions, district_b.id, "lms-b")
    # Another district's learner, or employee, is not found: nothing says it exists.
    for learner, employee, tenant in (
        (mine, "B1", district_b),
        (theirs, "E1", district_a),
        (mine, "B1", district_a),
    ):
        response = await client.put(
            f"/api/v1/roster/links/{learner}", json={"employee_id": employee}, headers=tenant.headers
        )
        assert response.status_code == 404, response.text
    assert (
        await client.delete(f"/api/v1/roster/links/{mine}", headers=district_b.headers)
    ).status_code == 404
    unknown = await client.put(
        f"/api/v1/roster/links/{uuid.uuid4()}", json={"employee_id": "E1"}, headers=district_a.headers
    )
    assert unknown.status_code == 404
    # Bad bodies and a key without the admin scope write nothing.
    for body in ({"employee_id": ""}, {"employee": "E1"}, {}):
        bad = await client.put(f"/api/v1/roster/links/{mine}", json=body, headers=district_a.headers)
        assert bad.status_code in (400, 422), bad.text
    reader = await make_tenant(sessions, "readers", ["hr:read"])
    denied = await client.put(
        f"/api/v1/roster/links/{mine}", json={"employee_id": "E1"}, headers=reader.headers
    )
    assert denied.status_code == 403
    assert (await client.get("/api/v1/roster", headers=reader.headers)).status_code == 200
    async with sessions() as session:
        assert await session.scalar(select(func.count()).where(Learner.roster_employee_id.is_not(None))) == 0
    assert await audit_count(sessions, "roster.link") == 0
