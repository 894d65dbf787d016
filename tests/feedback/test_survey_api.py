"""The public family survey through its routes, on SQLite and PostgreSQL: a family answers from
the school's link with no login; the card page's abuse rules hold (honeypot, size, the school's
and the public limits, once per device per school a day, an address's daily share); bad
answers, closed links and a switched-off survey write nothing; a district sees only its own."""

import secrets
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.app import create_app
from api.db import Sessions
from api.models import FamilySurveyRecord, OutboxEvent
from api.settings import Settings
from schemas.events import SurveyReceivedEvent, typed
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]

GOOD = {
    "language": "es",
    "answers": {"score": 8, "friendly": 4, "channels": ["phone", "email"], "better": "Ana at the desk"},
}


def device() -> dict[str, str]:
    return {"Cookie": f"fo_feedback_device={secrets.token_urlsafe(24)}"}


async def new_school(client: Client, tenant: Tenant, code: str = "LIN") -> Any:
    response = await client.post(
        "/api/v1/feedback/schools", json={"code": code, "name": f"School {code}"}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def send(client: Client, token: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    return await client.post(f"/survey/{token}/answers", json=body, headers=headers or {})


async def stored(sessions: Sessions) -> list[FamilySurveyRecord]:
    async with sessions() as session:
        return list(
            await session.scalars(select(FamilySurveyRecord).order_by(FamilySurveyRecord.recorded_at))
        )


async def events(sessions: Sessions) -> list[OutboxEvent]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "survey.received")))


