"""The review of a submitted knowledge check: each feedback text names the option or entry it is
about and whether it was chosen and right, and comes in the language the learner reads now."""

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import Tenant
from tests.progress.answers import form_answers
from tests.progress.test_progress_api import MODULE, facilitator_forms, learner_headers

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]


async def submitted_wrongly(client: Client, tenant: Tenant) -> tuple[dict[str, str], dict[str, Any], str]:
    headers = await learner_headers(client, tenant)
    form = (await facilitator_forms(client, tenant))["knowledge-check"]
    started = await client.post(
        f"/api/v1/me/modules/{MODULE}/forms/knowledge-check/attempts", headers=headers
    )
    attempt_id = started.json()["id"]
    answers = form_answers(form, right=False)
    response = await client.post(
        f"/api/v1/me/attempts/{attempt_id}/submit", json={"answers": answers}, headers=headers
    )
    assert response.status_code == 200, response.text
    return headers, form, attempt_id


async def test_each_feedback_names_its_option_and_whether_it_was_chosen_and_right(
    client: Client, district_a: Tenant
) -> None:
    headers, form, attempt_id = await submitted_wrongly(client, district_a)
    attempt = (await client.get(f"/api/v1/me/attempts/{attempt_id}", headers=headers)).json()
    results = {r["item"]: r for r in attempt["items"]}
    choices = [i for i in form["items"] if i["type"] == "choice"]
    assert choices
    for item in choices:
        result = results[item["id"]]
        options = {o["id"]: o for o in item["options"]}
        chosen = set(attempt["answers"][item["id"]])
        assert [n["text"] for n in result["notes"]] == result["feedback"]
        for note in result["notes"]:
            option = options[note["id"]]
            assert note["about"] == "option" and note["text"] == option["feedback"]
            assert note["chosen"] == (note["id"] in chosen) and note["correct"] == option["correct"]
        # The policy shows the right answers: every right option is there, and every chosen one.
        named = {n["id"] for n in result["notes"]}
        assert named == chosen | {o for o, v in options.items() if v["correct"]}
        wrongly_chosen = [n for n in result["notes"] if n["chosen"] and not n["correct"]]
        assert wrongly_chosen and not result["correct"]
    for item in (i for i in form["items"] if i["type"] == "classify"):
        notes = results[item["id"]]["notes"]
        assert {n["id"] for n in notes} == {e["id"] for e in item["entries"]}
        assert all(n["about"] == "entry" and n["chosen"] and n["correct"] is False for n in notes)


async def test_feedback_follows_the_language_the_learner_reads_now(
    client: Client, district_a: Tenant
) -> None:
    headers, form, attempt_id = await submitted_wrongly(client, district_a)  # submitted in English
    spanish = await client.get(f"/api/v1/modules/{MODULE}/facilitator?lang=es", headers=district_a.headers)
    es_forms = {f["id"]: f for f in spanish.json()["forms"]}
    es_items = {i["id"]: i for i in es_forms["knowledge-check"]["items"]}
    en_items = {i["id"]: i for i in form["items"]}
    overall = []
    for query, extra, items in (
        ("?lang=es", {}, es_items),
        ("", {"Accept-Language": "es-MX,es;q=0.9"}, es_items),
        ("?lang=en", {"Accept-Language": "es"}, en_items),
    ):
        url = f"/api/v1/me/modules/{MODULE}/forms/knowledge-check/attempts{query}"
        attempt = (await client.get(url, headers={**headers, **extra})).json()[-1]
        assert attempt["id"] == attempt_id
        for result in attempt["items"]:
            item = items[result["item"]]
            if item["type"] == "choice":
                texts = {o["id"]: o["feedback"] for o in item["options"]}
                assert all(n["text"] == texts[n["id"]] for n in result["notes"])
        overall.append(attempt["feedback"])
    # Module 2 ships in Spanish: the score band's feedback too is in the language asked for.
    assert overall[0] == overall[1] != overall[2] and es_items != en_items
