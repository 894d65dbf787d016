"""Family feedback through its routes, on SQLite and PostgreSQL: schools' links (admin), the
public answer route and its abuse rules, the event in the outbox, the figures and their CSV,
the QR card, and tenant isolation."""

import asyncio
import io
import secrets
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pypdf import PdfReader
from sqlalchemy import select

from api.app import create_app
from api.db import Sessions
from api.models import FeedbackAnswer, OutboxEvent
from api.settings import Settings
from schemas.events import FeedbackReceivedEvent, typed
from tests.conftest import Tenant, make_tenant

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]

GOOD = {"score": 9, "reason": "enrollment", "resolved": True}


def device() -> dict[str, str]:
    """A device of its own: the cookie the public page gives a phone."""
    return {"Cookie": f"fo_feedback_device={secrets.token_urlsafe(24)}"}


async def new_school(
    client: Client, tenant: Tenant, code: str = "LIN", name: str = "Lincoln Elementary"
) -> Any:
    response = await client.post(
        "/api/v1/feedback/schools", json={"code": code, "name": name}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def answer(client: Client, token: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    return await client.post(f"/feedback/{token}/answers", json=body, headers=headers or {})


async def summary(client: Client, tenant: Tenant) -> Any:
    response = await client.get("/api/v1/feedback/summary", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def stored(sessions: Sessions) -> list[FeedbackAnswer]:
    async with sessions() as session:
        return list(await session.scalars(select(FeedbackAnswer).order_by(FeedbackAnswer.received_at)))


async def events(sessions: Sessions) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.type == "feedback.received")
            .order_by(OutboxEvent.created_at)
        )
        return [row.payload for row in rows]


async def test_a_family_answers_and_the_school_figures_count_it(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    assert school["open"] is True and school["link"].endswith(f"/feedback/{school['token']}")
    first = await answer(client, school["token"], {**GOOD, "comment": "Quick and kind."}, device())
    assert first.status_code == 201, first.text
    assert first.json()["counted"] is True
    second = await answer(
        client,
        school["token"],
        {
            "score": 4,
            "reason": "transportation",
            "resolved": False,
            "language": "es",
            "contact": {"name": "Rosa Díaz", "phone": "555-0100", "consent": True},
        },
        device(),
    )
    assert second.status_code == 201, second.text
    assert "Gracias" in second.json()["message"]

    figures = (await summary(client, district_a))["schools"]
    assert len(figures) == 1
    lincoln = figures[0]
    assert lincoln["code"] == "LIN" and lincoln["count"] == 2
    assert lincoln["mean_score"] == pytest.approx(6.5)
    assert lincoln["distribution"] == [0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]
    assert lincoln["resolved_rate"] == pytest.approx(0.5)
    by_reason = {r["reason"]: r for r in lincoln["by_reason"]}
    assert list(by_reason) == ["enrollment", "transportation"]  # the card's order
    assert (
        by_reason["transportation"]["mean_score"] == 4 and by_reason["transportation"]["resolved_rate"] == 0
    )

    # Each counted answer is announced; contact details only because the family consented.
    announced = await events(sessions)
    assert [e["score"] for e in announced] == [9, 4]
    assert announced[0]["contact"] is None and announced[0]["comment"] == "Quick and kind."
    assert announced[1]["contact"] == {"name": "Rosa Díaz", "phone": "555-0100", "email": ""}
    assert announced[1]["school"]["code"] == "LIN" and announced[1]["instrument"] == "feedback-card@1"
    async with sessions() as session:
        row = await session.scalar(select(OutboxEvent).where(OutboxEvent.type == "feedback.received"))
    assert row is not None and row.district_id == district_a.id
    event = typed(row.type, row.id, row.created_at, row.payload)  # as plugins and webhooks get it
    assert isinstance(event, FeedbackReceivedEvent) and event.data.reason == "enrollment"

    csv = await client.get("/api/v1/feedback/summary.csv", headers=district_a.headers)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("school_code,school_name,reason,count,mean_score,resolved_rate,score_0,")
    assert lines[1] == "LIN,Lincoln Elementary,,2,6.5,0.5,0,0,0,0,1,0,0,0,0,1,0"
    assert lines[2].startswith("LIN,Lincoln Elementary,enrollment,1,9.0,1.0,")
    assert len(lines) == 4


async def test_school_links_are_managed_by_an_admin_and_a_closed_link_takes_nothing(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    again = await client.post(
        "/api/v1/feedback/schools", json={"code": "LIN", "name": "Lincoln"}, headers=district_a.headers
    )
    assert again.status_code == 409
    listed = await client.get("/api/v1/feedback/schools", headers=district_a.headers)
    assert [s["code"] for s in listed.json()] == ["LIN"]
    reader = await make_tenant(sessions, "readers", ["feedback:read"])
    refused = await client.post(
        "/api/v1/feedback/schools", json={"code": "WAS", "name": "Washington"}, headers=reader.headers
    )
    assert refused.status_code == 403
    assert (await client.get("/api/v1/feedback/summary", headers=reader.headers)).status_code == 200

    closed = await client.post(f"/api/v1/feedback/schools/{school['id']}/close", headers=district_a.headers)
    assert closed.status_code == 200 and closed.json()["open"] is False
    gone = await answer(client, school["token"], GOOD, device())
    assert gone.status_code == 410 and gone.headers["content-type"] == "application/problem+json"
    assert "closed" in gone.json()["detail"]
    closed_page = await client.get(f"/feedback/{school['token']}?lang=es")
    assert closed_page.status_code == 410 and "está cerrado" in closed_page.text
    assert closed_page.headers["content-type"].startswith("text/html")
    missing_page = await client.get("/feedback/no-such-link")
    assert missing_page.status_code == 404 and "No feedback link here" in missing_page.text
    unknown = await answer(client, "no-such-link", GOOD)
    assert unknown.status_code == 404 and unknown.json()["type"] == "/problems/not-found"
    assert await stored(sessions) == [] and await events(sessions) == []
    # The closed school keeps its place in the figures.
    assert (await summary(client, district_a))["schools"][0]["open"] is False


BAD = [
    pytest.param({**GOOD, "website": "http://spam.example"}, 422, "$.website", id="honeypot"),
    pytest.param({**GOOD, "comment": "x" * 1001}, 400, "$.comment", id="comment-too-long"),
    pytest.param({**GOOD, "score": "9"}, 400, "$.score", id="score-as-text"),
    pytest.param({**GOOD, "score": 11}, 400, "$.score", id="score-above-10"),
    pytest.param({**GOOD, "score": 7.5}, 400, "$.score", id="score-not-whole"),
    pytest.param({**GOOD, "resolved": "yes"}, 400, "$.resolved", id="resolved-as-text"),
    pytest.param({**GOOD, "reason": "lunch_money"}, 422, "$.reason", id="reason-not-on-the-card"),
    pytest.param({**GOOD, "extra": 1}, 400, "extra", id="unknown-field"),
    pytest.param({"score": 9}, 400, "reason", id="missing-fields"),
    pytest.param(
        {**GOOD, "contact": {"name": "A", "phone": "555", "consent": False}},
        422,
        "$.contact.consent",
        id="contact-without-consent",
    ),
    pytest.param(
        {**GOOD, "contact": {"name": "A", "consent": True}}, 422, "$.contact", id="contact-without-a-way"
    ),
    pytest.param(
        {**GOOD, "contact": {"name": "A", "phone": "<b>call</b>", "consent": True}},
        400,
        "$.contact.phone",
        id="phone-not-a-phone",
    ),
    pytest.param([GOOD], 400, "", id="not-an-object"),
]


@pytest.mark.parametrize(("body", "status", "where"), BAD)
async def test_bad_answers_are_refused_with_a_problem_and_nothing_is_written(
    client: Client, sessions: Sessions, district_a: Tenant, body: Any, status: int, where: str
) -> None:
    school = await new_school(client, district_a)
    response = await answer(client, school["token"], body, device())
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["status"] == status and problem["detail"]
    assert where in msgspec.json.encode(problem).decode()
    assert await stored(sessions) == [] and await events(sessions) == []


async def test_oversized_and_non_json_bodies_are_refused(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    url = f"/feedback/{school['token']}/answers"
    huge = msgspec.json.encode({**GOOD, "comment": "x" * 20_000})
    too_big = await client.post(url, content=huge, headers={"Content-Type": "application/json"})
    assert too_big.status_code == 413, too_big.text
    form = await client.post(
        url, content=b"score=9", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert form.status_code == 415
    broken = await client.post(url, content=b"{score: 9", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
    assert await stored(sessions) == []


async def test_script_in_a_comment_is_kept_as_inert_text(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = await answer(client, school["token"], {**GOOD, "comment": script}, device())
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    assert script not in response.text  # the receipt does not echo it
    (row,) = await stored(sessions)
    assert row.comment == script  # stored as the family typed it, as text
    assert (await events(sessions))[0]["comment"] == script
    page = await client.get(f"/feedback/{school['token']}")
    assert "<script>alert" not in page.text and "onerror" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_a_flood_from_one_device_does_not_move_the_score(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    phone = device()
    assert (await answer(client, school["token"], GOOD, phone)).status_code == 201
    for _ in range(25):
        repeat = await answer(client, school["token"], {**GOOD, "score": 0}, phone)
        assert repeat.status_code == 200 and repeat.json()["counted"] is False
    # Without a cookie, the address is the device: the first counts, the rest do not.
    assert (await answer(client, school["token"], {**GOOD, "score": 8})).status_code == 201
    for _ in range(10):
        assert (await answer(client, school["token"], {**GOOD, "score": 0})).json()["counted"] is False
    figures = (await summary(client, district_a))["schools"][0]
    assert figures["count"] == 2 and figures["mean_score"] == pytest.approx(8.5)
    assert len(await stored(sessions)) == 2 and len(await events(sessions)) == 2
    # Another school is another count: the same phone answers there too.
    other = await new_school(client, district_a, "WAS", "Washington Middle")
    assert (await answer(client, other["token"], GOOD, phone)).status_code == 201


@pytest.fixture
async def strict_client(settings: Settings) -> AsyncIterator[Client]:
    """The app with low limits: 3 answers per address per school a day, 5 a minute per school,
    20 public requests a minute per address."""
    tight = msgspec.structs.replace(
        settings,
        feedback_answers_per_address=3,
        feedback_rate_limit_school="5/minute",
        rate_limit_public="20/minute",
    )
    async with AsyncTestClient(app=create_app(tight)) as client:
        yield client


async def test_one_address_making_up_devices_adds_only_its_daily_share(
    strict_client: Client, client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    results = [
        (await answer(strict_client, school["token"], {**GOOD, "score": 0}, device())) for _ in range(5)
    ]
    assert [r.status_code for r in results] == [201, 201, 201, 200, 200]
    assert (await summary(client, district_a))["schools"][0]["count"] == 3
    # At once, too: answers from one address can't both pass the count.
    other = await new_school(client, district_a, "WAS", "Washington Middle")
    at_once = await asyncio.gather(*(answer(strict_client, other["token"], GOOD, device()) for _ in range(4)))
    assert sorted(r.status_code for r in at_once) == [200, 201, 201, 201]


async def test_each_school_link_has_its_own_limit_and_the_public_limit_applies(
    strict_client: Client, client: Client, district_a: Tenant
) -> None:
    lincoln = await new_school(client, district_a)
    washington = await new_school(client, district_a, "WAS", "Washington Middle")
    statuses = [(await answer(strict_client, lincoln["token"], GOOD, device())).status_code for _ in range(6)]
    assert statuses[:5] == [201, 201, 201, 200, 200] and statuses[5] == 429
    limited = await answer(strict_client, lincoln["token"], GOOD, device())
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert "school" in limited.json()["detail"]
    assert (await answer(strict_client, washington["token"], GOOD, device())).status_code == 201
    # The public routes' per-address limit counts these calls too (no credential).
    statuses = [
        (await answer(strict_client, washington["token"], GOOD, device())).status_code for _ in range(15)
    ]
    assert 429 in statuses
    assert "address" in (await answer(strict_client, washington["token"], GOOD)).json()["detail"]


async def test_a_district_sees_only_its_own_schools_and_answers(
    client: Client, district_a: Tenant, district_b: Tenant
) -> None:
    school = await new_school(client, district_a)
    assert (await answer(client, school["token"], GOOD, device())).status_code == 201
    assert (await summary(client, district_b))["schools"] == []
    csv = await client.get("/api/v1/feedback/summary.csv", headers=district_b.headers)
    assert csv.text.splitlines()[1:] == []
    assert (await client.get("/api/v1/feedback/schools", headers=district_b.headers)).json() == []
    for path in (
        f"/api/v1/feedback/schools/{school['id']}",
        f"/api/v1/feedback/schools/{school['id']}/card.pdf",
        f"/api/v1/feedback/schools/{school['id']}/survey-card.pdf",
    ):
        assert (await client.get(path, headers=district_b.headers)).status_code == 404
    closing = await client.post(f"/api/v1/feedback/schools/{school['id']}/close", headers=district_b.headers)
    assert closing.status_code == 404
    # The same code is another district's own school.
    assert (await new_school(client, district_b))["token"] != school["token"]
    assert (await summary(client, district_a))["schools"][0]["count"] == 1


async def test_the_counter_card_is_a_pdf_with_the_link_in_each_language(
    client: Client, district_a: Tenant
) -> None:
    school = await new_school(client, district_a, "LIN", "Escuela Lincoln")
    for lang, title in (("en", "How did we do today?"), ("es", "¿Cómo le atendimos hoy?")):
        response = await client.get(
            f"/api/v1/feedback/schools/{school['id']}/card.pdf?lang={lang}", headers=district_a.headers
        )
        assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
        assert f"feedback-card-LIN-{lang}.pdf" in response.headers["content-disposition"]
        text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
        assert title in text and "Escuela Lincoln" in text and school["token"] in text.replace("\n", "")
    bad = await client.get(
        f"/api/v1/feedback/schools/{school['id']}/card.pdf?lang=fr", headers=district_a.headers
    )
    assert bad.status_code == 400


async def test_the_survey_card_is_a_pdf_with_the_survey_link_in_each_language(
    client: Client, district_a: Tenant
) -> None:
    school = await new_school(client, district_a, "LIN", "Escuela Lincoln")
    for lang, title, time in (
        ("en", "Family survey", "about 3 minutes"),
        ("es", "Encuesta para familias", "unos 3 minutos"),
    ):
        response = await client.get(
            f"/api/v1/feedback/schools/{school['id']}/survey-card.pdf?lang={lang}", headers=district_a.headers
        )
        assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
        assert f"survey-card-LIN-{lang}.pdf" in response.headers["content-disposition"]
        text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
        assert title in text and "Escuela Lincoln" in text and time in text
        assert f"/survey/{school['token']}" in text.replace("\n", "")
    bad = await client.get(
        f"/api/v1/feedback/schools/{school['id']}/survey-card.pdf?lang=fr", headers=district_a.headers
    )
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"


async def test_the_public_page_speaks_the_family_s_language_and_marks_the_device(
    client: Client, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    page = await client.get(f"/feedback/{school['token']}", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert page.status_code == 200 and page.headers["content-language"] == "es"
    assert '<html lang="es">' in page.text and "¿Cómo le atendimos hoy?" in page.text
    cookie = page.headers["set-cookie"]
    assert (
        cookie.startswith("fo_feedback_device=")
        and "HttpOnly" in cookie
        and "samesite=strict" in cookie.lower()
    )
    english = await client.get(f"/feedback/{school['token']}?lang=en")
    assert '<html lang="en">' in english.text and "set-cookie" not in english.headers  # it has one
    assert (await client.get("/feedback-assets/feedback.js")).status_code == 200


async def test_staff_read_the_card_s_reasons_in_their_language(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    english = await client.get("/api/v1/feedback/card", headers=district_a.headers)
    assert english.status_code == 200, english.text
    assert {"id": "enrollment", "label": "Enrolling or registering a student"} in english.json()["reasons"]
    # The inbox's readers label its reasons too, without the figures' scope.
    inbox = await make_tenant(sessions, "inbox-readers", ["dialogues:read"])
    spanish = await client.get("/api/v1/feedback/card", params={"lang": "es"}, headers=inbox.headers)
    assert spanish.status_code == 200, spanish.text
    assert (spanish.json()["language"], spanish.json()["title"]) == ("es", "¿Cómo le atendimos hoy?")
    assert {"id": "transportation", "label": "Autobús o transporte"} in spanish.json()["reasons"]
    assert [r["id"] for r in spanish.json()["reasons"]] == [r["id"] for r in english.json()["reasons"]]

    other = await make_tenant(sessions, "others", ["hr:read"])
    refused = await client.get("/api/v1/feedback/card", headers=other.headers)
    assert refused.status_code == 403 and "feedback:read or dialogues:read" in refused.json()["detail"]
    unknown = await client.get("/api/v1/feedback/card", params={"lang": "xx"}, headers=district_a.headers)
    assert unknown.status_code == 400 and "lang" in unknown.text
    assert unknown.headers["content-type"].startswith("application/problem+json")
