"""A live workshop from start to HR, in four Chromium browsers: the facilitator runs the room on
the presenter's screen; one participant joins on a phone with the code, one through an LMS
launch (lti1p3platform) carrying the code, one through the QR's link. Their players follow the
room and hold them to its step; the worksheet they type fills the flipchart live (with two more
people's paper answers entered by the facilitator, the form's minimum group is reached); the
facilitator moves the room to the knowledge check and the players follow; attendance is
confirmed on the screen, which completes the module (the reflection is the room's discussion);
the completions appear in HR's export and reach a webhook receiver, signed."""

import csv
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from standardwebhooks.webhooks import Webhook

from tests.lti.platform import Platform
from tests.player.conftest import PHONE, PlayerServer, database_copy, registered_platform, serving
from tests.player.flows import MODULE_2, answer_knowledge_check, fill_worksheet, submit, tab_to
from tests.player.test_player import knowledge_key
from tests.progress.answers import form_answers
from tests.webhooks.receiver import Receiver

LEARNER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
WAIT = "The facilitator opens the next step"


@pytest.fixture(scope="module")
def room_server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlayerServer]:
    """The service as deployed, in a district of its own: its dispatcher delivers webhooks, and
    it may reach the platform and the receiver on loopback."""
    database = database_copy(sqlite_template, tmp_path_factory, "room-story")
    with serving(
        database,
        "room-story",
        FRONTOFFICE_DISPATCH_IN_APP="true",
        FRONTOFFICE_OUTBOUND_ALLOWLIST="127.0.0.1",
        FRONTOFFICE_WEBHOOK_ALLOW_HTTP="true",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def lms(room_server: PlayerServer) -> Iterator[Platform]:
    with registered_platform(room_server, "https://lms.room-story.example") as platform:
        yield platform


def heading(page: Page) -> Any:
    return expect(page.get_by_role("heading", level=1))


def wait_for(what: str, check: Callable[[], Any], within: float = 60.0) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {within} s")


def enter_paper_worksheet(page: Page, name: str, axe: Callable[[Page, str], None]) -> None:
    """The facilitator types someone's paper worksheet into the presenter's screen, keyboard
    only; then their knowledge check, whose order question was left half numbered: the API's
    problem shows beside it and nothing is saved."""
    page.get_by_role("button", name="Refresh the list").click()
    opener = f'button[aria-label="Enter paper answers: {name}"]'
    tab_to(page, opener)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Paper answers: {name}")).to_be_focused()
    expect(page.get_by_label("Form", exact=True)).to_have_value("0")  # the worksheet: the first form
    for item_id, lines in (
        ("external", ["Parents", "Reporters", "Local businesses"]),
        ("internal", ["Bus drivers", "Teachers", "Coaches"]),
        ("expectations", ["A greeting", "A straight answer"]),
    ):
        tab_to(page, f'[data-item="{item_id}"] li:first-child input')
        for line in lines:
            page.keyboard.type(line)
            page.keyboard.press("Tab")
    tab_to(page, '[data-item="needs-check"] input[value="1"]')
    for _ in range(5):  # each statement's scale: arrow to "Usually", then on to the next scale
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Tab")
    tab_to(page, '[data-item="internal-service"] textarea')
    page.keyboard.type("I answer the cafeteria's questions before lunch, every day.")
    tab_to(page, '#paper-form button[type="submit"]')
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text(f"Saved Customer worksheet for {name}.")
    expect(page.locator("#paper")).to_be_hidden()
    expect(page.locator(opener)).to_be_focused()

    page.keyboard.press("Enter")
    tab_to(page, "#paper-choice")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Form", exact=True)).to_have_value("1")  # the knowledge check
    order = page.locator('[data-item="volunteer-steps"]')
    tab_to(page, '[data-item="volunteer-steps"] input.pos')
    page.keyboard.type("1")
    tab_to(page, '#paper-form button[type="submit"]')
    page.keyboard.press("Enter")
    expect(order.locator(".item-error")).to_contain_text("must list all 5 entries")
    expect(page.locator("#paper-alert")).to_contain_text("volunteer-steps")
    expect(order.locator("input.pos").first).to_be_focused()
    axe(page, "presenter entering paper answers, with a problem")
    tab_to(page, "#paper-cancel")
    page.keyboard.press("Enter")
    expect(page.locator(opener)).to_be_focused()


def test_a_facilitated_room_from_join_to_hr(
    room_server: PlayerServer,
    lms: Platform,
    page: Page,
    new_page: Callable[..., Page],
    axe: Callable[[Page, str], None],
) -> None:
    server = room_server
    headers = server.tenant.headers
    with Receiver().running() as receiver:
        hook = server.http.post(
            "/api/v1/webhooks/endpoints",
            json={"url": receiver.url, "event_types": ["completion.recorded"]},
            headers=headers,
        )
        assert hook.status_code == 201, hook.text
        verifier = Webhook(hook.json()["secret"])

        facilitator = server.token(facilitator=True, name="Fran Facilitator")
        opened = server.api(
            "POST",
            "/api/v1/workshops",
            facilitator,
            json={"modules": [MODULE_2], "title": "Lincoln front office"},
        )
        assert opened.status_code == 201, opened.text
        workshop: dict[str, Any] = opened.json()
        page.goto(f"{server.url}/room/#token={facilitator}&workshop={workshop['id']}")
        expect(page.locator("#code")).to_have_text(workshop["code"])
        expect(page.locator("#step-no")).to_contain_text("1 /")

        # Three participants: the code typed on a phone, an LMS launch, the QR's link.
        ana = new_page(viewport=PHONE)
        ana.goto(f"{server.url}/room/join.html")
        ana.get_by_label("Code on the screen").fill(workshop["code"].lower())
        ana.get_by_label("Your name").fill("Ana Ruiz")
        ana.get_by_label("Your school or site").fill("Lincoln Elementary")
        ana.get_by_role("button", name="Join the workshop").click()
        ana.wait_for_url("**/player/**")

        lee = new_page()
        custom = {"module": MODULE_2, "workshop": workshop["code"]}
        lee.goto(lms.start_url("lms-lee", roles=LEARNER, custom=custom, name="Lee Launch"))

        cy = new_page(viewport=PHONE)
        cy.goto(workshop["join_url"])
        expect(cy.get_by_label("Code on the screen")).to_have_value(workshop["code"].replace("-", ""))
        cy.get_by_label("Your name").fill("Cy Scan")
        cy.get_by_label("Your school or site").fill("Lincoln Elementary")
        cy.get_by_role("button", name="Join the workshop").click()
        cy.wait_for_url("**/player/**")

        participants = (ana, lee, cy)
        for person in participants:
            heading(person).to_have_text("Who are our customers?")
            expect(person.locator("#room-status")).to_contain_text("the room is starting")
            # Held at the room's step: the way on is the facilitator's.
            expect(person.get_by_role("button", name=WAIT)).to_be_disabled()
        axe(ana, "player following a room (phone)")
        page.get_by_role("button", name="Refresh the list").click()
        for name in ("Ana Ruiz", "Lee Launch", "Cy Scan"):
            expect(page.locator("#people")).to_contain_text(name)

        # The facilitator moves the room to the worksheet: every player opens it.
        page.get_by_role("button", name="Next step").click()
        expect(page.locator("#step-no")).to_contain_text("2 /")
        for person in participants:
            heading(person).to_contain_text("Customer worksheet")
            expect(person.locator("#room-status")).to_contain_text("the room is on")
        for person in participants:
            fill_worksheet(person)
            submit(person, "Customer worksheet")
            expect(person.get_by_role("button", name=WAIT)).to_be_disabled()  # the check is ahead
        expect(page.locator("#chart")).to_contain_text("customer-worksheet: 3 submitted")
        expect(page.locator("#chart")).not_to_contain_text("Parents")  # below the form's minimum group

        # Two more people worked on paper: the facilitator enters their answers (one through the
        # API, one on the screen by keyboard), and the group reaches its minimum: everyone's list
        # comes out on the flipchart at once.
        forms = {
            f["id"]: f
            for f in server.api("GET", f"/api/v1/modules/{MODULE_2}/facilitator", facilitator).json()["forms"]
        }
        for name in ("Dee Paper", "Eli Paper"):
            joined = server.http.post(
                "/workshops/join",
                json={"code": workshop["code"], "name": name, "school": "Lincoln Elementary"},
            ).json()
        entered = server.api(
            "POST",
            f"/api/v1/workshops/{workshop['id']}/participants/{joined['learner']['id']}/paper",
            facilitator,
            json={
                "module_id": MODULE_2,
                "form_id": "customer-worksheet",
                "answers": form_answers(forms["customer-worksheet"]),
            },
        )
        assert entered.status_code == 200, entered.text
        expect(page.locator("#chart")).to_contain_text("customer-worksheet: 4 submitted")
        enter_paper_worksheet(page, "Dee Paper", axe)
        expect(page.locator("#chart")).to_contain_text("customer-worksheet: 5 submitted")
        expect(page.locator("#chart")).to_contain_text("Parents")
        expect(page.locator("#chart")).to_contain_text("Bus drivers")

        # On to the knowledge check: the facilitator steps through the script; players follow.
        module = server.api("GET", f"/api/v1/modules/{MODULE_2}/facilitator", facilitator).json()
        forms_of = {a["id"]: a.get("form") for a in module["activities"]}
        target = next(
            i
            for i, step in enumerate(module["facilitator_script"])
            if forms_of.get(step.get("activity")) == "knowledge-check"
        )
        for shown in range(3, target + 2):  # the screen counts steps from 1
            page.get_by_role("button", name="Next step").click()
            expect(page.locator("#step-no")).to_contain_text(f"{shown} /")
        key = knowledge_key(server)
        for person in participants:
            heading(person).to_have_text("Check your understanding")
            answer_knowledge_check(person, key)
            submit(person, "Knowledge check: who are our customers?")
            expect(person.locator(".score")).to_have_text("Your score: 100% · Passed")

        # Attendance on the screen completes the module for the three (their discussion was
        # the reflection); the two on paper did no check, so it completes nothing for them.
        page.get_by_role("button", name="Refresh the list").click()
        expect(page.locator("#people li")).to_have_count(5)  # the two on paper are listed now
        for name in ("Ana Ruiz", "Lee Launch", "Cy Scan", "Dee Paper", "Eli Paper"):
            page.get_by_role("checkbox", name=name).check()
        page.get_by_role("button", name="Confirm attendance").click()
        expect(page.locator("#status")).to_have_text("Attendance confirmed for 5; 3 completed a module.")
        axe(page, "presenter after attendance")

        export = server.http.get("/api/v1/completions/export.csv", headers=headers)
        assert export.status_code == 200, export.text
        rows = [r for r in csv.DictReader(io.StringIO(export.text)) if r["module_id"] == MODULE_2]
        assert sorted(r["employee_name"] for r in rows) == ["Ana Ruiz", "Cy Scan", "Lee Launch"]
        assert {r["status"] for r in rows} == {"completed"}

        received = wait_for("three completions at the webhook", lambda: len(receiver.received) >= 3 or None)
        assert received
        events = [verifier.verify(r.body, r.headers) for r in receiver.received]
        assert sorted(e["data"]["learner"]["name"] for e in events) == ["Ana Ruiz", "Cy Scan", "Lee Launch"]
        assert {e["data"]["module_id"] for e in events} == {MODULE_2}
