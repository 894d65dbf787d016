"""The course home in headless Chromium: opened without a module, it lists every module with the
learner's status, time, certificate and transcript, and resumes where they left off; an unknown
module and an untranslated one are said in words. English on a desktop, Spanish on a phone,
keyboard only, axe-core on every screen."""

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.player.conftest import PHONE, PlayerServer
from tests.player.flows import MODULE_2, complete_module, go_to_step

Shoot = Callable[[Page, str], Path]
Scan = Callable[[Page, str], None]
MODULE_1 = "why-service-matters"


def test_home_lists_modules_certificates_and_transcript_and_resumes(
    player_server: PlayerServer, page: Page, shoot: Shoot, axe: Scan
) -> None:
    token = player_server.token()
    complete_module(player_server, token, MODULE_1)
    course = player_server.api("GET", "/api/v1/course", token).json()
    titles = {m["id"]: m["title"] for m in course["modules"]}

    page.goto(player_server.player_url(token))
    expect(page.get_by_role("heading", level=1)).to_have_text(course["title"])
    modules = page.locator(".modules > li")
    expect(modules).to_have_count(len(course["modules"]))
    first = modules.filter(has=page.get_by_role("heading", name=titles[MODULE_1]))
    expect(first).to_contain_text("✓ Completed")
    expect(first.get_by_role("button", name="Review")).to_be_visible()
    expect(first.get_by_role("button", name=f"Certificate: {titles[MODULE_1]}")).to_be_visible()
    second = modules.filter(has=page.get_by_role("heading", name=titles[MODULE_2]))
    expect(second).to_contain_text("Not started")
    expect(second).to_contain_text("About 25 minutes")
    transcript = page.get_by_role("region", name="Your transcript")
    expect(transcript).to_contain_text(titles[MODULE_1])
    expect(transcript).to_contain_text(re.compile(r"Total credit: \d+ minutes"))
    expect(page.locator(".lead")).to_contain_text(f"1 of {len(course['modules'])} modules completed")
    shoot(page, "40-course-home")
    axe(page, "course home")
    with page.expect_popup() as popup:
        first.get_by_role("button", name=f"Certificate: {titles[MODULE_1]}").click()
    assert popup.value.url.startswith("blob:")

    # Keyboard only: open module 2 from the home, go two steps in, come back, and resume there.
    second.get_by_role("button", name="Start").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(titles[MODULE_2])
    page.get_by_role("button", name="Begin").click()  # opens the worksheet: an attempt starts
    expect(page.get_by_role("heading", level=1)).to_have_text("Customer worksheet")
    go_to_step(page, "Check your understanding")
    page.get_by_role("button", name="← Course home").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(course["title"])
    expect(second).to_contain_text("In progress")
    resume = page.get_by_role("button", name=f"Continue where you left off: {titles[MODULE_2]}")
    resume.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your understanding")


def test_home_in_spanish_on_a_phone(
    player_server: PlayerServer, new_page: Callable[..., Page], shoot: Shoot, axe: Scan
) -> None:
    token = player_server.token()
    course = player_server.api("GET", "/api/v1/course?lang=es", token).json()
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True, locale="es-ES")
    page.goto(player_server.player_url(token, lang="es"))
    expect(page.get_by_role("heading", level=1)).to_have_text(course["title"])
    assert page.evaluate("document.documentElement.lang") == "es"
    expect(page.get_by_role("heading", name="Sus módulos")).to_be_visible()
    expect(page.locator(".modules > li").first).to_contain_text("Sin empezar")
    expect(page.locator(".modules .note")).to_have_count(0)  # every module ships in Spanish
    expect(page.get_by_role("region", name="Su expediente")).to_contain_text("Aquí aparecerán")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "41-course-home-es-phone")
    axe(page, "Spanish course home on a phone")


def test_unknown_and_untranslated_modules_are_said_in_words(
    player_server: PlayerServer, new_page: Callable[..., Page], shoot: Shoot, axe: Scan
) -> None:
    token = player_server.token()
    for lang, title, home in (
        ("", "We can't find this module", "Course home"),
        ("es", "No encontramos este módulo", "Inicio del curso"),
    ):
        page = new_page()
        page.goto(player_server.player_url(token, "no-such-module", lang=lang))
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page.get_by_text("GET /api/v1/modules")).to_have_count(0)
        axe(page, f"unknown module ({lang or 'en'})")
        page.get_by_role("button", name=home).click()
        expect(page.locator(".modules > li").first).to_be_visible()
    shoot(page, "42-unknown-module")

    # A language the module is not in: the learner is told, and the module is shown in English.
    page = new_page()
    page.goto(player_server.player_url(token, MODULE_2, lang="fr"))
    expect(page.get_by_role("note")).to_have_text(
        "This module is not translated into French yet; it is shown in English."
    )
    expect(page.get_by_role("button", name="Begin")).to_be_visible()
    axe(page, "untranslated module")
    page.get_by_role("button", name="← Course home").click()
    expect(page.locator(".modules > li .note").first).to_contain_text("not translated into French")
