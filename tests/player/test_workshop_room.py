"""The live workshop's pages in Chromium: a participant joins by code on a phone (Spanish) and
lands in the player; the presenter's screen shows the code, the step's script and the room's
submits as they arrive, and moves the room; on a phone in Spanish, the facilitator's paper entry
fits the width and the personal packets come as a PDF; axe-core finds nothing serious on any."""

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.player.conftest import PHONE, PlayerServer
from tests.progress.answers import form_answers

MODULE = "who-are-our-customers"


def test_join_on_a_phone_and_run_the_room(
    own_server: PlayerServer, page: Page, new_page: Callable[..., Page], axe: Callable[[Page, str], None]
) -> None:
    server = own_server
    facilitator = server.token(facilitator=True, name="Fran Facilitator")
    opened = server.api(
        "POST", "/api/v1/workshops", facilitator, json={"modules": [MODULE], "title": "Lincoln"}
    )
    assert opened.status_code == 201, opened.text
    workshop: dict[str, Any] = opened.json()

    phone = new_page(viewport=PHONE, locale="es-ES")
    phone.goto(workshop["join_url"].replace("#", "#lang=es&"))
    expect(phone.get_by_role("heading", name="Unirse al taller")).to_be_visible()
    axe(phone, "join page (es, phone)")
    phone.get_by_label("Su nombre").fill("Ana Ruiz")
    phone.get_by_label("Su escuela o lugar de trabajo").fill("Lincoln")
    phone.get_by_role("button", name="Unirse al taller").click()
    phone.wait_for_url("**/player/**")

    page.goto(f"{server.url}/room/#token={facilitator}&workshop={workshop['id']}")
    expect(page.locator("#code")).to_have_text(workshop["code"])
    expect(page.locator("#step-no")).to_contain_text("1 /")
    expect(page.locator("#people")).to_contain_text("Ana Ruiz")
    axe(page, "presenter (en, desktop)")

    # Someone in the room submits the worksheet: the screen counts it at once (below the
    # form's minimum group it shows no one's list).
    forms = {
        f["id"]: f
        for f in server.api("GET", f"/api/v1/modules/{MODULE}/facilitator", facilitator).json()["forms"]
    }
    # (Ahead of the room's step: the facilitator lets the room work ahead first.)
    ahead = server.api(
        "PATCH", f"/api/v1/workshops/{workshop['id']}/state", facilitator, json={"allow_ahead": True}
    )
    assert ahead.status_code == 200, ahead.text
    joined = server.http.post(
        "/workshops/join", json={"code": workshop["code"], "name": "Bo Lee", "school": "Lincoln"}
    ).json()
    started = server.api(
        "POST", f"/api/v1/me/modules/{MODULE}/forms/customer-worksheet/attempts", joined["token"]
    )
    submitted = server.api(
        "POST",
        f"/api/v1/me/attempts/{started.json()['id']}/submit",
        joined["token"],
        json={"answers": form_answers(forms["customer-worksheet"])},
    )
    assert submitted.status_code == 200, submitted.text
    expect(page.locator("#chart")).to_contain_text("customer-worksheet: 1 submitted")

    page.get_by_role("button", name="Next step").click()
    expect(page.locator("#step-no")).to_contain_text("2 /")
    room = server.api("GET", f"/api/v1/workshops/{workshop['id']}/room", joined["token"]).json()
    assert room["step"] == 1

    # On a phone, in Spanish: someone listed ahead, the paper entry for Ana fits the width, and
    # the personal packets come as a PDF to open.
    small = new_page(viewport=PHONE, locale="es-ES")
    small.goto(f"{server.url}/room/#token={facilitator}&workshop={workshop['id']}&lang=es")
    small.get_by_label("Nombre", exact=True).fill("Rosa Díaz")
    small.get_by_label("Escuela o departamento").fill("Lincoln")
    small.get_by_role("button", name="Agregar a la lista").click()
    expect(small.locator("#status")).to_have_text("Rosa Díaz está en la lista.")
    expect(small.locator("#people")).to_contain_text("Rosa Díaz (Lincoln)")
    small.get_by_role("button", name="Registrar respuestas en papel: Ana Ruiz").click()
    expect(small.get_by_role("heading", name="Respuestas en papel: Ana Ruiz")).to_be_focused()
    expect(small.get_by_role("button", name="Guardar las respuestas")).to_be_visible()
    assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe(small, "presenter entering paper answers (es, phone)")
    with small.expect_response(lambda r: "/packets.pdf?lang=es" in r.url) as printed:
        small.get_by_role("button", name="Imprimir cuadernillos personales").click()
    assert printed.value.status == 200
    assert printed.value.headers["content-type"] == "application/pdf"
    packets = small.get_by_role("link", name="Abrir los cuadernillos personales (PDF)")
    expect(packets).to_be_focused()
    expect(packets).to_have_attribute("href", re.compile("^blob:"))
