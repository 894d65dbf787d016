"""The console's keys page and audit log in Chromium: sign in through a real OpenID Connect
provider on loopback (tests/console/idp.py), create a key (shown once) and revoke it by
keyboard alone, read the audit log, sign out; axe-core on each screen, in English and Spanish,
and on a phone."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.console.idp import Provider
from tests.player.conftest import PHONE, PlayerServer
from tests.player.console import ADMIN, ADMIN_ROLE, console_serving
from tests.player.flows import tab_to

SLUG = "console-district"


@pytest.fixture(scope="module")
def console_server(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, idp: Provider
) -> Iterator[PlayerServer]:
    with console_serving(sqlite_template, tmp_path_factory, idp, SLUG, [ADMIN_ROLE]) as server:
        yield server


def test_keys_and_audit_log_by_keyboard(
    console_server: PlayerServer,
    idp: Provider,
    page: Page,
    new_page: Callable[..., Page],
    axe: Callable[[Page, str], None],
) -> None:
    idp.person = ADMIN
    page.goto(f"{console_server.url}/console/{SLUG}/")
    expect(page.get_by_text("You are not signed in")).to_be_visible()
    axe(page, "console, signed out")
    tab_to(page, "a.button")
    page.keyboard.press("Enter")  # to the provider and back

    expect(page.get_by_role("heading", name=f"District console: {SLUG}")).to_be_visible()
    expect(page.get_by_text("Signed in as Ada Admin (district administrator)")).to_be_visible()
    axe(page, "console, keys and audit log")

    # A key without scopes: the API's problem, beside the form.
    tab_to(page, "#key-name")
    page.keyboard.type("Payroll sync")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#key-error")).to_contain_text("scopes")

    tab_to(page, "input[value='hr:read']")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#new-key")).to_contain_text("fo_")
    expect(page.get_by_text("shown only once")).to_be_visible()
    row = page.get_by_role("row", name="Payroll sync")
    expect(row).to_contain_text("live")

    page.once("dialog", lambda dialog: dialog.accept())
    tab_to(page, "button[aria-label='Revoke: Payroll sync']")
    page.keyboard.press("Enter")
    expect(row).to_contain_text("revoked")
    expect(page.get_by_role("cell", name="Ada Admin <ada@district-a.org>").first).to_be_visible()
    expect(page.get_by_role("cell", name="console.sign_in")).to_be_visible()
    axe(page, "console, a key made and revoked, the audit log")

    phone = new_page(viewport=PHONE, locale="es-ES")
    phone.goto(f"{console_server.url}/console/{SLUG}/")
    expect(phone.get_by_text("No ha iniciado sesión")).to_be_visible()
    expect(phone.get_by_role("link", name="Iniciar sesión con su cuenta del distrito")).to_be_visible()
    axe(phone, "console, signed out, Spanish, phone")

    tab_to(page, "header button")
    page.keyboard.press("Enter")
    expect(page.get_by_text("You are not signed in")).to_be_visible()
