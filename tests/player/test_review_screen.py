"""The review screen in headless Chromium: each option's own mark and feedback beside it, in the
language the learner reads now (English, then Spanish on a phone, for one attempt); errors that
clear once the item is fixed (keyboard only); the handout step ticked once read; plurals."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.player.conftest import PHONE, PlayerServer
from tests.player.flows import (
    MODULE_2,
    answer_knowledge_check,
    fill_worksheet,
    go_to_step,
    item,
    submit,
    text_of,
    wait_saved,
)
from tests.progress.answers import valid_answer

Shoot = Callable[[Page, str], Path]
Scan = Callable[[Page, str], None]
QUIZ = "Knowledge check: who are our customers?"
MODULE_1 = "why-service-matters"


def knowledge_key(server: PlayerServer, lang: str = "en") -> dict[str, Any]:
    response = server.http.get(
        f"/api/v1/modules/{MODULE_2}/facilitator?lang={lang}", headers=server.tenant.headers
    )
    form: dict[str, Any] = next(f for f in response.json()["forms"] if f["id"] == "knowledge-check")
    return form


def options(key: dict[str, Any], item_id: str) -> dict[str, dict[str, Any]]:
    question = next(q for q in key["items"] if q["id"] == item_id)
    return {o["id"]: o for o in question["options"]}


def start_of(feedback: str) -> str:
    """The first words of an option's feedback, as the page shows them."""
    return text_of(feedback).replace("**", "")[:40]


def test_each_option_shows_its_mark_and_feedback_in_the_current_language(
    player_server: PlayerServer, page: Page, new_page: Callable[..., Page], shoot: Shoot, axe: Scan
) -> None:
    token = player_server.token()
    key, key_es = knowledge_key(player_server), knowledge_key(player_server, "es")
    page.goto(player_server.player_url(token, MODULE_2))
    go_to_step(page, "Check your understanding")
    answer_knowledge_check(page, key)
    need = options(key, "need-control")
    item(page, "need-control").get_by_label(text_of(need["information"]["text"]), exact=True).click()
    submit(page, QUIZ)

    box = item(page, "need-control")
    chosen = box.locator(".option.wrong")
    expect(chosen).to_have_count(1)
    expect(chosen).to_contain_text("✗ Your answer: not right")
    expect(chosen).to_contain_text(start_of(need["information"]["feedback"]))
    right = box.locator(".option.right")
    expect(right).to_have_count(1)
    expect(right).to_contain_text("✓ The right answer")
    expect(right).to_contain_text(start_of(need["control"]["feedback"]))
    # The verdict under the question no longer repeats the options' feedback, untied to them.
    expect(box.locator(".feedback")).to_have_text(re.compile(r"^\s*✗ Not quite\s*$"))
    # Multi-select: every right option chosen, each marked and explained beside itself.
    five = options(key, "five-needs")
    rights = item(page, "five-needs").locator(".option.right")
    expect(rights).to_have_count(sum(1 for o in five.values() if o.get("correct")))
    expect(rights.first).to_contain_text("✓ Your answer: right")
    # Classify: each entry marked beside itself.
    expect(item(page, "internal-or-external").locator(".classify-row.right .mark").first).to_have_text(
        "✓ Right"
    )
    shoot(page, "30-review-marks")
    axe(page, "review with per-option marks")
    quiz_step = page.evaluate(
        "[...document.querySelectorAll('.steplist > li')]"
        ".findIndex((li) => li.querySelector('[aria-current=step]'))"
    )

    # The same attempt read in Spanish on a phone: the marks and the feedback in Spanish.
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True, locale="es-ES")
    phone.goto(player_server.player_url(token, MODULE_2, lang="es"))
    # Resumed at the first form not yet submitted (the worksheet); the quiz is a step away.
    expect(phone.get_by_role("heading", level=1)).to_have_text("Hoja de trabajo de clientes")
    phone.locator(".steptoggle").click()
    phone.locator(".steplist > li").nth(quiz_step).get_by_role("button").click()
    need_es = options(key_es, "need-control")
    box = item(phone, "need-control")
    expect(box.locator(".option.wrong")).to_contain_text("✗ Su respuesta: incorrecta")
    expect(box.locator(".option.wrong")).to_contain_text(start_of(need_es["information"]["feedback"]))
    expect(box.locator(".option.right")).to_contain_text("✓ La respuesta correcta")
    assert need_es["information"]["feedback"] != need["information"]["feedback"]
    assert phone.evaluate("document.documentElement.lang") == "es"
    shoot(phone, "31-review-marks-es-phone")
    axe(phone, "Spanish review on a phone")


