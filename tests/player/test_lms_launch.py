"""From the LMS to HR in a real browser: an LMS (lti1p3platform) launches module 2 for a staff
member, who completes the worksheet, the knowledge check and the reflection in the player by
clicking and typing; the score arrives at the platform's AGS endpoint through the outbox, and
HR's CSV export lists the completion under the employee from HR's roster. An instructor's
deep-linking launch lands on the picker, and the platform verifies the modules chosen."""

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.lti.platform import Platform
from tests.player.conftest import PlayerServer, database_copy, registered_platform, serving
from tests.player.flows import MODULE_2, answer_knowledge_check, fill_reflection, fill_worksheet, submit
from tests.player.test_player import Scan, Shoot, knowledge_key

LEARNER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
INSTRUCTOR = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]


@pytest.fixture(scope="module")
def lms_server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlayerServer]:
    """The service as deployed: its own dispatcher delivers the outbox (grades back), and it may
    reach the platform on loopback."""
    database = database_copy(sqlite_template, tmp_path_factory, "lms")
    with serving(
        database,
        "lincoln-usd",
        FRONTOFFICE_DISPATCH_IN_APP="true",
        FRONTOFFICE_OUTBOUND_ALLOWLIST="127.0.0.1",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def lms(lms_server: PlayerServer) -> Iterator[Platform]:
    """A platform the district registered, holding the tool's public keys."""
    with registered_platform(lms_server, "https://lms.lincoln-usd.example") as platform:
        yield platform


def completed_scores(platform: Platform, within: float = 60.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        scores = [s for _, s in platform.scores if s.get("activityProgress") == "Completed"]
        if scores:
            return scores
        time.sleep(0.1)
    pytest.fail(f"no completed score reached the platform within {within} s: {platform.scores}")


def test_an_lms_launch_ends_in_the_gradebook_and_the_hr_export(
    lms_server: PlayerServer, lms: Platform, page: Page, shoot: Shoot, axe: Scan
) -> None:
    headers = lms_server.tenant.headers
    roster = {
        "employees": [
            {
                "employee_id": "E-4242",
                "name": "Robin Frontdesk",
                "email": "robin.frontdesk@lincoln-usd.example",
                "school_code": "LIN-EL",
                "school_name": "Lincoln Elementary",
                "department": "Front office",
                "role_code": "SEC",
                "role_title": "School secretary",
                "status": "active",
            }
        ]
    }
    assert lms_server.http.put("/api/v1/roster", json=roster, headers=headers).status_code == 200

    # The staff member clicks the module's link in the LMS: the platform starts the OIDC login,
    # the tool redirects back for authentication, the platform posts the signed launch.
    page.goto(
        lms.start_url(
            "lms-user-4242",
            roles=LEARNER,
            custom={"module": MODULE_2},
            name="Robin Frontdesk",
            email="Robin.Frontdesk@lincoln-usd.example",
        )
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Who are our customers?")
    assert page.url == f"{lms_server.url}/player/", "the token must leave the address bar"
    shoot(page, "20-lms-launch")
    axe(page, "module intro after an LMS launch")

    page.get_by_role("button", name="Begin").click()
    fill_worksheet(page)
    submit(page, "Customer worksheet")
    page.get_by_role("button", name="Next").click()
    answer_knowledge_check(page, knowledge_key(lms_server))
    submit(page, "Knowledge check: who are our customers?")
    expect(page.locator(".score")).to_have_text("Your score: 100% · Passed")
    page.get_by_role("button", name="Next").click()  # the practice scenarios are not required
    expect(page.get_by_role("heading", level=1)).to_have_text("Practice: two situations")
    page.get_by_role("button", name="Next").click()
    fill_reflection(page)
    page.get_by_role("button", name="Submit Reflection").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Module complete")
    shoot(page, "21-lms-launch-completed")

    # The grade goes back: the service's dispatcher posts it to the launch's line item.
    [score] = completed_scores(lms)
    assert score["userId"] == "lms-user-4242"
    assert (score["scoreGiven"], score["scoreMaximum"]) == (100, 100)
    assert score["gradingProgress"] == "FullyGraded"
    assert score["timestamp"].endswith("Z") and "." in score["timestamp"]
    [lineitem] = lms.lineitems.values()
    assert lineitem["resourceId"] == MODULE_2 and lineitem["scoreMaximum"] == 100

    # HR's export lists the completion under the roster's employee (matched by email).
    export = lms_server.http.get("/api/v1/completions/export.csv", headers=headers)
    assert export.status_code == 200, export.text
    rows = [r for r in csv.DictReader(io.StringIO(export.text)) if r["module_id"] == MODULE_2]
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row["employee_id"], row["employee_name"], row["school_name"], row["role_title"]) == (
        "E-4242",
        "Robin Frontdesk",
        "Lincoln Elementary",
        "School secretary",
    )
    assert (row["status"], row["passed"], float(row["credit_minutes"])) == ("completed", "true", 25)


def test_an_instructor_picks_modules_and_the_lms_verifies_them(
    lms_server: PlayerServer, lms: Platform, page: Page, shoot: Shoot, axe: Scan
) -> None:
    page.goto(lms.start_url("lms-teacher-7", roles=INSTRUCTOR, custom={}, deep_link=True, name="Lee Trainer"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose modules for your course")
    expect(page.get_by_role("button", name="Select at least one module")).to_be_disabled()
    page.get_by_label("Who are our customers?").check()
    page.get_by_label("Internal customer service").check()
    shoot(page, "11-picker")
    axe(page, "picker")
    page.get_by_role("button", name="Add 2 selected to the course").click()

    # The player posted the signed response to the LMS, which verified it with the tool's key.
    expect(page.get_by_role("heading", name="Added to the course")).to_be_visible()
    [items] = lms.deep_linked
    assert [i["custom"]["module"] for i in items] == [MODULE_2, "internal-customer-service"]
    assert [i["type"] for i in items] == ["ltiResourceLink", "ltiResourceLink"]
    assert all(i["lineItem"]["scoreMaximum"] == 100 and i["lineItem"]["resourceId"] for i in items)
    expect(page.get_by_role("listitem")).to_have_text(["Who are our customers?", "Internal customer service"])
