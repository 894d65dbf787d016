"""Exit interviews and secret-shopper visits through their routes, on SQLite and PostgreSQL:
recording checked against the instruments, the server's score, the figures per school, the
per-school switches (409 when off, the public card refused), bad input refused with nothing
written, scopes, and another district's rows and schools out of reach."""

import secrets
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.db import Sessions
from api.models import ExitInterview, ShopperVisit
from tests.conftest import Tenant, make_tenant

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]

ALL_ON = {
    "card": True,
    "exit_interview": True,
    "shopper_phone": True,
    "shopper_email": True,
    "shopper_visit": True,
    "family_survey": True,
}

EXIT = {
    "held_on": "2026-11-20",
    "interviewer": "Ana Ruiz",
    "language": "es",
    "answers": {
        "reasons": ["moving", "treatment"],
        "front_office": 2,
        "phone": 3,
        "score": 4,
        "would_have_kept": "Que nos devolvieran las llamadas.",
    },
}
# Phone rubric (content/instruments/secret-shopper.yaml): rings met (10), greeting (15), courtesy
# 4 of 5 (3/4 of 20 = 15), no hold (not counted: 10 off the possible), wrong answer (0 of 25),
# follow-up kept (20): 60 of 90 = 66.7%.
PHONE_A = {
    "rings": 2,
    "greeting": True,
    "courtesy": 4,
    "hold_seconds": None,
    "accurate": False,
    "follow_up_kept": True,
}
# Rings missed (0 of 10), greeting (15), courtesy 5 (20), 30 s on hold (10), right answer (25),
# no follow-up promised (not counted): 70 of 80 = 87.5%.
PHONE_B = {"rings": 5, "greeting": True, "courtesy": 5, "hold_seconds": 30, "accurate": True}


