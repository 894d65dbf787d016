"""HR's due dates on the course home, and the certificate in the player's language, in headless
Chromium: "Due Dec 12" and "Overdue" on each assigned module's card (dates written out in the
page's language), and the certificate asked for with `lang` so an LMS's own language does not
decide it. English on a desktop, Spanish on a phone, axe-core on each."""

from collections.abc import Callable
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from tests.player.conftest import PHONE, PlayerServer
from tests.player.flows import MODULE_2, complete_module

MODULE_1 = "why-service-matters"
MODULE_3 = "internal-customer-service"
SPANISH_MONTHS = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"]


def assign(server: PlayerServer, module_id: str, role: str, due_on: date) -> None:
    body = {"module_id": module_id, "role_code": role, "due_on": due_on.isoformat()}
    response = server.http.post("/api/v1/assignments", json=body, headers=server.tenant.headers)
    assert response.status_code == 201, response.text


def english(day: date) -> str:
    """The day as the player writes it in English: `Dec 12`, with the year when not this one's."""
    return f"{day:%b} {day.day}" + (f", {day.year}" if day.year != date.today().year else "")


def spanish(day: date) -> str:
    return f"{day.day} {SPANISH_MONTHS[day.month - 1]}" + (
        f" {day.year}" if day.year != date.today().year else ""
    )


def test_due_and_overdue_modules_in_english(
    player_server: PlayerServer, page: Page, axe: Callable[[Page, str], None]
) -> None:
    # A role of this test's own: the assignments reach no other test's learners.
    role = "due-date-clerk"
    soon, late = date.today() + timedelta(days=9), date.today() - timedelta(days=9)
    assign(player_server, MODULE_2, role, soon)
    assign(player_server, MODULE_1, role, late)
    token = player_server.token(role=role)
    course = player_server.api("GET", "/api/v1/course", token).json()
    titles = {m["id"]: m["title"] for m in course["modules"]}

    page.goto(player_server.player_url(token))
    modules = page.locator(".modules > li")
    expect(modules).to_have_count(len(course["modules"]))
    card = {m: modules.filter(has=page.get_by_role("heading", name=titles[m], exact=True)) for m in titles}
    expect(card[MODULE_2].locator(".due")).to_have_text(f"Due {english(soon)}")
    expect(card[MODULE_1].locator(".due.overdue")).to_have_text(f"Overdue: it was due {english(late)}")
    expect(card[MODULE_3].locator(".due")).to_have_count(0)  # not assigned
    axe(page, "course home with due dates")

    # Done, it is no longer due: the card says completed and nothing about the date.
    complete_module(player_server, token, MODULE_1)
    page.reload()
    expect(card[MODULE_1]).to_contain_text("✓ Completed")
    expect(card[MODULE_1].locator(".due")).to_have_count(0)
    expect(card[MODULE_2].locator(".due")).to_have_text(f"Due {english(soon)}")


def test_due_dates_and_the_certificate_in_spanish_on_a_phone(
    player_server: PlayerServer, new_page: Callable[..., Page], axe: Callable[[Page, str], None]
) -> None:
    role = "conserje-de-prueba"
    soon, late = date.today() + timedelta(days=30), date.today() - timedelta(days=2)
    assign(player_server, MODULE_2, role, soon)
    assign(player_server, MODULE_3, role, late)
    token = player_server.token(role=role)
    complete_module(player_server, token, MODULE_1)
    course = player_server.api("GET", "/api/v1/course?lang=es", token).json()
    titles = {m["id"]: m["title"] for m in course["modules"]}
    # The browser says English: the player's language (the launch's `lang`) still decides.
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US")

    page.goto(player_server.player_url(token, lang="es"))
    modules = page.locator(".modules > li")
    card = {m: modules.filter(has=page.get_by_role("heading", name=titles[m], exact=True)) for m in titles}
    expect(card[MODULE_2].locator(".due")).to_have_text(f"Fecha límite: {spanish(soon)}")
    expect(card[MODULE_3].locator(".due.overdue")).to_have_text(
        f"Atrasado: la fecha límite era el {spanish(late)}"
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe(page, "Spanish course home with due dates on a phone")

    with page.expect_response(lambda r: "/certificate" in r.url) as answered, page.expect_popup() as popup:
        card[MODULE_1].get_by_role("button", name=f"Certificado: {titles[MODULE_1]}").click()
    assert "lang=es" in answered.value.url
    assert answered.value.status == 200
    assert answered.value.headers["content-language"] == "es"
    assert popup.value.url.startswith("blob:")

    # The completion page's link says the language too.
    card[MODULE_1].get_by_role("button", name="Repasar").click()
    page.locator(".steptoggle").click()  # on a phone the step list folds away
    page.get_by_role("navigation", name="Pasos").get_by_role("button", name="Final").last.click()
    expect(page.locator("#certificate")).to_have_attribute(
        "href", f"{certificate_path(player_server, token)}?lang=es"
    )


def certificate_path(server: PlayerServer, token: str) -> str:
    progress = server.api("GET", "/api/v1/me/progress", token).json()
    completion = next(p["completion"] for p in progress if p["module_id"] == MODULE_1)
    return f"/api/v1/me/completions/{completion['id']}/certificate"
