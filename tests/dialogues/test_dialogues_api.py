"""The concerns inbox through its routes, on SQLite and PostgreSQL: a family's answer that asks
for contact opens a dialogue; staff enter concerns; notes, owner, status, closing; the events
in the outbox; filters and pages; the figures per school; bad input; scopes; tenant isolation."""

import asyncio
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from api.admin.services import KeyService
from api.db import Sessions
from api.dialogues.business import business_hours, due_at
from api.dialogues.services import Dialogues
from api.models import Dialogue, DialogueNote, FeedbackAnswer, OutboxEvent, utcnow
from schemas.dialogues import DialogueChange
from schemas.events import DialogueClosedEvent, DialogueOpenedEvent, typed
from tests.conftest import Tenant, make_tenant

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]

CONTACT = {"name": "Rosa Díaz", "phone": "555-0100", "consent": True}


async def new_school(
    client: Client, tenant: Tenant, code: str = "LIN", name: str = "Lincoln Elementary"
) -> Any:
    response = await client.post(
        "/api/v1/feedback/schools", json={"code": code, "name": name}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def family_answers(client: Client, token: str, body: dict[str, Any]) -> None:
    device = {"Cookie": f"fo_feedback_device={secrets.token_urlsafe(24)}"}
    response = await client.post(f"/feedback/{token}/answers", json=body, headers=device)
    assert response.status_code == 201, response.text


async def concern(client: Client, tenant: Tenant, school_id: str, **fields: Any) -> Any:
    body = {"school_id": school_id, "reason": "transportation", "summary": "Bus 12 left early.", **fields}
    response = await client.post("/api/v1/dialogues", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def inbox(client: Client, tenant: Tenant, **params: Any) -> Any:
    response = await client.get("/api/v1/dialogues", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def outbox(sessions: Sessions, prefix: str = "dialogue.") -> list[OutboxEvent]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxEvent).where(OutboxEvent.type.startswith(prefix)).order_by(OutboxEvent.created_at)
        )
        return list(rows)


async def test_a_family_asks_to_be_contacted_and_the_school_closes_it_as_resolved(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    other = await new_school(client, district_a, "WAS", "Washington Middle")
    # An anonymous answer opens nothing; one asking for contact opens a dialogue.
    await family_answers(client, school["token"], {"score": 8, "reason": "enrollment", "resolved": True})
    await family_answers(
        client,
        school["token"],
        {
            "score": 3,
            "reason": "transportation",
            "resolved": False,
            "comment": "El autobús no pasó.",
            "language": "es",
            "contact": CONTACT,
        },
    )
    assert (await inbox(client, district_a, school_id=other["id"]))["items"] == []
    page = await inbox(client, district_a, school_id=school["id"])
    assert page["next_cursor"] is None and len(page["items"]) == 1
    dialogue = page["items"][0]
    async with sessions() as session:
        answer = await session.scalar(select(FeedbackAnswer).where(FeedbackAnswer.score == 3))
    assert answer is not None
    assert dialogue["source"] == "feedback" and dialogue["answer_id"] == str(answer.id)
    assert dialogue["school"] == {"id": school["id"], "code": "LIN", "name": "Lincoln Elementary"}
    assert dialogue["reason"] == "transportation" and dialogue["summary"] == "El autobús no pasó."
    assert dialogue["contact"] == {"name": "Rosa Díaz", "phone": "555-0100", "email": ""}
    assert dialogue["status"] == "open" and dialogue["owner"] == "" and dialogue["notes"] == []
    assert dialogue["team"] == "Lincoln Elementary" and dialogue["first_contact_resolved"] is False
    opened = datetime.fromisoformat(dialogue["opened_at"])
    assert opened == answer.received_at  # stored in the answer's transaction
    assert datetime.fromisoformat(dialogue["due_at"]) == due_at(opened, 5, ZoneInfo("UTC"))
    assert dialogue["past_due"] is False and dialogue["closed_at"] is None

    url = f"/api/v1/dialogues/{dialogue['id']}"
    noted = await client.post(
        f"{url}/notes",
        json={"author": "ana@lincoln.example", "text": "Called back; the route changed this week."},
        headers=district_a.headers,
    )
    assert noted.status_code == 201, noted.text
    assert [n["author"] for n in noted.json()["notes"]] == ["ana@lincoln.example"]
    taken = await client.patch(
        url, json={"owner": "ana@lincoln.example", "status": "waiting"}, headers=district_a.headers
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["owner"] == "ana@lincoln.example" and taken.json()["status"] == "waiting"
    assert (await inbox(client, district_a, owner="ana@lincoln.example"))["items"][0]["id"] == dialogue["id"]
    assert (await inbox(client, district_a, status="open"))["items"] == []

    closed = await client.patch(
        url, json={"status": "closed", "first_contact_resolved": True}, headers=district_a.headers
    )
    assert closed.status_code == 200, closed.text
    view = closed.json()
    assert view["status"] == "closed" and view["first_contact_resolved"] is True
    closed_at = datetime.fromisoformat(view["closed_at"])
    assert view["age_business_hours"] == business_hours(opened, closed_at, ZoneInfo("UTC"))
    # Closing again changes nothing and sends nothing more.
    again = await client.patch(url, json={"status": "closed"}, headers=district_a.headers)
    assert again.status_code == 200 and again.json()["closed_at"] == view["closed_at"]
    got = await client.get(url, headers=district_a.headers)
    assert got.json() == view

    events = await outbox(sessions)
    assert [e.type for e in events] == ["dialogue.opened", "dialogue.closed"]
    assert all(e.district_id == district_a.id for e in events)
    first = typed(events[0].type, events[0].id, events[0].created_at, events[0].payload)
    assert isinstance(first, DialogueOpenedEvent)
    assert first.data.dialogue_id == uuid.UUID(dialogue["id"])
    assert first.data.source == "feedback" and first.data.answer_id == answer.id
    assert first.data.contact is not None and first.data.contact.name == "Rosa Díaz"
    last = typed(events[1].type, events[1].id, events[1].created_at, events[1].payload)
    assert isinstance(last, DialogueClosedEvent)
    assert last.data.first_contact_resolved is True and last.data.owner == "ana@lincoln.example"
    assert last.data.school.code == "LIN"

    figures = await client.get("/api/v1/dialogues/summary", headers=district_a.headers)
    assert figures.status_code == 200, figures.text
    by_code = {s["code"]: s for s in figures.json()["schools"]}
    assert by_code["LIN"] == {
        "school_id": school["id"],
        "code": "LIN",
        "name": "Lincoln Elementary",
        "open_count": 0,
        "past_due_count": 0,
        "closed_count": 1,
        "median_age_business_hours": None,
        "first_contact_resolution_rate": 1.0,
    }
    assert by_code["WAS"]["closed_count"] == 0 and by_code["WAS"]["first_contact_resolution_rate"] is None


async def test_staff_enter_a_concern_due_in_the_districts_business_days(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    chicago = await client.patch(
        "/api/v1/district", json={"time_zone": "America/Chicago"}, headers=district_a.headers
    )
    assert chicago.status_code == 200, chicago.text
    school = await new_school(client, district_a)
    created = await concern(
        client,
        district_a,
        school["id"],
        contact={"name": "Sam Lee", "email": "sam@example.org", "consent": True},
        owner="Transport desk",
        team="Transportation",
        due_in_business_days=3,
    )
    assert created["source"] == "staff" and created["answer_id"] is None
    assert created["team"] == "Transportation" and created["owner"] == "Transport desk"
    assert created["contact"] == {"name": "Sam Lee", "phone": "", "email": "sam@example.org"}
    opened = datetime.fromisoformat(created["opened_at"])
    zone = ZoneInfo("America/Chicago")
    assert datetime.fromisoformat(created["due_at"]) == due_at(opened, 3, zone)
    assert business_hours(opened, datetime.fromisoformat(created["due_at"]), zone) == 24
    # Without contact, owner or team: routed to the school, unowned.
    plain = await concern(client, district_a, school["id"], reason="enrollment", summary="Walk-in, forms.")
    assert plain["contact"] is None and plain["team"] == "Lincoln Elementary" and plain["owner"] == ""
    events = await outbox(sessions)
    assert [e.payload["source"] for e in events] == ["staff", "staff"]
    assert events[0].payload["dialogue_id"] == created["id"] and events[0].payload["team"] == "Transportation"


async def test_the_inbox_pages_newest_first_and_filters_past_due(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    made = [await concern(client, district_a, school["id"], summary=f"Concern {i}") for i in range(3)]
    first = await inbox(client, district_a, limit=2)
    assert [d["summary"] for d in first["items"]] == ["Concern 2", "Concern 1"]
    assert first["next_cursor"]
    rest = await inbox(client, district_a, limit=2, cursor=first["next_cursor"])
    assert [d["summary"] for d in rest["items"]] == ["Concern 0"] and rest["next_cursor"] is None
    # A cursor is bound to its filters.
    elsewhere = await client.get(
        "/api/v1/dialogues",
        params={"limit": 2, "cursor": first["next_cursor"], "status": "open"},
        headers=district_a.headers,
    )
    assert elsewhere.status_code == 400 and "cursor" in elsewhere.json()["detail"]

    # Concern 0 is made late (as if opened weeks ago); concern 1 is closed.
    async with sessions.begin() as session:
        await session.execute(
            update(Dialogue)
            .where(Dialogue.summary == "Concern 0")
            .values(opened_at=utcnow() - timedelta(days=30), due_at=utcnow() - timedelta(days=23))
        )
    closing = await client.patch(
        f"/api/v1/dialogues/{made[1]['id']}", json={"status": "closed"}, headers=district_a.headers
    )
    assert closing.status_code == 200
    late = await inbox(client, district_a, past_due="true")
    assert [d["summary"] for d in late["items"]] == ["Concern 0"]
    assert late["items"][0]["past_due"] is True and late["items"][0]["age_business_hours"] >= 160
    on_time = await inbox(client, district_a, past_due="false")
    assert [d["summary"] for d in on_time["items"]] == ["Concern 2", "Concern 1"]

    figures = (await client.get("/api/v1/dialogues/summary", headers=district_a.headers)).json()
    lincoln = figures["schools"][0]
    assert lincoln["open_count"] == 2 and lincoln["past_due_count"] == 1 and lincoln["closed_count"] == 1
    assert lincoln["first_contact_resolution_rate"] == 0.0
    ages = [d["age_business_hours"] for d in (await inbox(client, district_a, status="open"))["items"]]
    assert lincoln["median_age_business_hours"] == pytest.approx(sum(ages) / 2, abs=0.02)


BAD_CONCERNS = [
    pytest.param({"reason": "lunch_money"}, 422, "$.reason", id="reason-not-on-the-card"),
    pytest.param({"summary": ""}, 400, "$.summary", id="empty-summary"),
    pytest.param({"summary": "x" * 2001}, 400, "$.summary", id="summary-too-long"),
    pytest.param({"contact": {**CONTACT, "consent": False}}, 422, "$.contact.consent", id="no-consent"),
    pytest.param({"contact": {"name": "A", "consent": True}}, 422, "$.contact", id="contact-without-a-way"),
    pytest.param({"due_in_business_days": 0}, 400, "$.due_in_business_days", id="due-now"),
    pytest.param({"school_id": "not-a-uuid"}, 400, "$.school_id", id="school-not-an-id"),
    pytest.param({"status": "closed"}, 400, "status", id="unknown-field"),
]


@pytest.mark.parametrize(("fields", "status", "where"), BAD_CONCERNS)
async def test_bad_concerns_are_refused_and_nothing_is_written(
    client: Client, sessions: Sessions, district_a: Tenant, fields: Any, status: int, where: str
) -> None:
    school = await new_school(client, district_a)
    body = {"school_id": school["id"], "reason": "transportation", "summary": "Bus late.", **fields}
    response = await client.post("/api/v1/dialogues", json=body, headers=district_a.headers)
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json" and problem["detail"]
    assert where in msgspec.json.encode(problem).decode()
    async with sessions() as session:
        assert list(await session.scalars(select(Dialogue))) == []
    assert await outbox(sessions) == []


async def test_bad_changes_and_notes_are_refused_and_change_nothing(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    school = await new_school(client, district_a)
    dialogue = await concern(client, district_a, school["id"])
    url = f"/api/v1/dialogues/{dialogue['id']}"
    for body, where in [
        ({"status": "done"}, "$.status"),
        ({"team": ""}, "$.team"),
        ({"owner": 5}, "$.owner"),
    ]:
        response = await client.patch(url, json=body, headers=district_a.headers)
        assert response.status_code == 400 and where in response.text, response.text
    for body, where in [({"author": "", "text": "x"}, "$.author"), ({"author": "Ana"}, "text")]:
        response = await client.post(f"{url}/notes", json=body, headers=district_a.headers)
        assert response.status_code == 400 and where in response.text, response.text
    # A school of another district is not a school of this one.
    theirs = await new_school(client, district_b, "OTH", "Other Elementary")
    refused = await client.post(
        "/api/v1/dialogues",
        json={"school_id": theirs["id"], "reason": "enrollment", "summary": "x"},
        headers=district_a.headers,
    )
    assert refused.status_code == 422 and "$.school_id" in refused.text
    assert (await client.get(url, headers=district_a.headers)).json() == dialogue
    async with sessions() as session:
        assert list(await session.scalars(select(DialogueNote))) == []
        assert len(list(await session.scalars(select(Dialogue)))) == 1
    assert [e.type for e in await outbox(sessions)] == ["dialogue.opened"]


async def test_a_family_answer_refused_opens_no_dialogue(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    response = await client.post(
        f"/feedback/{school['token']}/answers",
        json={
            "score": 2,
            "reason": "enrollment",
            "resolved": False,
            "contact": {**CONTACT, "consent": False},
        },
    )
    assert response.status_code == 422
    assert (await inbox(client, district_a))["items"] == [] and await outbox(sessions, "") == []


async def test_reading_and_writing_need_the_dialogues_scopes(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    dialogue = await concern(client, district_a, school["id"])
    url = f"/api/v1/dialogues/{dialogue['id']}"
    elsewhere = await make_tenant(sessions, "inbox-reader", ["dialogues:read"])
    read_key = (await KeyService(sessions, district_a.id).create("reader", ["dialogues:read"])).key
    write_key = (await KeyService(sessions, district_a.id).create("writer", ["dialogues:write"])).key
    other_key = (await KeyService(sessions, district_a.id).create("feedback", ["feedback:read"])).key
    read = {"Authorization": f"Bearer {read_key}"}
    write = {"Authorization": f"Bearer {write_key}"}
    other = {"Authorization": f"Bearer {other_key}"}
    assert (await client.get(url, headers=read)).status_code == 200
    assert (await client.get("/api/v1/dialogues/summary", headers=read)).status_code == 200
    refused = await client.patch(url, json={"owner": "me"}, headers=read)
    assert refused.status_code == 403 and "dialogues:write" in refused.json()["detail"]
    assert (
        await client.post(f"{url}/notes", json={"author": "a", "text": "b"}, headers=read)
    ).status_code == 403
    assert (await client.get(url, headers=write)).status_code == 200  # a writer reads the inbox too
    assert (await client.patch(url, json={"owner": "me"}, headers=write)).status_code == 200
    assert (await client.get("/api/v1/dialogues", headers=other)).status_code == 403
    assert (await client.get(url, headers=elsewhere.headers)).status_code == 404


async def test_another_district_sees_none_of_the_inbox(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    school = await new_school(client, district_a)
    dialogue = await concern(client, district_a, school["id"])
    url = f"/api/v1/dialogues/{dialogue['id']}"
    assert (await client.get(url, headers=district_b.headers)).status_code == 404
    changed = await client.patch(url, json={"status": "closed"}, headers=district_b.headers)
    assert changed.status_code == 404 and changed.json()["type"] == "/problems/not-found"
    noted = await client.post(f"{url}/notes", json={"author": "b", "text": "x"}, headers=district_b.headers)
    assert noted.status_code == 404
    assert (await inbox(client, district_b))["items"] == []
    assert (await inbox(client, district_b, school_id=school["id"]))["items"] == []
    summary = await client.get("/api/v1/dialogues/summary", headers=district_b.headers)
    assert summary.json()["schools"] == []
    # Nothing of district A changed.
    assert (await client.get(url, headers=district_a.headers)).json() == dialogue
    assert [e.type for e in await outbox(sessions)] == ["dialogue.opened"]


async def test_two_closes_at_once_send_one_closed_event(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    dialogue = await concern(client, district_a, school["id"])
    service = Dialogues(sessions, district_a.id, "secret")
    close = DialogueChange(status="closed")
    views = await asyncio.gather(*(service.change(uuid.UUID(dialogue["id"]), close) for _ in range(3)))
    assert {view.status for view in views} == {"closed"}
    assert len({view.closed_at for view in views}) == 1  # the first close's time, kept
    assert [e.type for e in await outbox(sessions)] == ["dialogue.opened", "dialogue.closed"]