async def new_school(client: Client, tenant: Tenant, code: str = "LIN") -> Any:
    response = await client.post(
        "/api/v1/feedback/schools", json={"code": code, "name": f"{code} Elementary"}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def record(client: Client, tenant: Tenant, path: str, body: dict[str, Any], status: int = 201) -> Any:
    response = await client.post(f"/api/v1/{path}", json=body, headers=tenant.headers)
    assert response.status_code == status, response.text
    return response.json()


async def get(client: Client, tenant: Tenant, path: str, status: int = 200, **params: Any) -> Any:
    response = await client.get(f"/api/v1/{path}", params=params, headers=tenant.headers)
    assert response.status_code == status, response.text
    return response.json()


async def rows(sessions: Sessions) -> tuple[int, int]:
    async with sessions() as session:
        exits = await session.scalar(select(func.count()).select_from(ExitInterview))
        visits = await session.scalar(select(func.count()).select_from(ShopperVisit))
    return exits or 0, visits or 0


async def test_a_visit_is_scored_by_the_server_and_summed_up_per_school_and_channel(
    client: Client, district_a: Tenant
) -> None:
    school = await new_school(client, district_a)
    visit = {"school_id": school["id"], "channel": "phone", "evaluator": "Sam Lee"}
    first = await record(
        client,
        district_a,
        "shopper-visits",
        {**visit, "visited_at": "2026-11-02T15:00:00Z", "answers": PHONE_A},
    )
    assert (first["points"], first["possible"], first["score"]) == (60.0, 90, 66.7)
    assert first["passed"] == {
        "rings": True,
        "greeting": True,
        "courtesy": True,
        "accurate": False,
        "follow_up_kept": True,
    }
    assert first["instrument_version"] == 1 and first["school_code"] == "LIN"
    second = await record(
        client,
        district_a,
        "shopper-visits",
        {**visit, "visited_at": "2026-11-09T15:00:00Z", "answers": PHONE_B},
    )
    assert (second["points"], second["possible"], second["score"]) == (70.0, 80, 87.5)
    visit_answers = {
        "acknowledged_seconds": 10,
        "greeting": True,
        "sign_in": False,
        "courtesy": 3,
        "accurate": True,
    }
    third = await record(
        client,
        district_a,
        "shopper-visits",
        {**visit, "channel": "visit", "visited_at": "2026-11-10T15:00:00Z", "answers": visit_answers},
    )
    # 10 + 10 + 0 (no sign-in: the safety step missed) + 10 + 20 = 50 of 85.
    assert (third["points"], third["possible"], third["score"]) == (50.0, 85, 58.8)

    listed = await get(client, district_a, "shopper-visits", channel="phone")
    assert [v["id"] for v in listed] == [second["id"], first["id"]]
    assert await get(client, district_a, f"shopper-visits/{first['id']}") == first

    summary = await get(client, district_a, "shopper-visits/summary")
    (figures,) = summary["schools"]
    assert figures["code"] == "LIN"
    phone, in_person = figures["channels"]
    assert (phone["channel"], phone["visits"], phone["mean_score"]) == ("phone", 2, 77.1)
    assert {c["criterion"]: (c["answered"], c["pass_rate"]) for c in phone["criteria"]} == {
        "rings": (2, 0.5),
        "greeting": (2, 1.0),
        "courtesy": (2, 1.0),
        "hold_seconds": (1, 1.0),
        "accurate": (2, 0.5),
        "follow_up_kept": (1, 1.0),
    }
    assert [c["criterion"] for c in phone["criteria"]][:3] == ["rings", "greeting", "courtesy"]
    assert (in_person["channel"], in_person["visits"], in_person["mean_score"]) == ("visit", 1, 58.8)
    assert {c["criterion"]: c["pass_rate"] for c in in_person["criteria"]}["sign_in"] == 0.0


async def test_exit_interviews_are_recorded_and_summed_up(client: Client, district_a: Tenant) -> None:
    lincoln = await new_school(client, district_a)
    adams = await new_school(client, district_a, "ADA")
    made = await record(client, district_a, "exit-interviews", {**EXIT, "school_id": lincoln["id"]})
    assert made["answers"] == EXIT["answers"] and made["instrument_version"] == 1 and made["language"] == "es"
    second = {**EXIT["answers"], "reasons": ["treatment", "transportation"], "score": 7, "bus": 1}
    await record(
        client, district_a, "exit-interviews", {**EXIT, "school_id": lincoln["id"], "answers": second}
    )
    third = {"reasons": ["academics"], "front_office": 5, "phone": 5, "score": 9}
    await record(
        client,
        district_a,
        "exit-interviews",
        {**EXIT, "school_id": adams["id"], "held_on": "2026-11-21", "answers": third},
    )
    assert len(await get(client, district_a, "exit-interviews")) == 3
    only = await get(client, district_a, "exit-interviews", school_id=adams["id"])
    assert [i["answers"]["reasons"] for i in only] == [["academics"]]
    assert await get(client, district_a, f"exit-interviews/{made['id']}") == made

    summary = await get(client, district_a, "exit-interviews/summary")
    assert [
        (s["code"], s["count"], s["mean_score"], [(r["reason"], r["count"]) for r in s["top_reasons"]])
        for s in summary["schools"]
    ] == [
        ("ADA", 1, 9.0, [("academics", 1)]),
        ("LIN", 2, 5.5, [("treatment", 2), ("moving", 1), ("transportation", 1)]),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reasons": "moving"}, "$.answers.reasons"),
        ({"reasons": ["moving", "moving"]}, "$.answers.reasons"),
        ({"reasons": ["a_spaceship"]}, "$.answers.reasons"),
        ({"score": 11}, "$.answers.score"),
        ({"front_office": "fine"}, "$.answers.front_office"),
        ({"colour": "blue"}, "$.answers.colour"),
        ({"phone": None}, "$.answers.phone"),
        ({"would_have_kept": "x" * 2001}, "$.answers.would_have_kept"),
    ],
)
async def test_a_bad_exit_answer_is_a_422_naming_it_and_nothing_is_written(
    client: Client, district_a: Tenant, sessions: Sessions, change: dict[str, Any], field: str
) -> None:
    school = await new_school(client, district_a)
    answers = {k: v for k, v in {**EXIT["answers"], **change}.items() if v is not None}  # type: ignore[dict-item]
    problem = await record(
        client, district_a, "exit-interviews", {**EXIT, "school_id": school["id"], "answers": answers}, 422
    )
    assert field in [e["field"] for e in problem["errors"]] and field in problem["detail"]
    assert await rows(sessions) == (0, 0)


