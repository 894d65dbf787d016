"""The impact dashboard in a real browser: on a phone-sized Chromium, in Spanish, a reader pastes
a key with impact:read and sees a school's score, its dialogue and its roster's coverage drawn
and tabled; axe-core finds nothing serious; a wrong key is said so, in the page."""

import secrets
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.player.conftest import DESKTOP, PHONE, PlayerServer


def test_the_dashboard_on_a_phone_in_spanish(
    player_server: PlayerServer,
    new_page: Callable[..., Page],
    axe: Callable[[Page, str], None],
    shoot: Callable[[Page, str], Path],
) -> None:
    http, headers = player_server.http, player_server.tenant.headers
    created = http.post(
        "/api/v1/feedback/schools", json={"code": "IMP", "name": "Escuela Impacto"}, headers=headers
    )
    assert created.status_code == 201, created.text
    school = created.json()
    for score in (9, 7):
        device = {"Cookie": f"fo_feedback_device={secrets.token_urlsafe(24)}"}
        body = {"score": score, "reason": "enrollment", "resolved": True}
        assert http.post(f"/feedback/{school['token']}/answers", json=body, headers=device).status_code == 201
    concern = {"school_id": school["id"], "reason": "transportation", "summary": "Autobús tarde."}
    assert http.post("/api/v1/dialogues", json=concern, headers=headers).status_code == 201
    key = player_server.tenant.key

    page = new_page(viewport=PHONE, locale="es-ES")
    page.goto(f"{player_server.url}/impact")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lo que cambió la capacitación")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    axe(page, "impact dashboard, before a key (es, phone)")

    page.get_by_label("Clave de API (con impact:read)").fill("fo_wrong_key")
    page.get_by_role("button", name="Mostrar cifras").click()
    expect(page.get_by_role("alert")).to_contain_text("No se pudieron cargar las cifras")

    page.get_by_label("Clave de API (con impact:read)").fill(key)
    page.get_by_role("button", name="Mostrar cifras").click()
    schools = page.get_by_role("region", name="Escuela por escuela, último periodo")
    row = schools.get_by_role("row").filter(has_text="Escuela Impacto")
    expect(row).to_contain_text("8")  # the mean of 9 and 7, this month
    page.get_by_label("Escuela", exact=True).select_option(label="Escuela Impacto")
    score_chart = page.get_by_role("img", name="Puntuación de la experiencia (media, 0–10)")
    expect(score_chart).to_be_visible()
    expect(page.locator("#score-chart desc")).to_contain_text("8")
    expect(page.get_by_role("img", name="Personal que completó cada módulo")).to_be_visible()
    expect(page.get_by_role("img", name="Puntuaciones dadas, todo el rango")).to_be_visible()
    page.locator("#age-chart summary").click()
    expect(page.locator("#age-chart table")).to_contain_text("1")  # one dialogue opened
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe(page, "impact dashboard with figures (es, phone)")
    shoot(page, "impact-dashboard-es-phone")

    wide = new_page(viewport=DESKTOP, locale="en-US")
    wide.goto(f"{player_server.url}/impact?lang=en")
    wide.get_by_label("API key (with impact:read)").fill(key)
    wide.get_by_role("button", name="Show figures").click()
    expect(wide.get_by_role("img", name="Experience score (mean, 0–10)")).to_be_visible()
    axe(wide, "impact dashboard with figures (en, desktop)")
    shoot(wide, "impact-dashboard-en-desktop")
