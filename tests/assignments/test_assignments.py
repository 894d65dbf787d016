"""Assignments: HR assigns modules to schools and roles with due dates; learners see them in
their progress, `/outstanding` marks the overdue, and the sweep sends `assignment.overdue` once
per assignment and employee, however many sweeps run at once."""

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.assignments.services import sweep_overdue
from api.db import Sessions
from api.models import Assignment, OutboxEvent, utcnow
from schemas.events import AssignmentOverdueEvent, typed
from tests.conftest import Tenant, make_tenant
from tests.hr.seed import add_completion, add_learner, current_modules

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]

ROSTER = {
    "employees": [
        {"employee_id": "E1", "name": "Ana Ruiz", "email": "ana@district.org", "school_code": "LIN",
         "role_code": "SEC"},
        {"employee_id": "E2", "name": "Bo Chen", "email": "bo@district.org", "school_code": "WAS",
         "role_code": "REG"},
        {"employee_id": "E3", "name": "Cy Diaz", "email": "cy@district.org", "school_code": "LIN",
         "role_code": "REG"},
        {"employee_id": "E4", "name": "Di Park", "school_code": "LIN", "role_code": "SEC",
         "status": "terminated"},
    ]
}  # fmt: skip
TODAY = datetime.now(UTC).date()


async def load_roster(client: Client, tenant: Tenant) -> None:
    response = await client.put("/api/v1/roster", json=ROSTER, headers=tenant.headers)
    assert response.status_code == 200 and response.json()["created"] == 4, response.text


async def assign(client: Client, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/assignments", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def assignment_rows(sessions: Sessions) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(Assignment)) or 0


async def overdue_events(sessions: Sessions) -> list[AssignmentOverdueEvent]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.type == "assignment.overdue")
            .order_by(OutboxEvent.created_at)
        )
        out = []
        for row in rows:
            event = typed(row.type, row.id, row.created_at, row.payload)
            assert isinstance(event, AssignmentOverdueEvent)
            out.append(event)
        return out


