"""Branching scenarios through the API, on SQLite and PostgreSQL: the learner sees one node at a
time, the step route walks a path and refuses one that cannot be walked, and a submit scores
the ending reached, an unsafe ending keeping the form below its pass mark."""

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import Tenant
from tests.progress.answers import scenario_path
from tests.progress.test_progress_api import facilitator_forms, learner_headers

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]
MODULE = "why-service-matters"
FORM = "practice"
CALLER = "unverified-caller"
BUS = "bus-stop-pickup"


def _safe(ending: dict[str, Any]) -> bool:
    return bool(ending.get("safe", True))


async def practice_key(client: Client, tenant: Tenant) -> dict[str, dict[str, Any]]:
    """The practice form's scenarios as the facilitator view gives them (the whole graph)."""
    form = (await facilitator_forms(client, tenant, MODULE))[FORM]
    return {item["id"]: item for item in form["items"]}


async def start(client: Client, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.post(f"/api/v1/me/modules/{MODULE}/forms/{FORM}/attempts", headers=headers)
    assert response.status_code in (200, 201), response.text
    attempt: dict[str, Any] = response.json()
    return attempt


async def step(
    client: Client, headers: dict[str, str], attempt: str, item: str, path: object, query: str = ""
) -> Any:
    return await client.post(
        f"/api/v1/me/attempts/{attempt}/scenarios/{item}/steps{query}", json={"path": path}, headers=headers
    )


async def test_the_learner_view_holds_only_the_start_node(client: Client, district_a: Tenant) -> None:
    headers = await learner_headers(client, district_a)
    key = await practice_key(client, district_a)
    response = await client.get(f"/api/v1/modules/{MODULE}", headers=headers)
    assert response.status_code == 200
    form = next(f for f in response.json()["forms"] if f["id"] == FORM)
    caller = next(i for i in form["items"] if i["id"] == CALLER)
    assert set(caller) == {"type", "id", "prompt", "role", "start", "points"}
    assert caller["start"]["id"] == key[CALLER]["start"]
    assert all(set(choice) == {"id", "text"} for choice in caller["start"]["choices"])
    # Nothing of the graph ahead is anywhere in the body: no later node, ending, feedback or score.
    body = response.text
    for item in key.values():
        for node in item["nodes"][1:]:
            assert node["text"] not in body
        for ending in item["endings"]:
            assert ending["title"] not in body and ending["text"] not in body
        for node in item["nodes"]:
            assert all(choice["feedback"] not in body for choice in node["choices"])
    # The whole graph is for facilitators only.
    assert (await client.get(f"/api/v1/modules/{MODULE}/facilitator", headers=headers)).status_code == 403


async def test_steps_walk_one_node_at_a_time(client: Client, district_a: Tenant) -> None:
    headers = await learner_headers(client, district_a)
    key = (await practice_key(client, district_a))[CALLER]
    attempt = (await start(client, headers))["id"]
    nodes = {n["id"]: n for n in key["nodes"]}
    endings = {e["id"]: e for e in key["endings"]}

    first = await step(client, headers, attempt, CALLER, [])
    assert first.status_code == 200, first.text
    assert first.json()["node"]["id"] == key["start"] and first.json()["feedback"] is None

    path = scenario_path(key, lambda e: _safe(e) and e["score"] == 1)
    here = nodes[key["start"]]
    for taken in range(1, len(path) + 1):
        response = await step(client, headers, attempt, CALLER, path[:taken])
        assert response.status_code == 200, response.text
        reached = response.json()
        choice = next(c for c in here["choices"] if c["id"] == path[taken - 1])
        assert reached["feedback"] == choice["feedback"] and reached["path"] == path[:taken]
        if choice["next"] in nodes:
            here = nodes[choice["next"]]
            assert reached["node"]["id"] == here["id"] and reached["ending"] is None
            assert all(set(c) == {"id", "text"} for c in reached["node"]["choices"])
        else:
            ending = endings[choice["next"]]
            assert reached["node"] is None
            # The ending's title and text, never its score or whether it is safe.
            assert reached["ending"] == {"id": ending["id"], "title": ending["title"], "text": ending["text"]}


async def test_steps_in_spanish_and_as_html(client: Client, district_a: Tenant) -> None:
    headers = await learner_headers(client, district_a)
    attempt = (await start(client, headers))["id"]
    response = await step(client, headers, attempt, CALLER, ["check-record"], "?lang=es&format=html")
    assert response.status_code == 200, response.text
    assert response.headers["content-language"] == "es"
    assert response.json()["node"]["text"].startswith("<p>Su nombre, Dev Patel")
    assert response.json()["feedback"].startswith("<p>Buen primer paso")


@pytest.mark.parametrize(
    ("path", "field", "words"),
    [
        (["nope"], "$.path[0]", "`nope` is not a choice at node `call`"),
        (["check-record", "give-stop"], "$.path[1]", "is not a choice at node `not-listed`"),
        (["give-stop", "check-record"], "$.path[1]", "has ended"),
    ],
)
async def test_a_path_that_cannot_be_walked_is_a_422(
    client: Client, district_a: Tenant, path: list[str], field: str, words: str
) -> None:
    headers = await learner_headers(client, district_a)
    attempt = (await start(client, headers))["id"]
    response = await step(client, headers, attempt, CALLER, path)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert CALLER in problem["detail"] and words in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == [field]


async def test_bad_step_requests_are_4xx(client: Client, district_a: Tenant) -> None:
    headers = await learner_headers(client, district_a)
    attempt = (await start(client, headers))["id"]
    assert (await step(client, headers, attempt, "no-such-item", [])).status_code == 404
    assert (await step(client, headers, attempt, CALLER, "check-record")).status_code == 400
    too_long = await step(client, headers, attempt, CALLER, ["x"] * 101)
    assert too_long.status_code == 400
    assert (await step(client, headers, attempt, CALLER, ["x" * 65])).status_code == 400
    other = await learner_headers(client, district_a, external_id="emp-2")
    assert (await step(client, other, attempt, CALLER, [])).status_code == 404
    # A form item that is not a scenario is not found as one.
    forms = await facilitator_forms(client, district_a, MODULE)
    check = forms["knowledge-check"]
    started = await client.post(
        f"/api/v1/me/modules/{MODULE}/forms/knowledge-check/attempts", headers=headers
    )
    item = check["items"][0]["id"]
    assert (await step(client, headers, started.json()["id"], item, [])).status_code == 404


async def submit(client: Client, headers: dict[str, str], answers: dict[str, Any]) -> Any:
    attempt = (await start(client, headers))["id"]
    return await client.post(
        f"/api/v1/me/attempts/{attempt}/submit", json={"answers": answers}, headers=headers
    )


async def test_scoring_by_ending_and_safety_first(client: Client, district_a: Tenant) -> None:
    key = await practice_key(client, district_a)

    def path(item: str, score: float, safe: bool = True) -> list[str]:
        return scenario_path(key[item], lambda e: e["score"] == score and _safe(e) == safe)

    # Two safe, full-credit endings: passed.
    headers = await learner_headers(client, district_a, external_id="safe")
    best = await submit(client, headers, {CALLER: path(CALLER, 1), BUS: path(BUS, 1)})
    assert best.status_code == 200, best.text
    attempt = best.json()["attempt"]
    assert (attempt["score"], attempt["passed"]) == (1.0, True)
    results = {r["item"]: r for r in attempt["items"]}
    assert results[CALLER]["correct"] and results[CALLER]["correct_answer"] is None
    ending = next(e for e in key[CALLER]["endings"] if e["score"] == 1)
    assert ending["text"] in results[CALLER]["feedback"][-1]
    # The other branches stay hidden, even after submit.
    unsafe = next(e for e in key[CALLER]["endings"] if not _safe(e))
    assert all(unsafe["text"] not in text for text in results[CALLER]["feedback"])

    # A safe but partial ending with a full one: 0.75, exactly the pass mark.
    headers = await learner_headers(client, district_a, external_id="partial")
    partial = await submit(client, headers, {CALLER: path(CALLER, 0.5), BUS: path(BUS, 1)})
    assert (partial.json()["attempt"]["score"], partial.json()["attempt"]["passed"]) == (0.75, True)

    # An unsafe ending: the form stays below its pass mark whatever the other scenario earned.
    headers = await learner_headers(client, district_a, external_id="unsafe")
    risky = await submit(client, headers, {CALLER: path(CALLER, 0, safe=False), BUS: path(BUS, 1)})
    attempt = risky.json()["attempt"]
    assert attempt["passed"] is False and attempt["score"] == pytest.approx(0.5)
    # Practice may be repeated: a second attempt on the safe path passes.
    again = await submit(client, headers, {CALLER: path(CALLER, 1), BUS: path(BUS, 1)})
    assert again.json()["attempt"]["passed"] is True


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        (["check-record"], f"$.answers.{CALLER}"),  # stops before an ending
        (["nope"], f"$.answers.{CALLER}[0]"),
        ("check-record", f"$.answers.{CALLER}"),
    ],
)
async def test_an_answer_that_is_not_a_whole_path_is_a_422(
    client: Client, district_a: Tenant, answer: object, field: str
) -> None:
    headers = await learner_headers(client, district_a)
    attempt = (await start(client, headers))["id"]
    saved = await client.put(
        f"/api/v1/me/attempts/{attempt}/answers", json={"answers": {CALLER: answer}}, headers=headers
    )
    assert saved.status_code == 422, saved.text
    assert [e["field"] for e in saved.json()["errors"]] == [field]
    submitted = await client.post(
        f"/api/v1/me/attempts/{attempt}/submit", json={"answers": {CALLER: answer}}, headers=headers
    )
    assert submitted.status_code == 422 and CALLER in submitted.json()["detail"]
