"""The group's view: the combined list, anonymous results behind a minimum group size, and
item analysis; narrowed by school, role or cohort, and never across districts."""

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Sessions
from tests.conftest import Tenant, make_tenant
from tests.progress.answers import form_answers
from tests.progress.test_progress_api import MODULE, facilitator_forms

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]
REPORTS = f"/api/v1/reports/modules/{MODULE}/forms"


async def learner(
    client: Client, tenant: Tenant, external_id: str, school: str = "Lincoln", cohort: str = ""
) -> dict[str, str]:
    body = {"learner": {"external_id": external_id, "school": school, "role": "clerk"}, "cohort": cohort}
    token = (await client.post("/api/v1/learner-tokens", json=body, headers=tenant.headers)).json()["token"]
    return {"Authorization": f"Bearer {token}"}


async def submit(client: Client, headers: dict[str, str], form_id: str, answers: dict[str, Any]) -> None:
    attempt = (
        await client.post(f"/api/v1/me/modules/{MODULE}/forms/{form_id}/attempts", headers=headers)
    ).json()
    response = await client.post(
        f"/api/v1/me/attempts/{attempt['id']}/submit", json={"answers": answers}, headers=headers
    )
    assert response.status_code == 200, response.text


async def test_combined_list_counts_learners_by_reference_entry(
    client: Client, district_a: Tenant, district_b: Tenant
) -> None:
    form = (await facilitator_forms(client, district_a))["customer-worksheet"]
    named = [
        ["Parents", "Grandparents"],
        ["parents", "the news media"],
        ["Families", "Local reporters"],
        ["PARENTS ", "Parents", "Crossing guards"],
    ]
    for index, external in enumerate(named):
        answers = {**form_answers(form), "external": external}
        school = "Lincoln" if index < 3 else "Roosevelt"
        await submit(client, await learner(client, district_a, f"emp-{index}", school), form["id"], answers)
    url = f"{REPORTS}/customer-worksheet/items/external/combined"
    combined = (await client.get(url, headers=district_a.headers)).json()
    assert combined["respondents"] == 4
    counts = {e["label"]: (e["count"], e["in_reference"]) for e in combined["entries"]}
    assert counts["Parents"] == (4, True)  # "Families" is a synonym; a learner naming it twice counts once
    assert counts["Grandparents and extended family"] == (1, True)
    assert counts["News media"] == (2, True)  # "the news media" and "Local reporters"
    assert counts["Crossing guards"] == (1, False)  # the room's own, not in the reference
    narrowed = (await client.get(f"{url}?school=Roosevelt", headers=district_a.headers)).json()
    assert narrowed["respondents"] == 1
    assert combined["shown"] and narrowed["shown"]  # the facilitator's flipchart: always
    # A learner sees the room's list too (counts only, no names), once the form's minimum group
    # answered: never one colleague's list picked out by narrowing the group.
    viewer = await learner(client, district_a, "viewer")
    as_learner = (await client.get(url, headers=viewer)).json()
    assert as_learner["respondents"] == 4 < as_learner["min_group_size"] == form["policy"]["min_group_size"]
    assert not as_learner["shown"] and as_learner["entries"] == []
    await submit(client, await learner(client, district_a, "emp-4"), form["id"], form_answers(form))
    as_learner = (await client.get(url, headers=viewer)).json()
    assert as_learner["shown"] and {e["label"] for e in as_learner["entries"]} >= {
        "Parents",
        "Crossing guards",
    }
    one = (await client.get(f"{url}?school=Roosevelt", headers=viewer)).json()
    assert one["respondents"] == 1 and not one["shown"] and "Crossing guards" not in str(one)
    assert (await client.get(url, headers=district_b.headers)).json()["respondents"] == 0
    assert "emp-" not in str(as_learner)


async def test_reflection_results_need_the_minimum_group(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    form = (await facilitator_forms(client, district_a))["reflection"]
    minimum = form["policy"]["min_group_size"]
    rating_item = next(i for i in form["items"] if i["type"] == "rating")
    url = f"{REPORTS}/reflection/results"
    for index in range(minimum):
        answers = {**form_answers(form), rating_item["id"]: 1 + index % 5}
        await submit(client, await learner(client, district_a, f"r-{index}"), "reflection", answers)
        results = (await client.get(url, headers=district_a.headers)).json()
        assert results["respondents"] == index + 1
        assert results["shown"] is (index + 1 >= minimum)
        assert (results["items"] == []) is (index + 1 < minimum)
    rating = next(i for i in results["items"] if i["item_id"] == rating_item["id"])
    assert sum(c["count"] for c in rating["distribution"]) == minimum
    reader = await make_tenant(sessions, "reader", ["content:read"])
    assert (await client.get(url, headers=reader.headers)).status_code == 403
    learner_headers = await learner(client, district_a, "curious")
    assert (await client.get(url, headers=learner_headers)).status_code == 403


async def test_item_analysis_shows_what_the_room_missed(client: Client, district_a: Tenant) -> None:
    form = (await facilitator_forms(client, district_a))["knowledge-check"]
    for index, right in enumerate([True, True, False]):
        await submit(
            client,
            await learner(client, district_a, f"q-{index}"),
            form["id"],
            form_answers(form, right=right),
        )
    analysis = (await client.get(f"{REPORTS}/knowledge-check/analysis", headers=district_a.headers)).json()
    assert analysis["learners"] == 3
    for item in analysis["items"]:
        assert item["answered"] == 3 and item["percent_correct"] == pytest.approx(66.7)
    choice = next(i for i in analysis["items"] if i["options"])
    right_option = next(o for o in choice["options"] if o["correct"])
    assert right_option["chosen_percent"] == pytest.approx(66.7)


async def test_item_analysis_counts_a_right_answer_in_spanish(client: Client, district_a: Tenant) -> None:
    form = (await facilitator_forms(client, district_a))["knowledge-check"]
    for index, typed in enumerate(["information", "la información", "informal"]):
        answers = form_answers(form) | {"need-information": typed}
        await submit(client, await learner(client, district_a, f"es-{index}"), form["id"], answers)
    analysis = (await client.get(f"{REPORTS}/knowledge-check/analysis", headers=district_a.headers)).json()
    [need] = [i for i in analysis["items"] if i["item_id"] == "need-information"]
    assert need["answered"] == 3 and need["percent_correct"] == pytest.approx(66.7)


async def test_group_view_of_unknown_things_is_404(client: Client, district_a: Tenant) -> None:
    for path in (
        f"{REPORTS}/nope/results",
        f"{REPORTS}/customer-worksheet/items/nope/combined",
        "/api/v1/reports/modules/nope/forms/x/analysis",
    ):
        response = await client.get(path, headers=district_a.headers)
        assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