@pytest.mark.parametrize(
    ("channel", "change", "field", "status"),
    [
        ("phone", {"greeting": 1}, "$.answers.greeting", 422),
        ("phone", {"courtesy": 6}, "$.answers.courtesy", 422),
        ("phone", {"courtesy": True}, "$.answers.courtesy", 422),
        ("phone", {"rings": -1}, "$.answers.rings", 422),
        ("phone", {"accurate": None}, "$.answers.accurate", 422),
        ("phone", {"sign_in": True}, "$.answers.sign_in", 422),
        ("email", {}, "$.answers.rings", 422),
        ("phone", {"rings": "2"}, "$.answers[...]", 400),  # a JSON type error: msgspec names no key
        ("fax", {}, "$.channel", 400),
    ],
)
async def test_a_bad_visit_is_refused_naming_the_field_and_nothing_is_written(
    client: Client,
    district_a: Tenant,
    sessions: Sessions,
    channel: str,
    change: dict[str, Any],
    field: str,
    status: int,
) -> None:
    school = await new_school(client, district_a)
    body = {
        "school_id": school["id"],
        "channel": channel,
        "evaluator": "Sam Lee",
        "visited_at": "2026-11-02T15:00:00Z",
        "answers": {**PHONE_A, **change},
    }
    problem = await record(client, district_a, "shopper-visits", body, status)
    assert field in problem["detail"] or field in [e["field"] for e in problem.get("errors") or []]
    assert await rows(sessions) == (0, 0)


async def test_switched_off_instruments_are_refused_with_how_to_switch_them_on(
    client: Client, district_a: Tenant, sessions: Sessions
) -> None:
    school = await new_school(client, district_a)
    assert school["instruments"] == ALL_ON
    path = f"/api/v1/feedback/schools/{school['id']}/instruments"
    off = {**ALL_ON, "card": False, "exit_interview": False, "shopper_visit": False}
    response = await client.put(path, json=off, headers=district_a.headers)
    assert response.status_code == 200, response.text
    assert response.json()["instruments"] == off
    assert (await get(client, district_a, f"feedback/schools/{school['id']}"))["instruments"] == off

    problem = await record(client, district_a, "exit-interviews", {**EXIT, "school_id": school["id"]}, 409)
    assert f"PUT /api/v1/feedback/schools/{school['id']}/instruments" in problem["detail"]
    assert '"exit_interview": true' in problem["detail"]
    visit = {"school_id": school["id"], "evaluator": "Sam", "visited_at": "2026-11-02T15:00:00Z"}
    in_person = {
        "acknowledged_seconds": 5,
        "greeting": True,
        "sign_in": True,
        "courtesy": 5,
        "accurate": True,
    }
    problem = await record(
        client, district_a, "shopper-visits", {**visit, "channel": "visit", "answers": in_person}, 409
    )
    assert "shopper_visit" in problem["detail"]
    assert await rows(sessions) == (0, 0)
    # The phone channel is still on.
    await record(client, district_a, "shopper-visits", {**visit, "channel": "phone", "answers": PHONE_A})

    # The card off: the family's page says so, in their language, and an answer is refused.
    page = await client.get(f"/feedback/{school['token']}?lang=es")
    assert page.status_code == 409 and "tarjetas de comentarios" in page.text
    device = {"Cookie": f"fo_feedback_device={secrets.token_urlsafe(24)}"}
    answer = {"score": 9, "reason": "enrollment", "resolved": True}
    refused = await client.post(f"/feedback/{school['token']}/answers", json=answer, headers=device)
    assert refused.status_code == 409 and "switched off" in refused.json()["detail"]

    response = await client.put(path, json=ALL_ON, headers=district_a.headers)
    assert response.json()["instruments"] == ALL_ON
    await record(client, district_a, "exit-interviews", {**EXIT, "school_id": school["id"]})
    assert (
        await client.post(f"/feedback/{school['token']}/answers", json=answer, headers=device)
    ).status_code == 201


async def test_a_switch_body_must_name_every_instrument(client: Client, district_a: Tenant) -> None:
    school = await new_school(client, district_a)
    response = await client.put(
        f"/api/v1/feedback/schools/{school['id']}/instruments",
        json={"card": False},
        headers=district_a.headers,
    )
    assert response.status_code == 400 and "exit_interview" in response.json()["detail"]


