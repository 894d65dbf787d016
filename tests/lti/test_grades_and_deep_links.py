"""Grades back to a real platform's AGS endpoint after completing a module through the API,
and deep linking verified by the platform (lti1p3platform)."""

import re
from typing import Any

import pytest

from api.db import Sessions
from api.outbox.dispatcher import Dispatcher
from tests.conftest import Tenant
from tests.lti.conftest import (
    INSTRUCTOR,
    LEARNER,
    MODULE,
    Client,
    fragment,
    launch,
    learners,
    login,
    register,
)
from tests.lti.platform import Platform
from tests.progress.answers import form_answers, wrong_answer
from tests.progress.test_progress_api import facilitator_forms, submit_form

pytestmark = pytest.mark.anyio


async def complete(client: Client, tenant: Tenant, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    forms = await facilitator_forms(client, tenant)
    for form in ("customer-worksheet", "knowledge-check", "reflection"):
        result = await submit_form(client, headers, forms[form])
    assert result["completion"] is not None


async def test_completion_posts_a_score_to_the_line_item(
    lti_client: Client, district_a: Tenant, canvas: Platform, dispatcher: Dispatcher
) -> None:
    await register(lti_client, district_a, canvas)
    # Two learners, no line item in their launches: the first creates it, the second finds it.
    for sub in ("learner-1", "learner-2"):
        got = fragment(await launch(lti_client, canvas, sub))
        await complete(lti_client, district_a, got["token"])
    await dispatcher.run_once()
    assert len(canvas.lineitems) == 1
    (item,) = canvas.lineitems.values()
    assert item["resourceId"] == MODULE and item["scoreMaximum"] == 100 and item["label"]
    assert [url for url, _ in canvas.scores] == [item["id"], item["id"]]
    scores = {score["userId"]: score for _, score in canvas.scores}
    assert set(scores) == {"learner-1", "learner-2"}
    score = scores["learner-1"]
    assert score["scoreGiven"] == 100 and score["scoreMaximum"] == 100
    assert score["activityProgress"] == "Completed" and score["gradingProgress"] == "FullyGraded"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", score["timestamp"])
    # One access token per scope set, cached for the rest.
    assert canvas.token_requests == 2


async def test_a_better_retake_sends_the_kept_score_again(
    lti_client: Client, district_a: Tenant, canvas: Platform, dispatcher: Dispatcher
) -> None:
    await register(lti_client, district_a, canvas)
    lineitem = f"{canvas.url}/lineitems/5"
    token = fragment(await launch(lti_client, canvas, "learner-5", ags_lineitem=lineitem))["token"]
    headers = {"Authorization": f"Bearer {token}"}
    forms = await facilitator_forms(lti_client, district_a)
    quiz = forms["knowledge-check"]
    first_item = quiz["items"][0]
    one_wrong = {**form_answers(quiz), first_item["id"]: wrong_answer(first_item)}
    await submit_form(lti_client, headers, forms["customer-worksheet"])
    await submit_answers(lti_client, headers, quiz, one_wrong)
    await submit_form(lti_client, headers, forms["reflection"])
    await dispatcher.run_once()
    await submit_answers(lti_client, headers, quiz, form_answers(quiz))  # all right this time
    await dispatcher.run_once()
    given = [s["scoreGiven"] for url, s in canvas.scores if url == lineitem and "scoreGiven" in s]
    assert len(given) == 2 and given[0] < 100 and given[1] == 100
    stamps = [s["timestamp"] for url, s in canvas.scores if url == lineitem and "scoreGiven" in s]
    assert stamps[0] < stamps[1]  # the platform keeps the newest


async def submit_answers(client: Client, headers: dict[str, str], form: dict[str, Any], answers: Any) -> None:
    started = await client.post(f"/api/v1/me/modules/{MODULE}/forms/{form['id']}/attempts", headers=headers)
    submitted = await client.post(
        f"/api/v1/me/attempts/{started.json()['id']}/submit", json={"answers": answers}, headers=headers
    )
    assert submitted.status_code == 200, submitted.text


async def test_the_launch_line_item_is_used_as_given(
    lti_client: Client, district_a: Tenant, canvas: Platform, dispatcher: Dispatcher
) -> None:
    await register(lti_client, district_a, canvas)
    lineitem = f"{canvas.url}/lineitems/77"
    got = fragment(await launch(lti_client, canvas, "learner-9", ags_lineitem=lineitem))
    await complete(lti_client, district_a, got["token"])
    await dispatcher.run_once()
    assert canvas.lineitems == {}
    assert [(url, s["userId"]) for url, s in canvas.scores] == [(lineitem, "learner-9")]


async def test_a_first_launch_reports_started_then_the_completion_completed(
    lti_client: Client, district_a: Tenant, canvas: Platform, dispatcher: Dispatcher
) -> None:
    await register(lti_client, district_a, canvas)
    lineitem = f"{canvas.url}/lineitems/12"
    got = fragment(await launch(lti_client, canvas, "learner-5", ags_lineitem=lineitem))
    assert canvas.scores == []  # never sent in the launch's request
    await dispatcher.run_once()
    (url, started), *_ = canvas.scores
    assert url == lineitem and len(canvas.scores) == 1
    assert started["userId"] == "learner-5" and "scoreGiven" not in started
    assert started["activityProgress"] == "Started" and started["gradingProgress"] == "NotReady"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", started["timestamp"])
    await complete(lti_client, district_a, got["token"])
    await dispatcher.run_once()
    assert [s["activityProgress"] for _, s in canvas.scores] == ["Started", "Completed"]
    # A later launch of the completed module reports nothing new: a Started would undo the grade.
    await launch(lti_client, canvas, "learner-5", ags_lineitem=lineitem)
    await dispatcher.run_once()
    assert [s["activityProgress"] for _, s in canvas.scores] == ["Started", "Completed"]


async def test_started_is_never_sent_after_the_completed_score(
    lti_client: Client, district_a: Tenant, canvas: Platform, dispatcher: Dispatcher
) -> None:
    await register(lti_client, district_a, canvas)
    lineitem = f"{canvas.url}/lineitems/13"
    got = fragment(await launch(lti_client, canvas, "learner-6", ags_lineitem=lineitem))
    await complete(lti_client, district_a, got["token"])  # before the dispatcher ran
    await dispatcher.run_once()
    await dispatcher.run_once()
    assert [(s["userId"], s["activityProgress"]) for _, s in canvas.scores] == [("learner-6", "Completed")]


async def test_a_launch_without_ags_sends_nothing(
    lti_client: Client, district_a: Tenant, canvas: Platform, dispatcher: Dispatcher
) -> None:
    await register(lti_client, district_a, canvas)
    got = fragment(await launch(lti_client, canvas, "learner-3", ags=False))
    await complete(lti_client, district_a, got["token"])
    await dispatcher.run_once()
    assert canvas.scores == [] and canvas.token_requests == 0


async def deep_link_launch(client: Client, platform: Platform, sub: str, roles: list[str]) -> dict[str, str]:
    auth = await login(client, platform, sub)
    form = platform.launch(auth, sub=sub, roles=roles, custom={}, deep_link=True)
    response = await client.post(
        "/lti/launch", data={"id_token": form["id_token"], "state": form["state"]}, follow_redirects=False
    )
    return fragment(response)


async def test_deep_linking_answer_is_verified_by_the_platform(
    lti_client: Client, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    got = await deep_link_launch(lti_client, canvas, "teacher-1", INSTRUCTOR)
    assert got["view"] == "picker" and got["dl"] and got["module"] == ""
    headers = {"Authorization": f"Bearer {got['token']}"}
    modules = [MODULE, "why-service-matters"]
    url = f"/api/v1/lti/deep-links/{got['dl']}/response"
    response = await lti_client.post(url, json={"modules": modules}, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["return_url"] == f"{canvas.url}/deep-link-return"
    items = canvas.verify_deep_link(answer["jwt"])
    assert [i["custom"]["module"] for i in items] == modules
    assert all(i["type"] == "ltiResourceLink" and i["url"].endswith("/lti/launch") for i in items)
    assert items[0]["lineItem"] == {"scoreMaximum": 100, "label": items[0]["title"], "resourceId": MODULE}
    # Single use.
    again = await lti_client.post(url, json={"modules": modules}, headers=headers)
    assert again.status_code == 404


async def test_deep_linking_refusals(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    # A learner cannot deep link.
    auth = await login(lti_client, canvas, "student")
    form = canvas.launch(auth, sub="student", roles=LEARNER, custom={}, deep_link=True)
    data = {"id_token": form["id_token"], "state": form["state"]}
    refused = await lti_client.post("/lti/launch", data=data, follow_redirects=False)
    assert refused.status_code == 403 and await learners(sessions) == 0
    got = await deep_link_launch(lti_client, canvas, "teacher-1", INSTRUCTOR)
    url = f"/api/v1/lti/deep-links/{got['dl']}/response"
    headers = {"Authorization": f"Bearer {got['token']}"}
    unknown = await lti_client.post(url, json={"modules": ["no-such"]}, headers=headers)
    assert unknown.status_code == 422
    # Another instructor's token, an API key, a learner token: not theirs.
    other = await deep_link_launch(lti_client, canvas, "teacher-2", INSTRUCTOR)
    theirs = {"Authorization": f"Bearer {other['token']}"}
    assert (await lti_client.post(url, json={"modules": [MODULE]}, headers=theirs)).status_code == 404
    key = await lti_client.post(url, json={"modules": [MODULE]}, headers=district_a.headers)
    assert key.status_code == 403
    ok = await lti_client.post(url, json={"modules": [MODULE]}, headers=headers)
    assert ok.status_code == 200
