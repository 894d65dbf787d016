"""The family survey: the shipped content (every text in English and Spanish, a broken file
refused by `content check`), and surveys recorded through their routes on SQLite and
PostgreSQL: answers checked against the survey, figures per school, the per-school switch
(409 when off), bad input refused with nothing written, scopes, and another district out of reach."""

import uuid
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.admin.services import KeyService
from api.db import Sessions
from api.measures.instruments import SURVEY_FILE, read_family_survey
from api.models import FamilySurveyRecord
from tests.conftest import CONTENT_DIR, Tenant
from tests.measures.test_measure_instruments import check, copy_content, edit, texts

Client = AsyncTestClient[Litestar]

SURVEY = {
    "answered_on": "2026-11-20",
    "language": "es",
    "answers": {
        "score": 8,
        "friendly": 5,
        "informed": 2,
        "first_contact": "asked_again",
        "channels": ["phone", "messages"],
        "better": "Que contesten el teléfono.",
    },
}


def test_the_shipped_survey_has_every_text_in_english_and_spanish() -> None:
    survey = read_family_survey(CONTENT_DIR)
    assert {"score", "friendly", "understood", "fair", "say", "informed", "first_contact", "channels"} <= {
        q.id for q in survey.questions
    }
    found = texts(survey)
    assert len(found) > 30 and all(t.en.strip() and t.es.strip() for t in found)
    assert sum(t.en != t.es for t in found) == len(found)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["questions"].pop(0), "needs a `scale` question with id `score`, from 0 to 10"),
        (lambda d: d["questions"][1].update(min=5, max=1), "$.questions[1].max: must be above `min`"),
        (lambda d: d["questions"][2].update(id="friendly"), "$.questions: ids listed twice: friendly"),
        (lambda d: d["questions"][0]["prompt"].pop("es"), "$.questions[0].prompt"),
    ],
)
def test_a_broken_survey_is_refused_by_content_check(tmp_path: Path, change: object, message: str) -> None:
    folder = copy_content(tmp_path)
    edit(folder, SURVEY_FILE, change)
    output = check(folder)
    assert "family-survey.yaml" in output and message in output