async def test_create_list_delete(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    module_id = next(iter(await current_modules(sessions)))
    tz = await client.patch(
        "/api/v1/district", json={"time_zone": "America/Chicago"}, headers=district_a.headers
    )
    assert tz.status_code == 200
    made = await assign(client, district_a, module_id=module_id, school_code="LIN", due_on="2027-01-15")
    assert made["module_id"] == module_id and made["school_code"] == "LIN" and made["role_code"] == ""
    assert made["due_on"] == "2027-01-15"
    # Due by the end of the 15th in Chicago: 06:00 UTC on the 16th.
    assert datetime.fromisoformat(made["due_at"]) == datetime(2027, 1, 16, 6, 0, tzinfo=UTC)
    both = await assign(
        client, district_a, module_id=module_id, school_code="LIN", role_code="SEC", due_on="2027-01-01"
    )
    listed = (await client.get("/api/v1/assignments", headers=district_a.headers)).json()
    assert [a["id"] for a in listed] == [both["id"], made["id"]]  # soonest due first
    assert (
        await client.get(f"/api/v1/assignments?module={module_id}", headers=district_a.headers)
    ).json() == listed
    assert (await client.get("/api/v1/assignments?module=nope", headers=district_a.headers)).json() == []
    again = await client.post(
        "/api/v1/assignments",
        json={"module_id": module_id, "school_code": "LIN", "due_on": "2027-02-01"},
        headers=district_a.headers,
    )
    assert again.status_code == 409 and made["id"] in again.json()["detail"]
    # Another district neither sees nor deletes them.
    assert (await client.get("/api/v1/assignments", headers=district_b.headers)).json() == []
    foreign = await client.delete(f"/api/v1/assignments/{made['id']}", headers=district_b.headers)
    assert foreign.status_code == 404
    deleted = await client.delete(f"/api/v1/assignments/{made['id']}", headers=district_a.headers)
    assert deleted.status_code == 204
    assert (
        await client.delete(f"/api/v1/assignments/{made['id']}", headers=district_a.headers)
    ).status_code == 404
    listed = (await client.get("/api/v1/assignments", headers=district_a.headers)).json()
    assert [a["id"] for a in listed] == [both["id"]]


async def test_bad_assignments_write_nothing(client: Client, sessions: Sessions, district_a: Tenant) -> None:
    module_id = next(iter(await current_modules(sessions)))
    unknown = await client.post(
        "/api/v1/assignments",
        json={"module_id": "nope", "role_code": "SEC", "due_on": "2027-01-15"},
        headers=district_a.headers,
    )
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["$.module_id"]
    nobody = await client.post(
        "/api/v1/assignments",
        json={"module_id": module_id, "due_on": "2027-01-15"},
        headers=district_a.headers,
    )
    assert nobody.status_code == 422 and nobody.json()["errors"][0]["field"] == "$.school_code"
    far = await client.post(
        "/api/v1/assignments",
        json={"module_id": module_id, "role_code": "SEC", "due_on": "9999-12-31"},
        headers=district_a.headers,
    )
    assert far.status_code == 422 and far.json()["errors"][0]["field"] == "$.due_on"
    for body in (
        {"module_id": module_id, "role_code": "SEC", "due_on": "2027-13-01"},
        {"module_id": module_id, "role_code": "SEC"},
        {"module_id": module_id, "role_code": "SEC", "due_on": "2027-01-15", "colour": "red"},
        {"module_id": module_id, "role_code": "S" * 51, "due_on": "2027-01-15"},
    ):
        bad = await client.post("/api/v1/assignments", json=body, headers=district_a.headers)
        assert bad.status_code in (400, 422), bad.text
    reader = await make_tenant(sessions, "readers", ["hr:read"])
    body = {"module_id": module_id, "role_code": "SEC", "due_on": "2027-01-15"}
    assert (await client.post("/api/v1/assignments", json=body, headers=reader.headers)).status_code == 403
    writer = await make_tenant(sessions, "writers", ["assignments:write"])
    assert (await client.get("/api/v1/assignments", headers=writer.headers)).status_code == 403
    assert await assignment_rows(sessions) == 0


async def test_overdue_in_outstanding_and_in_the_learners_progress(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    await load_roster(client, district_a)
    modules = await current_modules(sessions)
    module_id, version = next(iter(modules.items()))
    yesterday, later = TODAY - timedelta(days=1), TODAY + timedelta(days=30)
    await assign(client, district_a, module_id=module_id, school_code="LIN", due_on=yesterday.isoformat())
    await assign(client, district_a, module_id=module_id, role_code="REG", due_on=later.isoformat())

    async def outstanding(query: str = "") -> dict[str, tuple[str | None, bool]]:
        response = await client.get(
            f"/api/v1/outstanding?module={module_id}{query}", headers=district_a.headers
        )
        assert response.status_code == 200, response.text
        return {o["employee_id"]: (o["due_on"], o["overdue"]) for o in response.json()}

    # E3 is at LIN and a REG: the earlier of the two due dates counts.
    assert await outstanding() == {
        "E1": (yesterday.isoformat(), True),
        "E2": (later.isoformat(), False),
        "E3": (yesterday.isoformat(), True),
    }
    assert set(await outstanding("&overdue=true")) == {"E1", "E3"}
    other = next(m for m in modules if m != module_id)
    unassigned = await client.get(f"/api/v1/outstanding?module={other}", headers=district_a.headers)
    assert {(o["due_on"], o["overdue"]) for o in unassigned.json()} == {(None, False)}

    token = await client.post(
        "/api/v1/learner-tokens",
        json={"learner": {"external_id": "lms-ana", "name": "Ana", "email": "ANA@district.org"}},
        headers=district_a.headers,
    )
    me = {"Authorization": f"Bearer {token.json()['token']}"}
    progress = {p["module_id"]: p for p in (await client.get("/api/v1/me/progress", headers=me)).json()}
    assert (progress[module_id]["due_on"], progress[module_id]["overdue"]) == (yesterday.isoformat(), True)
    assert (progress[other]["due_on"], progress[other]["overdue"]) == (None, False)

    await add_completion(
        sessions, district_a.id, uuid.UUID(token.json()["learner"]["id"]), module_id, version
    )
    assert set(await outstanding("&overdue=true")) == {"E3"}
    progress = {p["module_id"]: p for p in (await client.get("/api/v1/me/progress", headers=me)).json()}
    assert progress[module_id]["status"] == "completed" and progress[module_id]["overdue"] is False


async def test_sweep_sends_one_event_per_overdue_employee(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    await load_roster(client, district_a)
    await load_roster(client, district_b)
    module_id, version = next(iter((await current_modules(sessions)).items()))
    lin = await assign(
        client,
        district_a,
        module_id=module_id,
        school_code="LIN",
        due_on=(TODAY - timedelta(days=1)).isoformat(),
    )
    reg = await assign(
        client,
        district_a,
        module_id=module_id,
        role_code="REG",
        due_on=(TODAY + timedelta(days=1)).isoformat(),
    )
    # E3 (LIN, REG) completed through a learner HR linked by hand; E4 is terminated.
    cy = await add_learner(sessions, district_a.id, "lms-cy")
    linked = await client.put(
        f"/api/v1/roster/links/{cy}", json={"employee_id": "E3"}, headers=district_a.headers
    )
    assert linked.status_code == 200
    await add_completion(sessions, district_a.id, cy, module_id, version)

    assert await sweep_overdue(sessions, utcnow()) == 1
    [event] = await overdue_events(sessions)
    assert event.data.assignment_id == uuid.UUID(lin["id"]) and event.data.module_id == module_id
    assert event.data.due_on == date.fromisoformat(lin["due_on"]) and event.data.module_title
    assert (event.data.employee.employee_id, event.data.employee.email) == ("E1", "ana@district.org")
    async with sessions() as session:
        row = await session.scalar(select(OutboxEvent).where(OutboxEvent.type == "assignment.overdue"))
    assert row is not None and row.district_id == district_a.id
    # Again: nothing new. Two days on, the role's assignment is due for E2 (E3 completed).
    assert await sweep_overdue(sessions, utcnow()) == 0
    assert await sweep_overdue(sessions, utcnow() + timedelta(days=2)) == 1
    events = await overdue_events(sessions)
    assert [(e.data.assignment_id, e.data.employee.employee_id) for e in events[1:]] == [
        (uuid.UUID(reg["id"]), "E2")
    ]
    # Deleting an assignment takes its notices: a new one for the same people sends again.
    assert (
        await client.delete(f"/api/v1/assignments/{lin['id']}", headers=district_a.headers)
    ).status_code == 204
    await assign(
        client,
        district_a,
        module_id=module_id,
        school_code="LIN",
        due_on=(TODAY - timedelta(days=1)).isoformat(),
    )
    assert await sweep_overdue(sessions, utcnow()) == 1
    assert len(await overdue_events(sessions)) == 3


async def test_concurrent_sweeps_send_each_event_once(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    employees = [
        {"employee_id": f"S{i:03}", "name": f"Staff {i}", "school_code": "LIN", "role_code": "SEC"}
        for i in range(60)
    ]
    response = await client.put("/api/v1/roster", json={"employees": employees}, headers=district_a.headers)
    assert response.json()["created"] == 60
    modules = list(await current_modules(sessions))
    for module_id in modules[:2]:
        await assign(client, district_a, module_id=module_id, school_code="LIN", due_on="2026-01-05")
    now = utcnow()
    sent = await asyncio.gather(*(sweep_overdue(sessions, now) for _ in range(4)))
    assert sum(sent) == 120
    events = await overdue_events(sessions)
    assert len(events) == 120
    assert len({(e.data.assignment_id, e.data.employee.employee_id) for e in events}) == 120
