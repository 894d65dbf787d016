"""The service's own pages beside the player: the landing page, in a real browser."""

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.player.conftest import PHONE, PlayerServer


def test_landing_page_is_accessible_on_a_phone_in_both_languages(
    player_server: PlayerServer, new_page: Callable[..., Page], axe: Callable[[Page, str], None]
) -> None:
    for locale, docs in (("en-US", "API documentation"), ("es-MX", "Documentación de la API")):
        page = new_page(viewport=PHONE, locale=locale)
        page.goto(player_server.url + "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Front Office")
        axe(page, f"landing page ({locale})")
        # Keyboard alone: the first Tab reaches the first link, Enter follows it.
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name=docs)).to_be_focused()
        page.keyboard.press("Enter")
        page.wait_for_url("**/docs")