async def school(client: Client, tenant: Tenant, code: str = "LIN") -> str:
    made = await client.post(
        "/api/v1/feedback/schools", json={"code": code, "name": f"{code} Elementary"}, headers=tenant.headers
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def stored(sessions: Sessions) -> int:
    async with sessions() as session:
        return (await session.execute(select(func.count()).select_from(FamilySurveyRecord))).scalar_one()


@pytest.mark.anyio
async def test_surveys_are_recorded_read_and_summed_up(client: Client, district_a: Tenant) -> None:
    lin = await school(client, district_a)
    made = await client.post(
        "/api/v1/family-surveys", json={**SURVEY, "school_id": lin}, headers=district_a.headers
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (
        body["school_code"] == "LIN"
        and body["instrument_version"] == 1
        and body["answers"] == SURVEY["answers"]
    )
    second = {"score": 5, "friendly": 3, "first_contact": "first_time", "channels": ["phone"]}
    made2 = await client.post(
        "/api/v1/family-surveys",
        json={"school_id": lin, "answered_on": "2026-11-21", "answers": second},
        headers=district_a.headers,
    )
    assert made2.status_code == 201, made2.text
    got = await client.get(f"/api/v1/family-surveys/{body['id']}", headers=district_a.headers)
    assert got.json() == body
    listed = (await client.get(f"/api/v1/family-surveys?school_id={lin}", headers=district_a.headers)).json()
    assert [s["id"] for s in listed] == [made2.json()["id"], body["id"]]

    [figures] = (await client.get("/api/v1/family-surveys/summary", headers=district_a.headers)).json()[
        "schools"
    ]
    assert figures["count"] == 2 and figures["mean_score"] == 6.5
    assert figures["scales"] == [
        {"question": "friendly", "answered": 2, "mean": 4.0},
        {"question": "informed", "answered": 1, "mean": 2.0},
    ]
    assert figures["options"] == [
        {"question": "first_contact", "option": "first_time", "count": 1},
        {"question": "first_contact", "option": "asked_again", "count": 1},
        {"question": "channels", "option": "phone", "count": 2},
        {"question": "channels", "option": "messages", "count": 1},
    ]
    survey = (await client.get("/api/v1/family-surveys/survey", headers=district_a.headers)).json()
    assert survey["id"] == "family-survey" and survey["questions"][0]["id"] == "score"


@pytest.mark.anyio
async def test_bad_surveys_write_nothing(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    lin = await school(client, district_a)
    theirs = await school(client, district_b)
    bad: list[tuple[dict[str, Any], str]] = [
        ({"score": 11}, "$.answers.score"),
        ({"score": 7, "friendly": 0}, "$.answers.friendly"),
        ({"score": 7, "first_contact": "never"}, "$.answers.first_contact"),
        ({"score": 7, "channels": "phone"}, "$.answers.channels"),
        ({"score": 7, "mood": 3}, "$.answers.mood"),
        ({"friendly": 4}, "$.answers.score"),
        ({"score": 7, "better": "x" * 1001}, "$.answers.better"),
    ]
    for answers, field in bad:
        refused = await client.post(
            "/api/v1/family-surveys",
            json={**SURVEY, "school_id": lin, "answers": answers},
            headers=district_a.headers,
        )
        assert refused.status_code == 422, (answers, refused.text)
        assert field in [e["field"] for e in refused.json()["errors"]]
    for body in (
        {**SURVEY, "school_id": theirs},
        {**SURVEY, "school_id": str(uuid.uuid4())},
        {**SURVEY, "school_id": lin, "answered_on": "yesterday"},
        {**SURVEY, "school_id": lin, "language": "fr"},
        {**SURVEY, "school_id": lin, "family": "Ruiz"},
    ):
        refused = await client.post("/api/v1/family-surveys", json=body, headers=district_a.headers)
        assert refused.status_code in (400, 422), (body, refused.text)
    assert await stored(sessions) == 0

    mine = await client.post(
        "/api/v1/family-surveys", json={**SURVEY, "school_id": lin}, headers=district_a.headers
    )
    assert mine.status_code == 201
    assert (
        await client.get(f"/api/v1/family-surveys/{mine.json()['id']}", headers=district_b.headers)
    ).status_code == 404
    assert (await client.get("/api/v1/family-surveys", headers=district_b.headers)).json() == []

    reader = (await KeyService(sessions, district_a.id).create("reader", ["feedback:read"])).key
    refused = await client.post(
        "/api/v1/family-surveys",
        json={**SURVEY, "school_id": lin},
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert refused.status_code == 403 and "measures:write" in refused.json()["detail"]


@pytest.mark.anyio
async def test_a_school_with_the_survey_off_refuses_it(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    lin = await school(client, district_a)
    switches = {
        "card": True,
        "exit_interview": True,
        "shopper_phone": True,
        "shopper_email": True,
        "shopper_visit": True,
    }
    # A client that knows only the first five switches leaves the survey on.
    kept = await client.put(
        f"/api/v1/feedback/schools/{lin}/instruments", json=switches, headers=district_a.headers
    )
    assert kept.status_code == 200 and kept.json()["instruments"]["family_survey"] is True
    off = await client.put(
        f"/api/v1/feedback/schools/{lin}/instruments",
        json={**switches, "family_survey": False},
        headers=district_a.headers,
    )
    assert off.status_code == 200 and off.json()["instruments"]["family_survey"] is False
    refused = await client.post(
        "/api/v1/family-surveys", json={**SURVEY, "school_id": lin}, headers=district_a.headers
    )
    assert refused.status_code == 409 and '"family_survey": true' in refused.json()["detail"]
    assert await stored(sessions) == 0
    # The card is still on: its public page still answers.
    card = (await client.get(f"/api/v1/feedback/schools/{lin}", headers=district_a.headers)).json()
    assert (await client.get(f"/feedback/{card['token']}")).status_code == 200
