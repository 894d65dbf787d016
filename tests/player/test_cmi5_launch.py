"""A cmi5 LMS (tests/cmi5/lms.py, on loopback) launches module 2 from the district's cmi5
package in a real browser: the player fetches the auth token, reads the launch data, trades the
actor for a learner token, and the LMS receives initialized, completed, passed and terminated
statements that keep cmi5's rules, in that order; a second use of the fetch URL is refused by
the LMS and the player says so."""

import io
import time
import zipfile
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree
from playwright.sync_api import Page, expect

from tests.cmi5.lms import Launch, Lms
from tests.player.conftest import PlayerServer
from tests.player.flows import MODULE_2, answer_knowledge_check, fill_reflection, fill_worksheet, submit
from tests.player.test_player import Scan, Shoot, knowledge_key

NS = {"c": "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"}


@pytest.fixture(scope="module")
def lms() -> Iterator[Lms]:
    with Lms().running() as running:
        yield running


def launch_of(server: PlayerServer, lms: Lms, module_id: str) -> Launch:
    """The LMS imports the district's package and launches the module's AU."""
    key = server.http.post("/api/v1/cmi5/package-keys", json={"name": "LMS"}, headers=server.tenant.headers)
    assert key.status_code == 201, key.text
    package = server.http.get(
        f"/api/v1/cmi5/package-keys/{key.json()['id']}/package", headers=server.tenant.headers
    )
    assert package.status_code == 200, package.text
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        document = etree.fromstring(archive.read("cmi5.xml"))
    for au in document.findall("c:au", NS):
        url = au.findtext("c:url", namespaces=NS) or ""
        if parse_qs(urlsplit(url).query)["module"] == [module_id]:
            mastery = au.get("masteryScore")
            return lms.launch(
                url, au.get("id") or "", au.get("moveOn") or "", float(mastery) if mastery else None
            )
    pytest.fail(f"no AU for {module_id}")


def wait_for(launch: Launch, verbs: list[str], within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while launch.verbs() != verbs and time.monotonic() < deadline:
        time.sleep(0.05)
    assert launch.verbs() == verbs


def test_a_cmi5_launch_reports_completion_to_the_lms(
    player_server: PlayerServer, lms: Lms, page: Page, shoot: Shoot, axe: Scan
) -> None:
    launch = launch_of(player_server, lms, MODULE_2)
    assert launch.launch_data["moveOn"] == "CompletedAndPassed"
    page.goto(launch.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Who are our customers?")
    wait_for(launch, ["initialized"])
    shoot(page, "30-cmi5-launch")
    axe(page, "module intro after a cmi5 launch")

    page.get_by_role("button", name="Begin").click()
    fill_worksheet(page)
    submit(page, "Customer worksheet")
    page.get_by_role("button", name="Next").click()
    answer_knowledge_check(page, knowledge_key(player_server))
    submit(page, "Knowledge check: who are our customers?")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Practice: two situations")
    page.get_by_role("button", name="Next").click()
    fill_reflection(page)
    page.get_by_role("button", name="Submit Reflection").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Module complete")
    wait_for(launch, ["initialized", "completed", "passed"])
    shoot(page, "31-cmi5-completed")
    axe(page, "completion after a cmi5 launch")

    page.get_by_role("button", name="Return to your course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Back in the LMS course")
    wait_for(launch, ["initialized", "completed", "passed", "terminated"])
    assert launch.violations() == []
    assert lms.errors == []
    passed = launch.statements[2]
    assert passed["result"]["score"]["scaled"] >= launch.launch_data["masteryScore"]


def test_a_used_fetch_url_is_refused_and_said(
    player_server: PlayerServer, lms: Lms, page: Page, axe: Scan
) -> None:
    launch = launch_of(player_server, lms, "skills-self-assessment")
    assert launch.launch_data["moveOn"] == "Completed" and "masteryScore" not in launch.launch_data
    launch.fetched = 1  # another window used it already
    page.goto(launch.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("This module could not start from your course")
    expect(page.get_by_text("already used")).to_be_visible()
    axe(page, "a cmi5 launch the LMS refused")
    assert launch.statements == []
