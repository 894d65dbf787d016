"""What a staff member does in the player, as clicks and typing: reused by the LTI launch test.

Every action finds things the way a person does: by the visible text of a step, a question, an
option or a button. Only the question's fieldset is found by its `data-item` (the item id).
"""

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.player.conftest import PlayerServer
from tests.progress.answers import valid_answer

MODULE_2 = "who-are-our-customers"


def text_of(html: str) -> str:
    """The visible text of a short HTML fragment from the API (`<p>Control</p>` -> `Control`)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def item(page: Page, item_id: str) -> Locator:
    return page.locator(f'[data-item="{item_id}"]')


def go_to_step(page: Page, title: str) -> None:
    """Open a step from the step list."""
    page.get_by_role("navigation", name="Steps").get_by_role("button", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)


def wait_saved(page: Page) -> None:
    # The suite's bound (conftest's 15 s), not a shorter one: a loaded machine saves late, not never.
    expect(page.locator("#save-status")).to_have_text("Draft saved")


def type_list(page: Page, item_id: str, entries: list[str]) -> None:
    """Type a list as a person does: click the first line, type, Enter for the next line."""
    item(page, item_id).get_by_role("textbox").first.click()
    for index, entry in enumerate(entries):
        page.keyboard.type(entry)
        if index < len(entries) - 1:
            page.keyboard.press("Enter")


def fill_worksheet(page: Page) -> None:
    """Module 2's customer worksheet, every part."""
    type_list(page, "external", ["Parents", "Grandparents", "Reporters", "Local businesses", "Pastors"])
    type_list(page, "internal", ["Teachers", "Substitutes", "Bus drivers", "Board members"])
    item(page, "volunteer-call").get_by_role("textbox").click()
    page.keyboard.type(
        "She may never call back. We should have thanked her, taken her number and "
        "told her when the coordinator would call."
    )
    type_list(page, "expectations", ["A greeting", "A straight answer"])
    matrix = item(page, "needs-check")
    for row in matrix.get_by_role("radiogroup").all():
        row.locator("label", has_text="Usually").click()
    item(page, "internal-service").get_by_role("textbox").click()
    page.keyboard.type(
        "Colleagues can only do their work if I help them; I will answer the cafeteria's "
        "questions before lunch."
    )


def answer_knowledge_check(page: Page, key: dict[str, Any], move_up: str = "Move up") -> None:
    """Answer a knowledge check rightly, from the facilitator view's key (`key`: the form as the
    facilitator view gives it, in the page's language; `move_up`: the order buttons' label)."""
    for question in key["items"]:
        box = item(page, question["id"])
        kind = question["type"]
        if kind == "classify":
            labels = {c["id"]: c["label"] for c in question["categories"]}
            for entry in question["entries"]:
                row = box.get_by_role("radiogroup", name=text_of(entry["text"]))
                row.locator("label", has_text=labels[entry["category"]]).click()
        elif kind == "choice":
            for option in question["options"]:
                if option.get("correct"):
                    box.get_by_label(text_of(option["text"]), exact=True).click()
        elif kind == "order":
            wanted = [text_of(e["text"]) for e in question["entries"]]
            for position, text in enumerate(wanted):
                while True:
                    shown = [t.strip() for t in box.locator(".order-text").all_inner_texts()]
                    if shown.index(text) <= position:
                        break
                    box.get_by_role("button", name=f"{move_up}: {text}").click()
        elif kind == "text_entry":
            box.get_by_role("textbox").click()
            page.keyboard.type(question["accepted"][0])
        else:
            raise AssertionError(f"a knowledge check item of type {kind}")


def fill_reflection(page: Page) -> None:
    item(page, "learned").get_by_role("textbox").click()
    page.keyboard.type("That colleagues are customers too.")
    item(page, "do-differently").get_by_role("textbox").click()
    page.keyboard.type("Take the caller's number and say when they will hear back.")
    item(page, "rating").locator("label", has_text="Very useful").click()


def submit(page: Page, form_title: str) -> None:
    page.get_by_role("button", name=f"Submit {form_title}").click()
    expect(page.get_by_role("heading", name=f"Submitted: {form_title}")).to_be_visible()


def complete_module(server: PlayerServer, token: str, module_id: str) -> None:
    """Submit every form of a module through the API, rightly (the facilitator view's key)."""
    key = server.http.get(f"/api/v1/modules/{module_id}/facilitator", headers=server.tenant.headers).json()
    for form in key["forms"]:
        started = server.api("POST", f"/api/v1/me/modules/{module_id}/forms/{form['id']}/attempts", token)
        answers = {}
        for question in form["items"]:
            if question["type"] == "choice" and any(o.get("correct") for o in question["options"]):
                answers[question["id"]] = [o["id"] for o in question["options"] if o.get("correct")]
            elif question["type"] == "classify":
                answers[question["id"]] = {e["id"]: e["category"] for e in question["entries"]}
            elif question["type"] == "text_entry":
                answers[question["id"]] = question["accepted"][0]
            else:
                answers[question["id"]] = valid_answer(question)
        response = server.api(
            "POST", f"/api/v1/me/attempts/{started.json()['id']}/submit", token, json={"answers": answers}
        )
        assert response.status_code == 200, response.text


def tab_to(page: Page, selector: str, limit: int = 150) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user would (the console's page is
    long: keys, LMS, webhooks, audit, roster and completions)."""
    seen = []
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
        seen.append(page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)"))
    raise AssertionError(f"Tab never reached {selector}: {seen[-20:]}")


def choose_file(page: Page, selector: str, path: Path) -> None:
    """Open the file chooser from the keyboard and pick `path`, as a person would in the dialog."""
    tab_to(page, selector)
    for _ in range(3):
        # Chromium now and then drops a chooser asked for while it still settles the last
        # one: the person presses Space again.
        try:
            with page.expect_file_chooser(timeout=5000) as chooser:
                page.keyboard.press("Space")
        except PlaywrightTimeout:
            continue
        chooser.value.set_files(str(path))
        return
    raise AssertionError(f"Space on {selector} never opened the file chooser")
