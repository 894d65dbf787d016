"""Campus action plans through their routes, on SQLite and PostgreSQL: items made, read, paged
and changed; the district's re-measure setting; bad input refused with nothing written; scopes;
another district's items and schools out of reach; and a learner's module-5 action plan shared
as drafts (the team rows only, named only when asked), then adopted."""

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.admin.services import KeyService
from api.db import Sessions
from api.models import PlanItem, PlanSetting, utcnow
from api.plans.services import sweep_plans_due
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]

ITEM = {
    "what": "Read the feedback cards at every staff meeting",
    "first_step": "Put a box of cards at the counter",
    "who": "Ms. Ortiz leads; the office team helps",
    "by_when": "2027-01-15",
    "how_we_know": "The card's mean score for enrollment",
}


async def new_school(client: Client, tenant: Tenant, code: str = "LIN") -> str:
    made = await client.post(
        "/api/v1/feedback/schools", json={"code": code, "name": f"{code} Elementary"}, headers=tenant.headers
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def new_item(client: Client, tenant: Tenant, school_id: str, **fields: Any) -> dict[str, Any]:
    made = await client.post(
        "/api/v1/plans", json={**ITEM, "school_id": school_id, **fields}, headers=tenant.headers
    )
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


async def rows(sessions: Sessions) -> int:
    async with sessions() as session:
        return (await session.execute(select(func.count()).select_from(PlanItem))).scalar_one()


async def test_items_are_made_read_paged_and_changed(client: Client, district_a: Tenant) -> None:
    school = await new_school(client, district_a)
    item = await new_item(client, district_a, school, created_by="Ms. Ortiz")
    assert item["status"] == "open" and item["source"] == "staff"
    assert item["school"]["code"] == "LIN" and item["created_by"] == "Ms. Ortiz"
    assert item["due_on"] == "2027-01-15"
    planned = date.fromisoformat(item["planned_on"])
    assert date.fromisoformat(item["remeasure_on"]) == planned + timedelta(days=45)
    assert item["plan_due_notice_at"] is None

    got = await client.get(f"/api/v1/plans/{item['id']}", headers=district_a.headers)
    assert got.status_code == 200 and got.json() == item

    changed = await client.patch(
        f"/api/v1/plans/{item['id']}",
        json={"status": "done", "by_when": "before spring break", "follow_up_on": "2027-02-01"},
        headers=district_a.headers,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["status"] == "done" and body["by_when"] == "before spring break" and body["due_on"] is None
    assert body["follow_up_on"] == "2027-02-01" and body["what"] == ITEM["what"]
    moved = await client.patch(
        f"/api/v1/plans/{item['id']}",
        json={"remeasure_on": (planned + timedelta(days=30)).isoformat()},
        headers=district_a.headers,
    )
    assert (
        moved.status_code == 200
        and moved.json()["remeasure_on"] == (planned + timedelta(days=30)).isoformat()
    )

    others = [await new_item(client, district_a, school, what=f"Step {i}") for i in range(3)]
    dropped = await client.patch(
        f"/api/v1/plans/{others[0]['id']}", json={"status": "dropped"}, headers=district_a.headers
    )
    assert dropped.status_code == 200
    seen: list[str] = []
    cursor, cursors = None, []
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/plans", params=params, headers=district_a.headers)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        cursors.append(cursor)
    assert seen == [o["id"] for o in reversed(others)] + [item["id"]]  # newest first, each once
    only_open = (await client.get("/api/v1/plans?status=open", headers=district_a.headers)).json()
    assert {i["id"] for i in only_open["items"]} == {others[1]["id"], others[2]["id"]}
    for params in ({"status": "done", "cursor": cursors[0]}, {"cursor": "bm90LWEtY3Vyc29y"}):
        # A cursor made for other filters, and one the service never signed.
        refused = await client.get("/api/v1/plans", params=params, headers=district_a.headers)
        assert refused.status_code == 400, refused.text

    summary = (await client.get("/api/v1/plans/summary", headers=district_a.headers)).json()
    [lin] = summary["schools"]
    assert (lin["open"], lin["done"], lin["dropped"], lin["draft"], lin["remeasure_due"]) == (2, 1, 1, 0, 0)


async def test_the_district_sets_the_remeasure_days(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    assert (await client.get("/api/v1/plans/settings", headers=district_a.headers)).json() == {
        "remeasure_days": 45
    }
    for days in (29, 61, "40"):
        refused = await client.put(
            "/api/v1/plans/settings", json={"remeasure_days": days}, headers=district_a.headers
        )
        assert refused.status_code in (400, 422), refused.text
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(PlanSetting)) == 0
    for days in (60, 30):  # a second setting replaces the first
        put = await client.put(
            "/api/v1/plans/settings", json={"remeasure_days": days}, headers=district_a.headers
        )
        assert put.status_code == 200 and put.json() == {"remeasure_days": days}
    item = await new_item(client, district_a, school)
    assert date.fromisoformat(item["remeasure_on"]) - date.fromisoformat(item["planned_on"]) == timedelta(30)
    own = await new_item(client, district_a, school, remeasure_in_days=50)
    assert date.fromisoformat(own["remeasure_on"]) - date.fromisoformat(own["planned_on"]) == timedelta(50)

    writer = (await KeyService(sessions, district_a.id).create("planner", ["plans:write"])).key
    headers = {"Authorization": f"Bearer {writer}"}
    assert (
        await client.put("/api/v1/plans/settings", json={"remeasure_days": 40}, headers=headers)
    ).status_code == 403
    assert (await client.get("/api/v1/plans/settings", headers=headers)).status_code == 200


async def test_bad_input_writes_nothing(client: Client, sessions: Sessions, district_a: Tenant) -> None:
    school = await new_school(client, district_a)
    item = await new_item(client, district_a, school)
    before = await rows(sessions)
    bad_bodies: list[dict[str, Any]] = [
        {**ITEM, "school_id": school, "what": ""},
        {**ITEM, "school_id": school, "what": "x" * 301},
        {**ITEM, "school_id": school, "remeasure_in_days": 29},
        {**ITEM, "school_id": school, "follow_up_on": "soon"},
        {**ITEM, "school_id": school, "status": "done"},  # not a field of a new item
        {**ITEM, "school_id": str(uuid.uuid4())},
        {**ITEM, "school_id": "LIN"},
        {**ITEM},
    ]
    for body in bad_bodies:
        refused = await client.post("/api/v1/plans", json=body, headers=district_a.headers)
        assert refused.status_code in (400, 422), (body, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert await rows(sessions) == before

    planned = date.fromisoformat(item["planned_on"])
    for change in (
        {"status": "draft"},
        {"status": "closed"},
        {"remeasure_on": (planned + timedelta(days=29)).isoformat()},
        {"remeasure_on": (planned + timedelta(days=61)).isoformat()},
        {"what": ""},
        {"id": str(uuid.uuid4())},
    ):
        refused = await client.patch(f"/api/v1/plans/{item['id']}", json=change, headers=district_a.headers)
        assert refused.status_code in (400, 422), (change, refused.text)
    assert (await client.get(f"/api/v1/plans/{item['id']}", headers=district_a.headers)).json() == item
    assert (await client.get(f"/api/v1/plans/{uuid.uuid4()}", headers=district_a.headers)).status_code == 404
    assert (await client.get("/api/v1/plans?status=late", headers=district_a.headers)).status_code == 400


async def test_another_district_sees_none_of_it(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    school = await new_school(client, district_a)
    item = await new_item(client, district_a, school)
    await new_school(client, district_b)
    assert (await client.get(f"/api/v1/plans/{item['id']}", headers=district_b.headers)).status_code == 404
    patched = await client.patch(
        f"/api/v1/plans/{item['id']}", json={"status": "done"}, headers=district_b.headers
    )
    assert patched.status_code == 404
    theirs = await client.post(
        "/api/v1/plans", json={**ITEM, "school_id": school}, headers=district_b.headers
    )
    assert theirs.status_code == 422 and theirs.json()["errors"][0]["field"] == "$.school_id"
    assert (await client.get("/api/v1/plans", headers=district_b.headers)).json()["items"] == []
    [b_school] = (await client.get("/api/v1/plans/summary", headers=district_b.headers)).json()["schools"]
    assert b_school["open"] == 0
    assert (await client.get(f"/api/v1/plans/{item['id']}", headers=district_a.headers)).json()[
        "status"
    ] == "open"

    reader = (await KeyService(sessions, district_a.id).create("reader", ["plans:read"])).key
    headers = {"Authorization": f"Bearer {reader}"}
    assert (await client.get("/api/v1/plans", headers=headers)).status_code == 200
    refused = await client.post("/api/v1/plans", json={**ITEM, "school_id": school}, headers=headers)
    assert refused.status_code == 403 and "plans:write" in refused.json()["detail"]
    nobody = (await KeyService(sessions, district_a.id).create("feedback", ["feedback:read"])).key
    assert (
        await client.get("/api/v1/plans", headers={"Authorization": f"Bearer {nobody}"})
    ).status_code == 403


# --- module 5's action plan -------------------------------------------------------------------

PERSONAL_ROW = {
    "what": "Return every voicemail the same day",
    "first-step": "Check messages at noon",
    "by-when": "next week",
    "how-i-know": "No call waits overnight",
}
TEAM_ROWS = [
    {
        "what": "Put feedback cards at the counter",
        "first-step": "Print the QR card",
        "by-when": "2027-01-10",
        "who-helps": "Office lead; all front-office staff",
        "how-we-know": "Cards read at each staff meeting",
    },
    {"what": "", "first-step": "", "by-when": "", "who-helps": "", "how-we-know": ""},
    {
        "what": "Invite bus drivers to plan family night",
        "first-step": "Ask transportation",
        "by-when": "in March",
        "who-helps": "Assistant principal",
        "how-we-know": "Drivers come",
    },
]


async def learner(client: Client, tenant: Tenant, external_id: str, school: str) -> dict[str, str]:
    body = {"learner": {"external_id": external_id, "name": f"Pat {external_id}", "school": school}}
    made = await client.post("/api/v1/learner-tokens", json=body, headers=tenant.headers)
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['token']}"}


async def submit_plan(client: Client, headers: dict[str, str]) -> str:
    started = await client.post(
        "/api/v1/me/modules/measuring-and-improving/forms/action-plan/attempts", headers=headers
    )
    assert started.status_code in (200, 201), started.text
    attempt = started.json()["id"]
    submitted = await client.post(
        f"/api/v1/me/attempts/{attempt}/submit",
        json={"answers": {"personal-plan": [PERSONAL_ROW], "team-plan": TEAM_ROWS}},
        headers=headers,
    )
    assert submitted.status_code == 200, submitted.text
    return str(attempt)


async def test_a_learner_shares_the_team_steps_as_drafts(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    await new_school(client, district_a)
    headers = await learner(client, district_a, "emp-1", "LIN")
    early = await client.post("/api/v1/me/action-plan/share", json={}, headers=headers)
    assert early.status_code == 409 and "Submit your action plan" in early.json()["detail"]

    attempt = await submit_plan(client, headers)
    shared = await client.post("/api/v1/me/action-plan/share", json={}, headers=headers)
    assert shared.status_code == 201, shared.text
    body = shared.json()
    assert body["school"]["code"] == "LIN"
    items = body["items"]
    assert [i["what"] for i in items] == [
        TEAM_ROWS[0]["what"],
        TEAM_ROWS[2]["what"],
    ]  # the empty row left out
    assert all(i["status"] == "draft" and i["source"] == "module" and i["created_by"] == "" for i in items)
    assert items[0]["who"] == TEAM_ROWS[0]["who-helps"] and items[0]["due_on"] == "2027-01-10"
    assert items[1]["by_when"] == "in March" and items[1]["due_on"] is None
    # The personal plan is the learner's own: none of it reaches the school.
    listed = (await client.get("/api/v1/plans?source=module", headers=district_a.headers)).json()
    assert (
        PERSONAL_ROW["what"] not in str(listed) and "attempt" not in str(listed) and "Pat" not in str(listed)
    )

    again = await client.post("/api/v1/me/action-plan/share", json={"attempt_id": attempt}, headers=headers)
    assert again.status_code == 200 and [i["id"] for i in again.json()["items"]] == [i["id"] for i in items]
    assert await rows(sessions) == 2

    named_headers = await learner(client, district_a, "emp-2", "LIN Elementary")  # by the school's name
    await submit_plan(client, named_headers)
    named = await client.post("/api/v1/me/action-plan/share", json={"named": True}, headers=named_headers)
    assert named.status_code == 201 and {i["created_by"] for i in named.json()["items"]} == {"Pat emp-2"}

    elsewhere = await learner(client, district_a, "emp-3", "Nowhere High")
    await submit_plan(client, elsewhere)
    refused = await client.post("/api/v1/me/action-plan/share", json={}, headers=elsewhere)
    assert refused.status_code == 409 and "Nowhere High" in refused.json()["detail"]
    not_theirs = await client.post(
        "/api/v1/me/action-plan/share", json={"attempt_id": attempt}, headers=elsewhere
    )
    assert not_theirs.status_code == 404
    assert (
        await client.post("/api/v1/me/action-plan/share", json={"named": "yes"}, headers=headers)
    ).status_code in (
        400,
        422,
    )
    assert await rows(sessions) == 4
    # A key is not a learner.
    assert (
        await client.post("/api/v1/me/action-plan/share", json={}, headers=district_a.headers)
    ).status_code == 403

    # Drafts send no re-measure reminder; one staff adopt does, once.
    later = utcnow() + timedelta(days=61)
    assert await sweep_plans_due(sessions, later) == 0
    adopted = await client.patch(
        f"/api/v1/plans/{items[0]['id']}", json={"status": "open"}, headers=district_a.headers
    )
    assert adopted.status_code == 200 and adopted.json()["status"] == "open"
    planned = date.fromisoformat(adopted.json()["planned_on"])
    assert date.fromisoformat(adopted.json()["remeasure_on"]) == planned + timedelta(days=45)
    assert await sweep_plans_due(sessions, later) == 1
    assert await sweep_plans_due(sessions, later) == 0