async def test_a_family_answers_the_survey_once_a_day_from_a_device(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    school = await new_school(client, district_a)
    page = await client.get(f"/survey/{school['token']}", headers={"Accept-Language": "es-MX"})
    assert page.status_code == 200 and page.headers["content-language"] == "es"
    assert "Encuesta para familias" in page.text and "fo_feedback_device" in page.headers["set-cookie"]
    assert "Content-Security-Policy" in page.headers and "School LIN" in page.text
    phone = device()
    first = await send(client, school["token"], GOOD, phone)
    assert first.status_code == 201, first.text
    assert first.json()["counted"] is True and "Gracias" in first.json()["message"]
    again = await send(client, school["token"], {**GOOD, "answers": {"score": 0}}, phone)
    assert again.status_code == 200 and again.json()["counted"] is False
    (row,) = await stored(sessions)
    assert (row.score, row.language, row.answers) == (8, "es", GOOD["answers"])
    assert row.device_key and row.address_key and row.address_slot == 0
    # One event, in the answer's transaction: the scales and choices, the text only counted.
    (stored_event,) = await events(sessions)
    assert stored_event.district_id == district_a.id
    event = typed(stored_event.type, stored_event.id, stored_event.created_at, stored_event.payload)
    assert isinstance(event, SurveyReceivedEvent)
    assert event.data.survey_id == row.id and event.data.school.code == "LIN"
    assert (event.data.instrument, event.data.score, event.data.language) == ("family-survey@1", 8, "es")
    assert event.data.answers == {"score": 8, "friendly": 4, "channels": ["phone", "email"]}
    assert event.data.text_answers == 1 and "Ana" not in msgspec.json.encode(stored_event.payload).decode()
    # Staff see it with the surveys they entered; another district does not.
    listed = await client.get("/api/v1/family-surveys", headers=district_a.headers)
    assert [s["answers"]["score"] for s in listed.json()] == [8]
    assert (await client.get("/api/v1/family-surveys", headers=district_b.headers)).json() == []
    summary = (await client.get("/api/v1/family-surveys/summary", headers=district_a.headers)).json()
    (figures,) = summary["schools"]
    assert (figures["code"], figures["count"], figures["mean_score"]) == ("LIN", 1, 8.0)


BAD = [
    pytest.param({**GOOD, "website": "http://spam.example"}, 422, "$.website", id="honeypot"),
    pytest.param({**GOOD, "answers": {"score": 11}}, 422, "$.answers.score", id="score-above-10"),
    pytest.param({**GOOD, "answers": {"friendly": 4}}, 422, "$.answers.score", id="score-missing"),
    pytest.param(
        {**GOOD, "answers": {"score": 8, "lunch": 1}}, 422, "$.answers.lunch", id="unknown-question"
    ),
    pytest.param(
        {**GOOD, "answers": {"score": 8, "channels": ["fax"]}}, 422, "channels", id="unknown-option"
    ),
    pytest.param({**GOOD, "answers": {"score": 8.5}}, 400, "$.answers", id="score-not-whole"),
    pytest.param({**GOOD, "language": "fr"}, 400, "$.language", id="language"),
    pytest.param({**GOOD, "extra": 1}, 400, "extra", id="unknown-field"),
    pytest.param([GOOD], 400, "", id="not-an-object"),
]


@pytest.mark.parametrize(("body", "status", "where"), BAD)
async def test_bad_surveys_are_refused_with_a_problem_and_nothing_is_written(
    client: Client, sessions: Sessions, district_a: Tenant, body: Any, status: int, where: str
) -> None:
    school = await new_school(client, district_a)
    response = await send(client, school["token"], body, device())
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert where in msgspec.json.encode(response.json()).decode()
    assert await stored(sessions) == [] and await events(sessions) == []


async def test_oversized_closed_switched_off_and_unknown_links_write_nothing(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    big = {**GOOD, "answers": {"score": 8, "better": "x" * 20_000}}
    assert (await send(client, school["token"], big, device())).status_code == 413
    assert (await send(client, "no-such-link", GOOD, device())).status_code == 404
    assert (await client.get("/survey/no-such-link")).status_code == 404
    switches = {
        "card": True,
        "exit_interview": True,
        "shopper_phone": True,
        "shopper_email": True,
        "shopper_visit": True,
        "family_survey": False,
    }
    off = await client.put(
        f"/api/v1/feedback/schools/{school['id']}/instruments", json=switches, headers=district_a.headers
    )
    assert off.status_code == 200, off.text
    refused = await send(client, school["token"], GOOD, device())
    assert refused.status_code == 409 and "survey" in refused.json()["detail"]
    assert (await client.get(f"/survey/{school['token']}")).status_code == 409
    # The card still takes answers: only the survey is off.
    card = {"score": 9, "reason": "enrollment", "resolved": True}
    assert (
        await client.post(f"/feedback/{school['token']}/answers", json=card, headers=device())
    ).status_code == 201
    await client.post(f"/api/v1/feedback/schools/{school['id']}/close", headers=district_a.headers)
    switches["family_survey"] = True
    await client.put(
        f"/api/v1/feedback/schools/{school['id']}/instruments", json=switches, headers=district_a.headers
    )
    gone = await send(client, school["token"], GOOD, device())
    assert gone.status_code == 410
    closed_page = await client.get(f"/survey/{school['token']}?lang=es")
    assert closed_page.status_code == 410 and "está cerrado" in closed_page.text
    assert await stored(sessions) == [] and await events(sessions) == []


@pytest.fixture
async def strict_client(settings: Settings) -> AsyncIterator[Client]:
    """3 answers per address per school a day, 5 a minute per school."""
    tight = msgspec.structs.replace(
        settings, feedback_answers_per_address=3, feedback_rate_limit_school="5/minute"
    )
    async with AsyncTestClient(app=create_app(tight)) as client:
        yield client


async def test_one_address_adds_only_its_share_and_the_school_limit_holds(
    strict_client: Client, client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    statuses = [(await send(strict_client, school["token"], GOOD, device())).status_code for _ in range(6)]
    assert statuses == [201, 201, 201, 200, 200, 429]
    assert len(await stored(sessions)) == 3 and len(await events(sessions)) == 3