async def test_another_district_reaches_none_of_it(
    client: Client, district_a: Tenant, district_b: Tenant, sessions: Sessions
) -> None:
    school = await new_school(client, district_a)
    interview = await record(client, district_a, "exit-interviews", {**EXIT, "school_id": school["id"]})
    visit = await record(
        client,
        district_a,
        "shopper-visits",
        {
            "school_id": school["id"],
            "channel": "phone",
            "evaluator": "Sam",
            "visited_at": "2026-11-02T15:00:00Z",
            "answers": PHONE_A,
        },
    )
    await get(client, district_b, f"exit-interviews/{interview['id']}", 404)
    await get(client, district_b, f"shopper-visits/{visit['id']}", 404)
    await get(client, district_b, f"exit-interviews/{uuid.uuid4()}", 404)
    assert await get(client, district_b, "exit-interviews") == []
    assert await get(client, district_b, "shopper-visits") == []
    assert await get(client, district_b, "exit-interviews/summary") == {"schools": []}
    assert await get(client, district_b, "shopper-visits/summary") == {"schools": []}
    response = await client.put(
        f"/api/v1/feedback/schools/{school['id']}/instruments", json=ALL_ON, headers=district_b.headers
    )
    assert response.status_code == 404
    problem = await record(client, district_b, "exit-interviews", {**EXIT, "school_id": school["id"]}, 422)
    assert [e["field"] for e in problem["errors"]] == ["$.school_id"]
    assert await rows(sessions) == (1, 1)


async def test_scopes(client: Client, district_a: Tenant, sessions: Sessions) -> None:
    school = await new_school(client, district_a)
    writer = await make_tenant(sessions, "writers", ["measures:write"])
    reader = await make_tenant(sessions, "readers", ["feedback:read"])
    body = {**EXIT, "school_id": school["id"]}
    assert (
        await client.post("/api/v1/exit-interviews", json=body, headers=reader.headers)
    ).status_code == 403
    assert (await client.get("/api/v1/exit-interviews", headers=writer.headers)).status_code == 403
    assert (await client.get("/api/v1/shopper-visits/summary", headers=writer.headers)).status_code == 403
    assert (await client.get("/api/v1/shopper-visits/summary", headers=reader.headers)).status_code == 200
    response = await client.put(
        f"/api/v1/feedback/schools/{school['id']}/instruments", json=ALL_ON, headers=reader.headers
    )
    assert response.status_code == 403


async def test_the_instruments_are_served_in_english_and_spanish(client: Client, sessions: Sessions) -> None:
    writer = await make_tenant(sessions, "writers", ["measures:write"])
    guide = await get(client, writer, "exit-interviews/guide")
    assert guide["version"] == 1 and guide["questions"][0]["id"] == "reasons"
    assert guide["questions"][0]["prompt"]["es"] == "¿Por qué su familia deja nuestra escuela?"
    rubrics = await get(client, writer, "shopper-visits/rubrics")
    sign_in = rubrics["channels"]["visit"]["criteria"][2]
    assert sign_in["id"] == "sign_in" and sign_in["type"] == "yes_no"
    assert "identificación" in sign_in["prompt"]["es"]
    assert rubrics["channels"]["phone"]["criteria"][0] | {"prompt": None} == {
        "id": "rings",
        "type": "number",
        "prompt": None,
        "unit": {"en": "rings", "es": "timbres"},
        "target": 3,
        "at_least": False,
        "points": 10,
        "required": True,
    }
    nobody = await make_tenant(sessions, "nobody", ["hr:read"])
    await get(client, nobody, "shopper-visits/rubrics", 403)


async def test_a_visit_time_without_its_offset_is_refused(
    client: Client, district_a: Tenant, sessions: Sessions
) -> None:
    school = await new_school(client, district_a)
    body = {
        "school_id": school["id"],
        "channel": "phone",
        "evaluator": "Sam Lee",
        "visited_at": "2026-11-02T15:00:00",
        "answers": PHONE_A,
    }
    problem = await record(client, district_a, "shopper-visits", body, 400)
    assert "$.visited_at" in problem["detail"]
    assert await rows(sessions) == (0, 0)