def test_errors_clear_once_fixed_and_the_handout_is_ticked(
    player_server: PlayerServer, page: Page, shoot: Shoot, axe: Scan
) -> None:
    page.goto(player_server.player_url(player_server.token(), MODULE_2))
    page.get_by_role("button", name="Begin").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Customer worksheet")
    page.get_by_role("button", name="Submit Customer worksheet").focus()
    page.keyboard.press("Enter")
    error = item(page, "external").locator(".item-error")
    expect(error).not_to_have_text("")
    expect(page.get_by_role("alert")).not_to_have_text("")
    # Focus went to the first bad item: type its entries with the keyboard alone.
    expect(page.locator(".item.invalid").first).to_have_attribute("data-item", "external")
    for index, entry in enumerate(["Parents", "Grandparents", "Reporters"]):
        page.keyboard.type(entry)
        if index < 2:
            page.keyboard.press("Enter")
    expect(error).to_have_text("")
    expect(item(page, "external")).not_to_have_class(re.compile(r"\binvalid\b"))
    expect(item(page, "internal")).to_have_class(re.compile(r"\binvalid\b"))  # still unanswered
    shoot(page, "32-error-cleared")
    axe(page, "worksheet with a fixed item")

    # A step that is only a handout is ticked once opened; the next one, not yet read, is not.
    page.goto(player_server.player_url(player_server.token(), MODULE_1))
    go_to_step(page, "Customer service in a school, the basics")
    steps = page.get_by_role("navigation", name="Steps")
    read = steps.get_by_role("button", name="Customer service in a school, the basics")
    expect(read).to_contain_text("(done)")
    expect(read.locator(".stepnum")).to_have_text("✓")
    unread = steps.get_by_role("button", name="Safety first, check before you release")
    expect(unread).not_to_contain_text("(done)")
    expect(unread.locator(".stepnum")).not_to_have_text("✓")


def test_plural_forms_follow_the_language(player_server: PlayerServer, new_page: Callable[..., Page]) -> None:
    token = player_server.token()
    started = player_server.api(
        "POST", f"/api/v1/me/modules/{MODULE_2}/forms/customer-worksheet/attempts", token
    )
    module = player_server.api("GET", f"/api/v1/modules/{MODULE_2}", token).json()
    worksheet = next(f for f in module["forms"] if f["id"] == "customer-worksheet")
    answers = {i["id"]: valid_answer(i) for i in worksheet["items"]}
    submitted = player_server.api(
        "POST", f"/api/v1/me/attempts/{started.json()['id']}/submit", token, json={"answers": answers}
    )
    assert submitted.status_code == 200, submitted.text
    # The district's count depends on the other tests: the group's list is answered as if this
    # learner were the first to answer, which is what a district's first learner sees.
    first = {"respondents": 1, "shown": False, "min_group_size": 5, "entries": []}
    for lang, said in (("", "1 person answered"), ("es", "1 persona respondió")):
        page = new_page()
        page.route("**/combined*", lambda route: route.fulfill(json={**first, "item": "external"}))
        page.goto(player_server.player_url(token, MODULE_2, lang=lang))
        # Resumed at the first form not yet submitted; the worksheet is the step before it.
        expect(page.locator(".steplist")).to_be_visible()
        page.locator(".steplist > li").nth(1).get_by_role("button").click()
        expect(page.locator(".combined").first).to_contain_text(said)


def test_the_result_is_scrolled_to_and_focused_on_a_phone(
    player_server: PlayerServer, new_page: Callable[..., Page], shoot: Shoot
) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(player_server.player_url(player_server.token(), MODULE_2))
    page.get_by_role("button", name="Begin").click()
    fill_worksheet(page)
    wait_saved(page)
    page.get_by_role("button", name="Submit Customer worksheet").click()
    # The learner lands on the result, not on the form's bottom 5,000 px further on: the result's
    # heading has the focus (a screen reader reads it) and the comparison is on the screen.
    result = page.get_by_role("heading", name="Submitted: Customer worksheet")
    expect(result).to_be_focused()
    expect(page.get_by_role("heading", name="Compared with the course list: Part 1a")).to_be_in_viewport()
    expect(result).to_be_in_viewport()
    shoot(page, "33-worksheet-result-on-a-phone")

    # The same after a knowledge check: its score first, in view, with the focus.
    page.get_by_role("button", name="Next").click()
    answer_knowledge_check(page, knowledge_key(player_server))
    page.get_by_role("button", name=f"Submit {QUIZ}").click()
    result = page.get_by_role("heading", name=f"Submitted: {QUIZ}")
    expect(result).to_be_focused()
    expect(page.locator(".score")).to_be_in_viewport()
