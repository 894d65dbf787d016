"""The page at `/verify/{code}` in headless Chromium, as a principal opens the address printed on a
certificate: valid, then voided, then an unknown code; English on a desktop, Spanish on a phone;
axe-core on each; nothing on it needs a pointer."""

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.player.conftest import PHONE, PlayerServer
from tests.player.flows import complete_module

Shoot = Callable[[Page, str], Path]
Scan = Callable[[Page, str], None]
MODULE_1 = "why-service-matters"


def test_verify_page_valid_voided_unknown(
    player_server: PlayerServer, new_page: Callable[..., Page], shoot: Shoot, axe: Scan
) -> None:
    token = player_server.token(name="Lucía Gómez")
    complete_module(player_server, token, MODULE_1)
    progress = player_server.api("GET", "/api/v1/me/progress", token).json()
    completion = next(p for p in progress if p["module_id"] == MODULE_1)["completion"]
    address = f"{player_server.url}/verify/{completion['certificate_code']}"

    page = new_page()
    page.goto(address)
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate verified")
    expect(page.get_by_text("✓ This certificate is valid.")).to_be_visible()
    expect(page.locator("dd").first).to_have_text("Lucía Gómez")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.keyboard.press("Tab")  # nothing to operate: focus never lands on a hidden control
    assert page.evaluate("document.activeElement === document.body || !!document.activeElement.offsetParent")
    shoot(page, "50-verify-valid")
    axe(page, "verify: valid")

    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True, locale="es-ES")
    phone.goto(address)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Certificado verificado")
    assert phone.evaluate("document.documentElement.lang") == "es"
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe(phone, "verify: valid, Spanish phone")

    voided = player_server.http.post(
        f"/api/v1/completions/{completion['id']}/void",
        json={"reason": "Entered for the wrong person"},
        headers=player_server.tenant.headers,
    )
    assert voided.status_code == 200, voided.text
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate voided")
    expect(page.get_by_text("This certificate is no longer valid")).to_be_visible()
    expect(page.get_by_text("Entered for the wrong person")).to_have_count(0)
    shoot(page, "51-verify-voided")
    axe(page, "verify: voided")
    phone.reload()
    expect(phone.get_by_text("Este certificado ya no es válido")).to_be_visible()
    shoot(phone, "52-verify-voided-es-phone")
    axe(phone, "verify: voided, Spanish phone")

    page.goto(f"{player_server.url}/verify/0000000000000000")
    expect(page.get_by_role("heading", level=1)).to_have_text("Unknown verification code")
    axe(page, "verify: unknown")
    phone.goto(f"{player_server.url}/verify/0000000000000000")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Código de verificación desconocido")
    axe(phone, "verify: unknown, Spanish phone")
