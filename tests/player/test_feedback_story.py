"""Issue 20's story end to end, in one test on a server of its own: a family opens a school's
card link on a phone-sized Chromium, answers in Spanish and asks to be contacted; the concern
is in the school's inbox, where staff signed in to the console close it as resolved at first
contact, by keyboard; the impact dashboard shows the school's score, the dialogue's age and how
much of its roster has trained. axe-core checks each page."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.console.idp import Provider
from tests.player.conftest import PHONE, PlayerServer
from tests.player.console import console_serving
from tests.player.flows import complete_module, tab_to

MODULE = "why-service-matters"
SLUG = "story-district"
HR = {"sub": "u-9", "name": "Hal Ortega", "email": "hal@district-a.org", "email_verified": True}


@pytest.fixture(scope="module")
def story_server(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, idp: Provider
) -> Iterator[PlayerServer]:
    """A server of its own (the dashboard counts the district's answers), its console open to HR."""
    roles = [{"role": "hr", "email": HR["email"]}]
    with console_serving(sqlite_template, tmp_path_factory, idp, SLUG, roles) as server:
        yield server


def test_a_family_s_concern_from_the_card_to_the_dashboard(
    story_server: PlayerServer,
    idp: Provider,
    new_page: Callable[..., Page],
    axe: Callable[[Page, str], None],
) -> None:
    server = story_server
    http, headers = server.http, server.tenant.headers
    created = http.post(
        "/api/v1/feedback/schools", json={"code": "STORY", "name": "Escuela Historia"}, headers=headers
    )
    assert created.status_code == 201, created.text
    school = created.json()
    # Its roster: two staff; one of them completes the first module.
    roster = {
        "employees": [
            {"employee_id": f"ST-{n}", "name": f"Staff {n}", "school_code": "STORY", "status": "active"}
            for n in (1, 2)
        ]
    }
    imported = http.put("/api/v1/roster", json=roster, headers=headers)
    assert imported.status_code == 200, imported.text
    learner = {"external_id": "story-1", "name": "Staff 1", "employee_id": "ST-1", "school": "STORY"}
    token = http.post("/api/v1/learner-tokens", json={"learner": learner}, headers=headers).json()["token"]
    complete_module(server, token, MODULE)

    # The family scans the card: the phone's language picks Spanish.
    page = new_page(viewport=PHONE, locale="es-MX")
    page.goto(school["link"])
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_role("radio", name="8", exact=True).check()
    page.get_by_role("radio", name="Autobús o transporte").check()
    page.get_by_role("radio", name="No", exact=True).check()
    page.get_by_label("¿Algo más que quiera decirnos? (opcional)").fill("El autobús no llegó el lunes.")
    page.get_by_label("Su nombre").fill("Rosa Díaz")
    page.get_by_label("Teléfono").fill("555-0100")
    page.get_by_label("Acepto que la escuela se comunique conmigo sobre estos comentarios.").check()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe(page, "story: feedback form (es, phone)")
    page.get_by_role("button", name="Enviar").click()
    expect(page.get_by_role("status")).to_contain_text("Gracias")

    # The school's inbox has it, with the family's details and words; staff close it, resolved.
    idp.person = HR
    console = new_page()
    console.goto(f"{server.url}/console/{SLUG}/")
    tab_to(console, "a.button")
    console.keyboard.press("Enter")  # to the provider and back
    item = console.locator("#inbox-list li").filter(has_text="Escuela Historia")
    expect(item).to_contain_text("El autobús no llegó el lunes.")
    tab_to(console, "#inbox-list button[data-key^=open-]")
    console.keyboard.press("Enter")
    expect(console.locator("#inbox-panel")).to_contain_text("Rosa Díaz · 555-0100")
    tab_to(console, "#change-status")
    console.keyboard.type("closed")
    tab_to(console, "#change-first")
    console.keyboard.press("Space")
    tab_to(console, "#change-save")
    console.keyboard.press("Enter")
    expect(console.locator("#inbox-saved")).to_have_text("Saved.")
    axe(console, "story: the concern closed in the console's inbox")

    inbox = http.get("/api/v1/dialogues", params={"school_id": school["id"]}, headers=headers).json()
    (dialogue,) = inbox["items"]
    assert (dialogue["source"], dialogue["status"], dialogue["reason"]) == (
        "feedback",
        "closed",
        "transportation",
    )
    assert dialogue["first_contact_resolved"] is True and dialogue["contact"]["name"] == "Rosa Díaz"
    age = dialogue["age_business_hours"]
    assert age is not None and age >= 0

    # The dashboard: the score, the dialogue (opened, its age, resolved at first contact) and
    # the roster's coverage, in the school's row and in its charts.
    board = new_page(viewport=PHONE, locale="es-ES")
    board.goto(f"{server.url}/impact")
    board.get_by_label("Clave de API (con impact:read)").fill(server.tenant.key)
    board.get_by_role("button", name="Mostrar cifras").click()
    table = board.get_by_role("region", name="Escuela por escuela, último periodo")
    row = table.get_by_role("row").filter(has_text="Escuela Historia")
    expect(row).to_be_visible()
    texts = [t.strip() for t in row.locator("th, td").all_inner_texts()]
    # School, answers, mean score, opened, median age, past due, first-contact resolution, three
    # shopper channels, roster, then coverage per module (the first module first).
    assert texts[:4] == ["Escuela Historia", "1", "8", "1"], texts
    shown_age = board.evaluate("(age) => Number(age).toLocaleString('es', { maximumFractionDigits: 1 })", age)
    assert texts[4] == shown_age and texts[5] == "0" and texts[6] == "100 %", texts
    assert texts[10] == "2" and texts[11] == "50 %", texts
    board.get_by_label("Escuela", exact=True).select_option(label="Escuela Historia")
    expect(board.locator("#score-chart desc")).to_contain_text("8")
    expect(board.get_by_role("img", name="Personal que completó cada módulo")).to_be_visible()
    board.locator("#age-chart summary").click()
    expect(board.locator("#age-chart table")).to_contain_text(shown_age)
    axe(board, "story: impact dashboard (es, phone)")
