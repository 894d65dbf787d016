"""The live workshop's pages in Chromium: a participant joins by code on a phone (Spanish) and
lands in the player; the presenter's screen shows the code, the step's script and the room's
submits as they arrive, and moves the room; axe-core finds nothing serious on either page."""

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
