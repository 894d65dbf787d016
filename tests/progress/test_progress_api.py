"""Learner progress through the API: tokens, attempts, scoring, completion, outbox, bad input."""

import uuid
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.app import create_app
from api.db import Sessions
from api.identity import tokens
from api.models import Attempt, Completion, IdempotencyRecord, Learner, OutboxEvent
from api.settings import Settings
from tests.conftest import Tenant, make_tenant
from tests.progress.answers import form_answers, valid_answer, wrong_answer

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]
MODULE = "who-are-our-customers"


async def learner_headers(
    client: Client, tenant: Tenant, external_id: str = "emp-1", **profile: str
) -> dict[str, str]:
    body = {
        "learner": {
            "external_id": external_id,
            "name": "Pat Rivera",
            "email": "pat@example.org",
            "employee_id": "E100",
            "school": "Lincoln Elementary",
            "role": "secretary",
            **profile,
        }
    }
    response = await client.post("/api/v1/learner-tokens", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def facilitator_forms(client: Client, tenant: Tenant, module_id: str = MODULE) -> dict[str, Any]:
    module = (await client.get(f"/api/v1/modules/{module_id}/facilitator", headers=tenant.headers)).json()
    return {form["id"]: form for form in module["forms"]}


async def submit_form(
    client: Client,
    headers: dict[str, str],
    form: dict[str, Any],
    module_id: str = MODULE,
    *,
    right: bool = True,
) -> dict[str, Any]:
    started = await client.post(
        f"/api/v1/me/modules/{module_id}/forms/{form['id']}/attempts", headers=headers
    )
    assert started.status_code in (200, 201), started.text
    attempt = started.json()
    response = await client.post(
        f"/api/v1/me/attempts/{attempt['id']}/submit",
        json={"answers": form_answers(form, right=right)},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def counts(sessions: Sessions) -> dict[str, int]:
    async with sessions() as session:
        return {
            model.__tablename__: (await session.execute(select(func.count()).select_from(model))).scalar_one()
            for model in (Learner, Attempt, Completion, OutboxEvent, IdempotencyRecord)
        }


async def test_token_upserts_the_learner_and_acts_for_them(client: Client, district_a: Tenant) -> None:
    headers = await learner_headers(client, district_a)
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert me["external_id"] == "emp-1" and me["school"] == "Lincoln Elementary"
    again = await learner_headers(client, district_a, school="Roosevelt High")
    assert (await client.get("/api/v1/me", headers=again)).json() == {**me, "school": "Roosevelt High"}
    # A learner token reads content but is not a facilitator, nor an administrator.
    assert (await client.get(f"/api/v1/modules/{MODULE}", headers=headers)).status_code == 200
    assert (await client.get(f"/api/v1/modules/{MODULE}/facilitator", headers=headers)).status_code == 403
    assert (await client.get("/api/v1/keys", headers=headers)).status_code == 403


async def test_token_needs_progress_write(client: Client, sessions: Sessions) -> None:
    reader = await make_tenant(sessions, "reader", ["content:read"])
    response = await client.post(
        "/api/v1/learner-tokens", json={"learner": {"external_id": "x"}}, headers=reader.headers
    )
    assert response.status_code == 403


async def test_facilitator_token_reads_the_script_but_needs_a_facilitating_key(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    body = {"learner": {"external_id": "teacher-1"}, "facilitator": True}
    response = await client.post("/api/v1/learner-tokens", json=body, headers=district_a.headers)
    assert response.status_code == 201, response.text
    headers = {"Authorization": f"Bearer {response.json()['token']}"}
    assert (await client.get(f"/api/v1/modules/{MODULE}/facilitator", headers=headers)).status_code == 200
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    assert (await client.get("/api/v1/keys", headers=headers)).status_code == 403
    # A key that cannot read the script itself cannot hand that right on.
    writer = await make_tenant(sessions, "writer", ["progress:write"])
    refused = await client.post("/api/v1/learner-tokens", json=body, headers=writer.headers)
    assert refused.status_code == 403 and "content:facilitate" in refused.json()["detail"]


async def test_whole_module_completes_once_with_its_events(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    headers = await learner_headers(client, district_a)
    forms = await facilitator_forms(client, district_a)
    progress = {p["module_id"]: p for p in (await client.get("/api/v1/me/progress", headers=headers)).json()}
    assert progress[MODULE]["status"] == "not_started"

    worksheet = await submit_form(client, headers, forms["customer-worksheet"])
    assert worksheet["completion"] is None and worksheet["attempt"]["status"] == "submitted"
    lists = {c["item"]: c for c in worksheet["attempt"]["lists"]}
    assert "Parents" in lists["external"]["matched"] and "Teachers" in lists["internal"]["matched"]

    quiz = await submit_form(client, headers, forms["knowledge-check"])
    assert quiz["attempt"]["score"] == pytest.approx(1.0) and quiz["attempt"]["passed"] is True
    assert all(item["correct"] and item["feedback"] for item in quiz["attempt"]["items"])
    progress = {p["module_id"]: p for p in (await client.get("/api/v1/me/progress", headers=headers)).json()}
    assert progress[MODULE]["status"] == "in_progress"
    open_requirements = [r for group in progress[MODULE]["requirements"] for r in group if not r["met"]]
    # The reflection, or (in a live workshop) attendance confirmed by the facilitator.
    assert [(r["form"], r["action"]) for r in open_requirements] == [
        ("reflection", "submit"),
        ("attendance", "attend"),
    ]

    reflection = await submit_form(client, headers, forms["reflection"])
    completion = reflection["completion"]
    assert completion["module_id"] == MODULE and completion["credit_minutes"] == 25
    assert completion["score"] == pytest.approx(1.0) and completion["passed"] is True

    transcript = (await client.get("/api/v1/me/transcript", headers=headers)).json()
    assert transcript["total_credit_minutes"] == 25 and len(transcript["completions"]) == 1
    async with sessions() as session:
        events = list((await session.execute(select(OutboxEvent).order_by(OutboxEvent.created_at))).scalars())
    assert [e.type for e in events] == [
        "form.submitted",
        "attempt.submitted",
        "form.submitted",
        "completion.recorded",
    ]
    recorded = events[-1].payload
    assert recorded["completion_id"] == completion["id"] and recorded["learner"]["employee_id"] == "E100"
    reflection_text = valid_answer(forms["reflection"]["items"][0])
    assert all(reflection_text not in str(e.payload) for e in events)  # no answers in any event
    assert "answers" not in str(recorded)


async def test_wrong_answers_fail_and_teach(client: Client, district_a: Tenant) -> None:
    headers = await learner_headers(client, district_a)
    forms = await facilitator_forms(client, district_a)
    result = (await submit_form(client, headers, forms["knowledge-check"], right=False))["attempt"]
    assert result["passed"] is False and result["score"] < 0.8
    assert all(item["feedback"] for item in result["items"])
    assert result["attempts_left"] == 2


async def test_attempts_are_limited(client: Client, sessions: Sessions, district_a: Tenant) -> None:
    headers = await learner_headers(client, district_a)
    form = (await facilitator_forms(client, district_a))["knowledge-check"]
    limit = form["policy"]["attempts"]["max_attempts"]
    for _ in range(limit):
        await submit_form(client, headers, form, right=False)
    before = await counts(sessions)
    response = await client.post(
        f"/api/v1/me/modules/{MODULE}/forms/knowledge-check/attempts", headers=headers
    )
    assert response.status_code == 422 and str(limit) in response.json()["detail"]
    assert await counts(sessions) == before


async def test_drafts_autosave_and_resume(client: Client, district_a: Tenant) -> None:
    headers = await learner_headers(client, district_a)
    url = f"/api/v1/me/modules/{MODULE}/forms/customer-worksheet/attempts"
    first = await client.post(url, headers=headers)
    assert first.status_code == 201
    attempt_id = first.json()["id"]
    saved = await client.put(
        f"/api/v1/me/attempts/{attempt_id}/answers",
        json={"answers": {"external": ["Grandparents"]}},
        headers=headers,
    )
    assert saved.status_code == 200
    await client.put(
        f"/api/v1/me/attempts/{attempt_id}/answers",
        json={"answers": {"external": ["Grandparents", "Vendors"]}},
        headers=headers,
    )
    again = await client.post(url, headers=headers)  # a new device: the same draft
    assert again.status_code == 200 and again.json()["id"] == attempt_id
    assert again.json()["answers"] == {"external": ["Grandparents", "Vendors"]}


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"no-such-item": ["x"]}, "$.answers.no-such-item"),
        ({"external": "Parents"}, "$.answers.external"),  # a list item answered with text
        ({"external": ["x" * 5000]}, "$.answers.external"),  # over the entry length limit
    ],
)
async def test_bad_answers_are_422_and_change_nothing(
    client: Client, sessions: Sessions, district_a: Tenant, answers: dict[str, Any], field: str
) -> None:
    headers = await learner_headers(client, district_a)
    attempt = (
        await client.post(f"/api/v1/me/modules/{MODULE}/forms/customer-worksheet/attempts", headers=headers)
    ).json()
    good = {"external": ["Parents"]}
    await client.put(f"/api/v1/me/attempts/{attempt['id']}/answers", json={"answers": good}, headers=headers)
    before = await counts(sessions)
    response = await client.put(
        f"/api/v1/me/attempts/{attempt['id']}/answers", json={"answers": answers}, headers=headers
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["field"].startswith(field) and problem["detail"]
    submitted = await client.post(
        f"/api/v1/me/attempts/{attempt['id']}/submit", json={"answers": answers}, headers=headers
    )
    assert submitted.status_code == 422
    assert (await client.get(f"/api/v1/me/attempts/{attempt['id']}", headers=headers)).json()[
        "answers"
    ] == good
    assert await counts(sessions) == before


async def test_submitted_answers_cannot_change(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    headers = await learner_headers(client, district_a)
    forms = await facilitator_forms(client, district_a)
    attempt = (await submit_form(client, headers, forms["customer-worksheet"]))["attempt"]
    before = await counts(sessions)
    response = await client.put(
        f"/api/v1/me/attempts/{attempt['id']}/answers",
        json={"answers": {"external": ["Changed"]}},
        headers=headers,
    )
    assert response.status_code == 409
    url = f"/api/v1/me/attempts/{attempt['id']}/submit"
    repeat = await client.post(url, json={}, headers=headers)
    assert repeat.status_code == 200 and repeat.json()["attempt"]["answers"] == attempt["answers"]
    same = await client.post(url, json={"answers": attempt["answers"]}, headers=headers)
    assert same.status_code == 200 and same.json()["attempt"] == repeat.json()["attempt"]
    other = await client.post(url, json={"answers": {"external": ["Changed"]}}, headers=headers)
    assert other.status_code == 409 and "start a new attempt" in other.json()["detail"]
    assert await counts(sessions) == before


async def test_missing_required_answers_are_named(client: Client, district_a: Tenant) -> None:
    headers = await learner_headers(client, district_a)
    attempt = (
        await client.post(f"/api/v1/me/modules/{MODULE}/forms/knowledge-check/attempts", headers=headers)
    ).json()
    response = await client.post(f"/api/v1/me/attempts/{attempt['id']}/submit", json={}, headers=headers)
    assert response.status_code == 422 and "missing" in response.json()["detail"]


async def test_another_learners_attempt_is_404(
    client: Client, district_a: Tenant, district_b: Tenant
) -> None:
    pat = await learner_headers(client, district_a, "pat")
    sam = await learner_headers(client, district_a, "sam")
    other = await learner_headers(client, district_b, "pat")
    attempt = (
        await client.post(f"/api/v1/me/modules/{MODULE}/forms/customer-worksheet/attempts", headers=pat)
    ).json()
    for headers in (sam, other):
        assert (await client.get(f"/api/v1/me/attempts/{attempt['id']}", headers=headers)).status_code == 404
        response = await client.put(
            f"/api/v1/me/attempts/{attempt['id']}/answers",
            json={"answers": {"external": ["x"]}},
            headers=headers,
        )
        assert response.status_code == 404


@pytest.mark.parametrize("token", ["garbage", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"])
async def test_forged_token_is_401(client: Client, district_a: Tenant, token: str) -> None:
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.json()["type"] == "/problems/unauthorized"


SECRET = "a-configured-secret-of-at-least-32-bytes"


async def test_expired_token_is_401(settings: Settings, district_a: Tenant) -> None:
    app = create_app(msgspec.structs.replace(settings, secret_key=SECRET))
    async with AsyncTestClient(app=app) as client:
        headers = await learner_headers(client, district_a)
        me = (await client.get("/api/v1/me", headers=headers)).json()
        expired, _ = tokens.issue(SECRET, district_a.id, uuid.UUID(me["id"]), "", timedelta(minutes=-10))
        response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]


async def test_idempotency_key_replays_and_refuses_another_body(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    headers = {**district_a.headers, "Idempotency-Key": "token-req-1"}
    body = {"learner": {"external_id": "emp-9", "name": "Jo"}}
    first = await client.post("/api/v1/learner-tokens", json=body, headers=headers)
    second = await client.post("/api/v1/learner-tokens", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers["idempotent-replayed"] == "true"
    before = await counts(sessions)
    other = await client.post(
        "/api/v1/learner-tokens", json={"learner": {"external_id": "emp-10"}}, headers=headers
    )
    assert other.status_code == 422 and other.json()["type"] == "/problems/idempotency-key-reused"
    assert await counts(sessions) == before


async def test_idempotency_key_compares_the_decoded_body(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    headers = {**district_a.headers, "Idempotency-Key": "token-req-2", "Content-Type": "application/json"}
    compact = b'{"learner":{"external_id":"emp-11","name":"Jo"},"cohort":"fall"}'
    spaced = b'{ "cohort": "fall",\n  "learner": { "name": "Jo", "external_id": "emp-11" } }'
    first = await client.post("/api/v1/learner-tokens", content=compact, headers=headers)
    before = await counts(sessions)
    second = await client.post("/api/v1/learner-tokens", content=spaced, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true" and second.json() == first.json()
    assert await counts(sessions) == before


async def test_idempotent_submit_records_one_submission(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    headers = await learner_headers(client, district_a)
    form = (await facilitator_forms(client, district_a))["knowledge-check"]
    attempt = (
        await client.post(f"/api/v1/me/modules/{MODULE}/forms/knowledge-check/attempts", headers=headers)
    ).json()
    body = {"answers": form_answers(form)}
    keyed = {**headers, "Idempotency-Key": "submit-1"}
    first = await client.post(f"/api/v1/me/attempts/{attempt['id']}/submit", json=body, headers=keyed)
    second = await client.post(f"/api/v1/me/attempts/{attempt['id']}/submit", json=body, headers=keyed)
    assert first.json() == second.json()
    async with sessions() as session:
        types = list((await session.execute(select(OutboxEvent.type))).scalars())
    assert types == ["attempt.submitted"]


async def test_void_keeps_the_record_and_tells_plugins(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    headers = await learner_headers(client, district_a)
    forms = await facilitator_forms(client, district_a)
    for form_id in ("customer-worksheet", "knowledge-check", "reflection"):
        result = await submit_form(client, headers, forms[form_id])
    completion_id = result["completion"]["id"]
    assert (
        await client.post(
            f"/api/v1/completions/{completion_id}/void",
            json={"reason": "entered in error"},
            headers=district_b.headers,
        )
    ).status_code == 404
    voided = await client.post(
        f"/api/v1/completions/{completion_id}/void",
        json={"reason": "entered in error"},
        headers=district_a.headers,
    )
    assert voided.status_code == 200 and voided.json()["void_reason"] == "entered in error"
    transcript = (await client.get("/api/v1/me/transcript", headers=headers)).json()
    assert transcript["total_credit_minutes"] == 0 and transcript["completions"][0]["voided_at"]
    async with sessions() as session:
        assert (await session.execute(select(func.count()).select_from(Completion))).scalar_one() == 1
        types = list((await session.execute(select(OutboxEvent.type))).scalars())
    assert "completion.voided" in types


async def test_a_better_retake_updates_the_kept_score_everywhere(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    """The knowledge check's policy keeps the highest score ("your best score counts"): a retake
    after completing updates the record, the HR feed and tells plugins; a worse one changes only
    the attempt count."""
    headers = await learner_headers(client, district_a)
    forms = await facilitator_forms(client, district_a)
    quiz_form = forms["knowledge-check"]
    assert quiz_form["policy"]["attempts"]["counted"] == "highest"
    await submit_form(client, headers, forms["customer-worksheet"])

    async def take_quiz(answers: dict[str, Any]) -> dict[str, Any]:
        path = f"/api/v1/me/modules/{MODULE}/forms/knowledge-check/attempts"
        attempt = (await client.post(path, headers=headers)).json()
        response = await client.post(
            f"/api/v1/me/attempts/{attempt['id']}/submit", json={"answers": answers}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    right = form_answers(quiz_form)
    first_item = quiz_form["items"][0]
    one_wrong = {**right, first_item["id"]: wrong_answer(first_item)}
    first = await take_quiz(one_wrong)
    assert first["attempt"]["passed"] is True and first["attempt"]["score"] < 1
    completion = (await submit_form(client, headers, forms["reflection"]))["completion"]
    assert completion["score"] == pytest.approx(first["attempt"]["score"])

    await take_quiz(right)
    record = (await client.get(f"/api/v1/completions/{completion['id']}", headers=district_a.headers)).json()
    assert record["outcome"]["score_scaled"] == pytest.approx(1.0) and record["outcome"]["attempts"] == 2
    transcript = (await client.get("/api/v1/me/transcript", headers=headers)).json()
    assert transcript["completions"][0]["score"] == pytest.approx(1.0)
    async with sessions() as session:
        rescored = list(
            (
                await session.execute(select(OutboxEvent).where(OutboxEvent.type == "completion.rescored"))
            ).scalars()
        )
    assert len(rescored) == 1
    assert rescored[0].payload["score"] == pytest.approx(1.0)
    assert rescored[0].payload["previous_score"] == pytest.approx(first["attempt"]["score"])
    changes = (await client.get("/api/v1/completions/changes", headers=district_a.headers)).json()
    assert [
        c["record"]["outcome"]["attempts"] for c in changes["items"] if c["record"]["id"] == completion["id"]
    ][-1] == 2

    await take_quiz(one_wrong)  # worse: the best score still counts
    record = (await client.get(f"/api/v1/completions/{completion['id']}", headers=district_a.headers)).json()
    assert record["outcome"]["score_scaled"] == pytest.approx(1.0) and record["outcome"]["attempts"] == 3
    async with sessions() as session:
        count = (
            await session.execute(
                select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "completion.rescored")
            )
        ).scalar_one()
    assert count == 1
