"""A branching scenario in the player, in headless Chromium against the real server: module 1's
practice taken on an unsafe path (not passed) and again on the safe path (passed), in English
with the keyboard and in Spanish at phone width; one node at a time, each step's feedback in a
live region, axe-core clean."""

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.player.conftest import PHONE, PlayerServer
from tests.player.flows import go_to_step, item, wait_saved

Shoot = Callable[[Page, str], Path]
Scan = Callable[[Page, str], None]
MODULE_1 = "why-service-matters"


def choose(box: Locator, text: str, *, keyboard: bool = False) -> None:
    """Take the choice whose button starts with `text` (by Enter on it, with `keyboard`)."""
    button = box.locator(".scenario-choices").get_by_role("button", name=text)
    if keyboard:
        button.focus()
        button.press("Enter")
    else:
        button.click()


def ended(box: Locator, title: str) -> None:
    expect(box.locator(".scenario-ending h3")).to_contain_text(title)


def test_safe_and_unsafe_paths_in_english(
    player_server: PlayerServer, page: Page, shoot: Shoot, axe: Scan
) -> None:
    page.goto(player_server.player_url(player_server.token(), MODULE_1))
    go_to_step(page, "Practice: two situations")
    caller = item(page, "unverified-caller")
    expect(caller.locator(".scenario-node")).to_contain_text("Which stop does her bus drop her at")
    expect(caller.get_by_text("Your role: front office")).to_be_visible()
    # The page holds the start node only: the next node comes from the server once chosen.
    assert "Dev Patel" not in page.content()
    shoot(page, "30-scenario-start")
    axe(page, "scenario start")

    # Unsafe: the stop goes to a caller nobody checked.
    choose(caller, "Look up the stop and tell him")
    ended(caller, "How it ended: A stranger knows where Maya will be")
    expect(caller.locator("[aria-live=polite]")).to_contain_text("Knowing a name proves nothing.")
    expect(caller.locator(".scenario-log")).to_contain_text("You chose: Look up the stop and tell him.")
    # The bus driver's situation, safely, by keyboard alone: focus follows the story.
    bus = item(page, "bus-stop-pickup")
    expect(bus.get_by_text("Your role: bus driver")).to_be_visible()
    choose(bus, "Keep Leo on the bus", keyboard=True)
    expect(bus.locator(".scenario-node")).to_contain_text("Dispatch says the aunt is not on Leo's list")
    expect(bus.locator("[aria-live=polite]")).to_contain_text("Safety first, said kindly.")
    assert page.evaluate("document.activeElement.closest('.scenario-choices') !== null")
    page.keyboard.press("Enter")  # the first choice of the new node has the focus
    ended(bus, "Leo goes home with someone on his list")
    wait_saved(page)
    shoot(page, "31-scenario-unsafe-ending")
    axe(page, "scenario endings")

    page.get_by_role("button", name="Submit Practice: two situations").click()
    expect(page.locator(".score")).to_have_text("Your score: 50% · Not passed yet")
    expect(item(page, "unverified-caller").locator(".feedback")).to_contain_text(
        "A stranger knows where Maya"
    )
    shoot(page, "32-scenario-not-passed")
    axe(page, "scenario not passed")

    # Again, on the safe path: a different ending, and passed.
    page.get_by_role("button", name="Try again").click()
    caller = item(page, "unverified-caller")
    choose(caller, "Ask his name, put him on a short hold")
    expect(caller.locator(".scenario-node")).to_contain_text("Dev Patel")
    choose(caller, "Say:")
    ended(caller, "Maya is safe and her family is in the loop")
    bus = item(page, "bus-stop-pickup")
    choose(bus, "Keep Leo on the bus")
    choose(bus, "Tell her the school will call the family")
    ended(bus, "Leo goes home with someone on his list")
    wait_saved(page)
    page.get_by_role("button", name="Submit Practice: two situations").click()
    expect(page.locator(".score")).to_have_text("Your score: 100% · Passed")
    expect(item(page, "unverified-caller").locator(".feedback")).to_contain_text("Maya is safe")
    shoot(page, "33-scenario-passed")
    axe(page, "scenario passed")


def test_safe_and_unsafe_paths_in_spanish_on_a_phone(
    player_server: PlayerServer, new_page: Callable[..., Page], shoot: Shoot, axe: Scan
) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(player_server.player_url(player_server.token(), MODULE_1, lang="es"))
    expect(page.get_by_role("button", name="Comenzar")).to_be_visible()
    page.get_by_role("button", name="Paso 1 de 8: Pasos").click()
    page.get_by_role("navigation", name="Pasos").get_by_role(
        "button", name="Práctica: dos situaciones"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Práctica: dos situaciones")
    caller = item(page, "unverified-caller")
    expect(caller.get_by_text("Su función: oficina principal")).to_be_visible()
    choose(caller, "Preguntarle su nombre")
    expect(caller.locator("[aria-live=polite]")).to_contain_text("Buen primer paso")
    choose(caller, "No decir la parada")  # a hint is a release
    ended(caller, "Cómo terminó: Un desconocido sabe dónde estará Maya")
    bus = item(page, "bus-stop-pickup")
    expect(bus.get_by_text("Su función: chofer")).to_be_visible()
    choose(bus, "Dejar a Leo en el autobús")
    choose(bus, "Esperar en la parada")  # safe, but the route pays: half credit
    ended(bus, "Seguro, pero toda la ruta paga el precio")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    wait_saved_es(page)
    shoot(page, "34-scenario-spanish-phone")
    axe(page, "Spanish scenario on a phone")
    page.get_by_role("button", name="Enviar Práctica: dos situaciones").click()
    expect(page.locator(".score")).to_have_text("Su puntuación: 25% · Todavía no aprobado")

    page.get_by_role("button", name="Intentar de nuevo").click()
    caller = item(page, "unverified-caller")
    choose(caller, "Preguntarle su nombre")
    choose(caller, "Decir:")
    ended(caller, "Cómo terminó: Maya está segura y su familia está al tanto")
    bus = item(page, "bus-stop-pickup")
    choose(bus, "Dejar a Leo en el autobús")
    choose(bus, "Decirle que la escuela llamará a la familia")
    ended(bus, "Leo se va a casa con alguien de su lista")
    wait_saved_es(page)
    page.get_by_role("button", name="Enviar Práctica: dos situaciones").click()
    expect(page.locator(".score")).to_have_text("Su puntuación: 100% · Aprobado")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "35-scenario-spanish-passed")
    axe(page, "Spanish scenario passed")


def wait_saved_es(page: Page) -> None:
    expect(page.locator("#save-status")).to_have_text("Borrador guardado")


def test_a_reload_replays_the_path_taken(player_server: PlayerServer, page: Page) -> None:
    page.goto(player_server.player_url(player_server.token(), MODULE_1))
    go_to_step(page, "Practice: two situations")
    caller = item(page, "unverified-caller")
    choose(caller, "Say you can't confirm whether Maya attends")
    ended(caller, "Safe, but the family is left guessing")
    wait_saved(page)
    page.reload()
    caller = item(page, "unverified-caller")
    ended(caller, "Safe, but the family is left guessing")
    expect(caller.locator(".scenario-log")).to_contain_text("You chose: Say you can't confirm")
    # Starting again clears the saved path: the start node is back, and the answer is gone.
    caller.get_by_role("button", name="Start this situation again").click()
    expect(caller.locator(".scenario-node")).to_contain_text("Which stop does her bus drop her at")
    expect(caller.locator(".scenario-log li")).to_have_count(0)
