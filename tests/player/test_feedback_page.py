"""The family feedback page in a real browser: a family scans the counter card's link on a
phone-sized Chromium, answers in Spanish, asks to be contacted; axe-core finds nothing serious
on the form or the thanks; the school's figures count the answer once."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.player.conftest import PHONE, PlayerServer


def new_school(server: PlayerServer, code: str, name: str) -> dict[str, Any]:
    """A school with a feedback link (its card's and its survey's)."""
    created = server.http.post(
        "/api/v1/feedback/schools", json={"code": code, "name": name}, headers=server.tenant.headers
    )
    assert created.status_code == 201, created.text
    school: dict[str, Any] = created.json()
    return school


def test_a_family_answers_in_spanish_on_a_phone(
    player_server: PlayerServer,
    new_page: Callable[..., Page],
    axe: Callable[[Page, str], None],
    shoot: Callable[[Page, str], Path],
) -> None:
    headers = player_server.tenant.headers
    school = new_school(player_server, "ROOS", "Escuela Roosevelt")

    page = new_page(viewport=PHONE, locale="es-ES")
    page.goto(school["link"])  # as the QR code opens it: the phone's language picks Spanish
    expect(page.get_by_role("heading", level=1)).to_have_text("¿Cómo le atendimos hoy?")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe(page, "feedback form (es, phone)")
    shoot(page, "feedback-form-es-phone")

    # Sending with nothing chosen says which question needs an answer, and writes nothing.
    page.get_by_role("button", name="Enviar").click()
    expect(page.get_by_role("alert")).to_contain_text("Del 0 al 10")

    page.get_by_role("radio", name="8", exact=True).check()
    page.get_by_role("radio", name="Autobús o transporte").check()
    page.get_by_role("radio", name="No", exact=True).check()
    page.get_by_label("¿Algo más que quiera decirnos? (opcional)").fill(
        "El autobús llega tarde <b>siempre</b>."
    )
    page.get_by_label("Su nombre").fill("Rosa Díaz")
    page.get_by_label("Teléfono").fill("555-0100")
    # Details without consent are not sent: the page asks for it first.
    page.get_by_role("button", name="Enviar").click()
    expect(page.get_by_role("alert")).to_contain_text("marque la casilla")
    page.get_by_label("Acepto que la escuela se comunique conmigo sobre estos comentarios.").check()
    page.get_by_role("button", name="Enviar").click()

    thanks = page.get_by_role("status")
    expect(thanks).to_have_text("Gracias. Su respuesta ayuda a esta escuela a atender mejor a las familias.")
    expect(thanks).to_be_focused()
    axe(page, "feedback thanks (es, phone)")
    shoot(page, "feedback-thanks-es-phone")

    # The same phone answering again the same day is thanked, and not counted again.
    page.goto(school["link"])
    page.get_by_role("radio", name="0", exact=True).check()
    page.get_by_role("radio", name="Otro asunto").check()
    page.get_by_role("radio", name="No", exact=True).check()
    page.get_by_role("button", name="Enviar").click()
    expect(page.get_by_role("status")).to_contain_text("no se contó de nuevo")

    figures = player_server.http.get("/api/v1/feedback/summary", headers=headers).json()["schools"]
    (roosevelt,) = [s for s in figures if s["code"] == "ROOS"]
    assert roosevelt["count"] == 1 and roosevelt["mean_score"] == 8 and roosevelt["resolved_rate"] == 0
    assert [r["reason"] for r in roosevelt["by_reason"]] == ["transportation"]


def test_a_closed_link_says_so_in_the_family_s_language(
    player_server: PlayerServer, new_page: Callable[..., Page], axe: Callable[[Page, str], None]
) -> None:
    headers = player_server.tenant.headers
    school = new_school(player_server, "OLD", "Old School")
    player_server.http.post(f"/api/v1/feedback/schools/{school['id']}/close", headers=headers)
    page = new_page(viewport=PHONE, locale="es-MX")
    response = page.goto(school["link"])
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Este enlace para comentarios está cerrado")
    axe(page, "closed feedback link (es, phone)")


def test_a_family_answers_the_survey_in_spanish_on_a_phone(
    player_server: PlayerServer,
    new_page: Callable[..., Page],
    axe: Callable[[Page, str], None],
    shoot: Callable[[Page, str], Path],
) -> None:
    headers = player_server.tenant.headers
    school = new_school(player_server, "SURV", "Escuela Encuesta")

    page = new_page(viewport=PHONE, locale="es-ES")
    page.goto(f"{player_server.url}/survey/{school['token']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Encuesta para familias")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe(page, "family survey (es, phone)")
    shoot(page, "family-survey-es-phone")

    # The 0-10 question is the one that must be answered: the page says so, and sends nothing.
    page.get_by_role("button", name="Enviar").click()
    expect(page.get_by_role("alert")).to_contain_text("qué tan bien atiende nuestra escuela")

    overall = page.get_by_role(
        "group", name="En general, ¿qué tan bien atiende nuestra escuela a su familia?"
    )
    overall.get_by_role("radio", name="9", exact=True).check()
    page.get_by_role("group", name="¿Qué tan amable es el personal").get_by_role("radio", name="4").check()
    page.get_by_role("checkbox", name="Por teléfono").check()
    page.get_by_role("checkbox", name="En la oficina principal").check()
    page.get_by_role("radio", name="La primera vez que lo pedí").check()
    page.get_by_label("¿Qué es lo único que la escuela podría hacer").fill("Avisar antes de <b>cambios</b>.")
    # Keyboard only: the button is reached and pressed without a mouse.
    page.get_by_role("button", name="Enviar").focus()
    page.keyboard.press("Enter")

    thanks = page.get_by_role("status")
    expect(thanks).to_have_text(
        "Gracias. Sus respuestas ayudan a esta escuela a atender mejor a las familias."
    )
    expect(thanks).to_be_focused()
    axe(page, "family survey thanks (es, phone)")

    # The same phone again the same day: thanked, not counted again.
    page.goto(f"{player_server.url}/survey/{school['token']}")
    page.get_by_role(
        "group", name="En general, ¿qué tan bien atiende nuestra escuela a su familia?"
    ).get_by_role("radio", name="0", exact=True).check()
    page.get_by_role("button", name="Enviar").click()
    expect(page.get_by_role("status")).to_contain_text("no se contó de nuevo")

    surveys = player_server.http.get(
        "/api/v1/family-surveys", params={"school_id": school["id"]}, headers=headers
    ).json()
    assert [s["answers"] for s in surveys] == [
        {
            "score": 9,
            "friendly": 4,
            "first_contact": "first_time",
            "channels": ["phone", "in_person"],
            "better": "Avisar antes de <b>cambios</b>.",
        }
    ]
    assert surveys[0]["language"] == "es"
