"""What the training changed, through its routes, on SQLite and PostgreSQL: the figures of a
small seeded district (every expectation worked out by hand below), in months and weeks of the
district's time zone; before and after a school's training date; CSV; bad input; scope; and
tenant isolation."""

import csv
import io
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.admin.services import KeyService
from api.db import Sessions
from api.models import Completion, Dialogue, FeedbackAnswer, Learner, RosterEmployee, ShopperVisit
from tests.conftest import Tenant
from tests.hr.seed import current_modules

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]

M1 = "why-service-matters"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def school(client: Client, tenant: Tenant, code: str, name: str) -> uuid.UUID:
    response = await client.post(
        "/api/v1/feedback/schools", json={"code": code, "name": name}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


def answer(district: uuid.UUID, school_id: uuid.UUID, at: str, score: int) -> FeedbackAnswer:
    when = utc(at)
    return FeedbackAnswer(
        district_id=district,
        school_id=school_id,
        instrument_version=1,
        score=score,
        reason="enrollment",
        resolved=True,
        language="en",
        day=when.date(),
        device_key=uuid.uuid4().hex,
        address_key=uuid.uuid4().hex,
        address_slot=0,
        received_at=when,
    )


def dialogue(
    district: uuid.UUID, school_id: uuid.UUID, opened: str, due: str, closed: str | None, resolved: bool
) -> Dialogue:
    return Dialogue(
        district_id=district,
        school_id=school_id,
        source="staff",
        reason="enrollment",
        status="closed" if closed else "open",
        first_contact_resolved=resolved,
        opened_at=utc(opened),
        due_at=utc(due),
        closed_at=utc(closed) if closed else None,
    )


def visit(district: uuid.UUID, school_id: uuid.UUID, channel: str, at: str, score: float) -> ShopperVisit:
    return ShopperVisit(
        district_id=district,
        school_id=school_id,
        channel=channel,
        evaluator="E",
        visited_at=utc(at),
        instrument_version=1,
        answers={},
        passed={},
        points=score,
        possible=100,
        score=score,
    )


def completion(learner: Learner, module_id: str, version: str, at: datetime) -> Completion:
    return Completion(
        district_id=learner.district_id,
        learner_id=learner.id,
        module_id=module_id,
        module_version=version,
        score=0.9,
        passed=True,
        started_at=at - timedelta(minutes=20),
        completed_at=at,
        credit_minutes=20,
        certificate_code=secrets.token_hex(8),
        updated_at=at,
    )


class Seeded:
    def __init__(self, lin: uuid.UUID, was: uuid.UUID) -> None:
        self.lin, self.was = lin, was


@pytest.fixture
async def seeded(client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant) -> Seeded:
    """District A in Chicago (UTC-6 in January and February 2026):

    Lincoln's answers: 8 (Jan 10), 6 (Jan 20), 10 (Feb 1 05:00Z = Jan 31 23:00 local: January),
    9 (Feb 15). Its dialogues: one opened Mon Jan 12 08:00 local and closed the next day at 08:00
    (8 business hours, resolved at first contact); one opened Wed Jan 14 14:00 and closed Mon
    Jan 26 14:00 (2 + 8 + 8 + 40 + 6 = 64 business hours, after its due time: past due); one
    opened Feb 2, still open and past due. Shoppers: phone 80 (Jan 5) and 90 (Jan 25), visit 50
    (Feb 3). Roster: four active at Lincoln (and one terminated, not counted), one at Washington.
    E1 completed every module (M1 Jan 15, the others Jan 16-19), E2 M1 Feb 10 18:00Z (noon
    local), E3 M1 Feb 20; E4 nothing.
    """
    response = await client.patch(
        "/api/v1/district", json={"time_zone": "America/Chicago"}, headers=district_a.headers
    )
    assert response.status_code == 200, response.text
    lin = await school(client, district_a, "LIN", "Lincoln Elementary")
    was = await school(client, district_a, "WAS", "=Washington Middle")
    other = await school(client, district_b, "LIN", "Elsewhere Lincoln")
    a = district_a.id
    async with sessions.begin() as session:
        session.add_all(
            [
                answer(a, lin, "2026-01-10T15:00", 8),
                answer(a, lin, "2026-01-20T15:00", 6),
                answer(a, lin, "2026-02-01T05:00", 10),
                answer(a, lin, "2026-02-15T15:00", 9),
                answer(a, was, "2026-02-10T15:00", 3),
                answer(district_b.id, other, "2026-01-10T15:00", 0),
                dialogue(a, lin, "2026-01-12T14:00", "2026-01-19T14:00", "2026-01-13T14:00", True),
                dialogue(a, lin, "2026-01-14T20:00", "2026-01-21T20:00", "2026-01-26T20:00", False),
                dialogue(a, lin, "2026-02-02T15:00", "2026-02-09T15:00", None, False),
                dialogue(district_b.id, other, "2026-01-12T14:00", "2026-01-19T14:00", None, False),
                visit(a, lin, "phone", "2026-01-05T15:00", 80.0),
                visit(a, lin, "phone", "2026-01-25T15:00", 90.0),
                visit(a, lin, "visit", "2026-02-03T15:00", 50.0),
                visit(district_b.id, other, "phone", "2026-01-05T15:00", 10.0),
            ]
        )
        for n, code, status in [
            (1, "LIN", "active"),
            (2, "LIN", "active"),
            (3, "LIN", "leave"),
            (4, "LIN", "active"),
            (5, "LIN", "terminated"),
            (6, "WAS", "active"),
        ]:
            session.add(
                RosterEmployee(
                    district_id=a, employee_id=f"E{n}", name=f"E{n}", school_code=code, status=status
                )
            )
        session.add(RosterEmployee(district_id=district_b.id, employee_id="E1", name="B1", school_code="LIN"))
    versions = await current_modules(sessions)
    async with sessions.begin() as session:
        learners = {}
        # 9 is district B's own E1.
        for n, district, employee in [
            (1, a, "E1"),
            (2, a, "E2"),
            (3, a, "E3"),
            (5, a, "E5"),
            (9, district_b.id, "E1"),
        ]:
            learner = Learner(district_id=district, external_id=f"lms-{n}", employee_id=employee)
            session.add(learner)
            learners[n] = learner
        await session.flush()
        firsts = [
            *((1, m, utc("2026-01-15T15:00") + timedelta(days=i)) for i, m in enumerate(versions)),
            (2, M1, utc("2026-02-10T18:00")),
            (3, M1, utc("2026-02-20T15:00")),
            (5, M1, utc("2026-01-02T15:00")),
            (9, M1, utc("2026-01-02T15:00")),
        ]
        session.add_all(completion(learners[n], m, versions[m], at) for n, m, at in firsts)
    return Seeded(lin, was)


async def get(client: Client, tenant: Tenant, path: str, **params: Any) -> Any:
    response = await client.get(f"/api/v1/impact/{path}", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


def coverage(figures: Any) -> dict[str, float | None]:
    return {c["module_id"]: c["share"] for c in figures["coverage"]}


async def test_months_and_weeks_in_the_district_zone(
    client: Client, seeded: Seeded, district_a: Tenant, district_b: Tenant
) -> None:
    report = await get(
        client, district_a, "trends", period="month", **{"from": "2026-01-01", "to": "2026-03-01"}
    )
    assert report["time_zone"] == "America/Chicago" and report["start"] == "2026-01-01"
    assert report["end"] == "2026-03-01" and "not a claim of cause" in report["caution"]
    lin, was = report["schools"]
    assert (lin["code"], was["code"], lin["roster"], was["roster"]) == ("LIN", "WAS", 4, 1)
    jan, feb = lin["periods"]
    assert (jan["start"], jan["end"], feb["end"]) == ("2026-01-01", "2026-02-01", "2026-03-01")
    assert jan["feedback"]["answers"] == 3 and jan["feedback"]["mean_score"] == 8.0
    assert jan["feedback"]["distribution"] == [0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1]
    assert feb["feedback"]["answers"] == 1 and feb["feedback"]["mean_score"] == 9.0
    assert jan["dialogues"] == {
        "opened": 2,
        "closed": 2,
        "past_due": 1,
        "first_contact_resolution_rate": 0.5,
        "median_age_business_hours": 36.0,
        "mean_age_business_hours": 36.0,
    }
    d = feb["dialogues"]
    assert (d["opened"], d["closed"], d["past_due"], d["first_contact_resolution_rate"]) == (1, 0, 1, None)
    assert d["median_age_business_hours"] > 40  # open since Feb 2, past due
    assert jan["shoppers"] == [
        {"channel": "phone", "visits": 2, "mean_score": 85.0},
        {"channel": "email", "visits": 0, "mean_score": None},
        {"channel": "visit", "visits": 0, "mean_score": None},
    ]
    assert feb["shoppers"][2] == {"channel": "visit", "visits": 1, "mean_score": 50.0}
    assert coverage(jan) == dict.fromkeys(report["modules"], 0.25)
    assert coverage(feb) == {**dict.fromkeys(report["modules"], 0.25), M1: 0.75}
    assert was["periods"][1]["feedback"]["answers"] == 1 and coverage(was["periods"][1])[M1] == 0.0
    assert was["periods"][0]["dialogues"]["median_age_business_hours"] is None
    # Monday Jan 12 to Sunday Jan 18: Lincoln's first two dialogues, no answer.
    report = await get(
        client,
        district_a,
        "trends",
        period="week",
        school_id=str(seeded.lin),
        **{"from": "2026-01-14", "to": "2026-01-19"},
    )
    assert [s["code"] for s in report["schools"]] == ["LIN"]
    (week,) = report["schools"][0]["periods"]
    assert (week["start"], week["end"]) == ("2026-01-12", "2026-01-19")
    assert week["dialogues"]["opened"] == 2 and week["feedback"]["answers"] == 0
    assert week["feedback"]["mean_score"] is None and coverage(week)[M1] == 0.25
    await trends_as_csv(client, district_a)
    await another_district_sees_only_its_own(client, seeded, district_b)


async def test_before_and_after_the_training_date(client: Client, seeded: Seeded, district_a: Tenant) -> None:
    # Half of Lincoln's four: the second to finish M1, E2 on Feb 10 (local). 30 days each side.
    report = await get(client, district_a, "before-after", threshold=50, module=M1, days=30)
    assert (report["threshold_percent"], report["module"], report["days"]) == (50, M1, 30)
    lin, was = report["schools"]
    assert (lin["training_date"], lin["trained"], lin["roster"]) == ("2026-02-10", 3, 4)
    before, after = lin["before"], lin["after"]
    assert (before["start"], before["end"], after["start"], after["end"]) == (
        "2026-01-11",
        "2026-02-10",
        "2026-02-10",
        "2026-03-12",
    )
    assert (before["feedback"]["answers"], before["feedback"]["mean_score"]) == (2, 8.0)
    assert (after["feedback"]["answers"], after["feedback"]["mean_score"]) == (1, 9.0)
    assert (before["dialogues"]["opened"], before["dialogues"]["past_due"], after["dialogues"]["opened"]) == (
        3,
        2,
        0,
    )
    assert before["shoppers"][0] == {"channel": "phone", "visits": 1, "mean_score": 90.0}
    assert before["shoppers"][2]["visits"] == 1 and after["shoppers"][2]["visits"] == 0
    assert (coverage(before)[M1], coverage(after)[M1]) == (0.25, 0.75)
    await before_and_after_as_csv(client, district_a)
    assert (was["training_date"], was["before"], was["after"], was["trained"]) == (None, None, None, 0)
    # The whole course: only E1 finished it (on the last module, Jan 19): a quarter of Lincoln.
    whole = await get(client, district_a, "before-after", threshold=25)
    assert whole["module"] is None and whole["schools"][0]["training_date"] == "2026-01-19"
    assert whole["schools"][0]["trained"] == 1 and whole["schools"][0]["before"]["feedback"]["answers"] == 1
    everyone = await get(client, district_a, "before-after", threshold=100, module=M1)
    assert everyone["schools"][0]["training_date"] is None


async def test_hr_sets_a_school_s_training_date_by_hand(
    client: Client, sessions: Sessions, seeded: Seeded, district_a: Tenant, district_b: Tenant
) -> None:
    # HR (a key with measures:write, as the hr role holds) says Washington trained on Feb 5,
    # though its roster never reached the threshold; Lincoln's date stays computed.
    hr = (await KeyService(sessions, district_a.id).create("hr", ["measures:write"])).key
    path = f"/api/v1/impact/schools/{seeded.was}/training-date"
    response = await client.put(
        path, json={"training_on": "2026-02-05"}, headers={"Authorization": f"Bearer {hr}"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "school_id": str(seeded.was),
        "code": "WAS",
        "name": "=Washington Middle",
        "training_on": "2026-02-05",
    }
    report = await get(client, district_a, "before-after", threshold=50, module=M1, days=30)
    lin, was = report["schools"]
    assert (lin["training_date"], lin["training_date_set"]) == ("2026-02-10", False)
    assert (was["training_date"], was["training_date_set"], was["trained"]) == ("2026-02-05", True, 0)
    assert (was["before"]["start"], was["before"]["end"], was["after"]["end"]) == (
        "2026-01-06",
        "2026-02-05",
        "2026-03-07",
    )
    # Washington's one answer (3, Feb 10) falls after the date HR set.
    assert (was["before"]["feedback"]["answers"], was["after"]["feedback"]["answers"]) == (0, 1)
    assert was["after"]["feedback"]["mean_score"] == 3.0
    # HR's date wins over a computed one too, whatever threshold is asked.
    response = await client.put(
        f"/api/v1/impact/schools/{seeded.lin}/training-date",
        json={"training_on": "2026-01-01"},
        headers=district_a.headers,
    )
    assert response.status_code == 200, response.text
    lin = (await get(client, district_a, "before-after", threshold=100))["schools"][0]
    assert (lin["training_date"], lin["training_date_set"], lin["before"]["end"]) == (
        "2026-01-01",
        True,
        "2026-01-01",
    )
    csv_rows = list(
        csv.DictReader(
            io.StringIO(
                (
                    await client.get(
                        "/api/v1/impact/before-after.csv",
                        params={"threshold": 100},
                        headers=district_a.headers,
                    )
                ).text
            )
        )
    )
    assert {r["school_code"]: r["training_date"] for r in csv_rows} == {
        "LIN": "2026-01-01",
        "WAS": "2026-02-05",
    }
    # Null gives the computed date back.
    response = await client.put(path, json={"training_on": None}, headers=district_a.headers)
    assert response.status_code == 200 and response.json()["training_on"] is None
    was = (await get(client, district_a, "before-after", threshold=50, module=M1))["schools"][1]
    assert (was["training_date"], was["training_date_set"]) == (None, False)
    # Bad input changes nothing; another district's school is not found; the scope is needed.
    for body, status in [
        ({"training_on": "2026-02-30"}, 400),
        ({"training_on": 20260205}, 400),
        ({}, 400),
        ({"training_on": "2026-02-05", "extra": 1}, 400),
        ({"training_on": "0001-01-01"}, 422),
        ({"training_on": "9999-12-31"}, 422),
    ]:
        refused = await client.put(path, json=body, headers=district_a.headers)
        assert refused.status_code == status, (body, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await get(client, district_a, "before-after", threshold=50, module=M1))["schools"][1][
        "training_date"
    ] is None
    elsewhere = await client.put(path, json={"training_on": "2026-02-05"}, headers=district_b.headers)
    assert elsewhere.status_code == 404
    reader = (await KeyService(sessions, district_a.id).create("reader", ["impact:read", "hr:read"])).key
    forbidden = await client.put(
        path, json={"training_on": "2026-02-05"}, headers={"Authorization": f"Bearer {reader}"}
    )
    assert forbidden.status_code == 403 and "measures:write" in forbidden.json()["detail"]
    assert (await get(client, district_a, "before-after", threshold=50, module=M1))["schools"][1][
        "training_date"
    ] is None


async def trends_as_csv(client: Client, district_a: Tenant) -> None:
    response = await client.get(
        "/api/v1/impact/trends.csv",
        params={"from": "2026-01-01", "to": "2026-03-01"},
        headers=district_a.headers,
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["school_code"], r["period_start"]) for r in rows] == [
        ("LIN", "2026-01-01"),
        ("LIN", "2026-02-01"),
        ("WAS", "2026-01-01"),
        ("WAS", "2026-02-01"),
    ]
    jan = rows[0]
    assert (jan["feedback_answers"], jan["mean_score"], jan["score_10"], jan["score_0"]) == (
        "3",
        "8.0",
        "1",
        "0",
    )
    assert (jan["dialogues_past_due"], jan["median_age_business_hours"], jan["shopper_phone_mean_score"]) == (
        "1",
        "36.0",
        "85.0",
    )
    assert (jan["roster"], jan[f"{M1}_completed"], jan[f"{M1}_share"]) == ("4", "1", "0.25")
    assert rows[2]["school_name"] == "'=Washington Middle" and rows[2]["mean_score"] == ""


async def before_and_after_as_csv(client: Client, district_a: Tenant) -> None:
    response = await client.get(
        "/api/v1/impact/before-after.csv",
        params={"threshold": 50, "module": M1, "days": 30},
        headers=district_a.headers,
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["school_code"], r["window"], r["training_date"]) for r in rows] == [
        ("LIN", "before", "2026-02-10"),
        ("LIN", "after", "2026-02-10"),
        ("WAS", "", ""),
    ]
    assert rows[0]["feedback_answers"] == "2" and rows[1][f"{M1}_share"] == "0.75"


async def another_district_sees_only_its_own(client: Client, seeded: Seeded, district_b: Tenant) -> None:
    report = await get(client, district_b, "trends", **{"from": "2026-01-01", "to": "2026-02-01"})
    (mine,) = report["schools"]
    assert mine["name"] == "Elsewhere Lincoln" and mine["roster"] == 1
    (jan,) = mine["periods"]
    assert jan["feedback"]["distribution"][0] == 1 and jan["feedback"]["answers"] == 1
    assert jan["dialogues"]["opened"] == 1 and jan["shoppers"][0]["mean_score"] == 10.0
    assert coverage(jan)[M1] == 1.0
    refused = await client.get(
        "/api/v1/impact/trends", params={"school_id": str(seeded.lin)}, headers=district_b.headers
    )
    assert refused.status_code == 404


async def test_bad_input_and_scope(
    client: Client, sessions: Sessions, seeded: Seeded, district_a: Tenant
) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"period": "year"}, 400, "period"),
        ({"from": "2026-13-01"}, 400, "calendar date"),
        ({"from": "2026-01-01T00:00:00"}, 400, "time zone"),
        ({"from": "2026-03-01", "to": "2026-01-01"}, 422, "before `to`"),
        ({"to": "9999-12-31"}, 422, "between"),
        ({"period": "week", "from": "2020-01-01", "to": "2026-01-01"}, 422, "narrow"),
        ({"school_id": "not-a-uuid"}, 400, "school_id"),
    ]
    for params, status, words in cases:
        response = await client.get("/api/v1/impact/trends", params=params, headers=district_a.headers)
        assert response.status_code == status, (params, response.text)
        assert words in response.text
    for params, status in [({"threshold": 0}, 400), ({"days": 1}, 400), ({"module": "nope"}, 422)]:
        response = await client.get(
            "/api/v1/impact/before-after.csv", params=params, headers=district_a.headers
        )
        assert response.status_code == status, (params, response.text)
    key = (await KeyService(sessions, district_a.id).create("feedback", ["feedback:read", "hr:read"])).key
    refused = await client.get("/api/v1/impact/trends", headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 403 and "impact:read" in refused.json()["detail"]
    key = (await KeyService(sessions, district_a.id).create("impact", ["impact:read"])).key
    allowed = await client.get("/api/v1/impact/trends.csv", headers={"Authorization": f"Bearer {key}"})
    assert allowed.status_code == 200
