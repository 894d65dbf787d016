"""The console's LMS and webhooks pages in Chromium, by keyboard alone: register an LMS from a
file (its bad entry's problem shown beside the file field) and by dynamic registration (a real
platform on loopback registers through the copied URL), add a deployment; add a webhook
endpoint, watch its deliveries fail against a real receiver, replay one once the receiver
mends, read each attempt's status and response, rotate the secret. axe-core on each screen, in
English and Spanish, and on a phone."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.console.idp import Provider
from tests.lti.platform import Platform
from tests.player.conftest import PHONE, PlayerServer
from tests.player.console import ADMIN, ADMIN_ROLE, console_serving
from tests.player.flows import MODULE_2, choose_file, complete_module, tab_to
from tests.webhooks.receiver import Receiver

SLUG = "console-lms-district"
MOODLE = {
    "issuer": "https://moodle.district-a.org",
    "client_id": "moodle-client",
    "deployment_ids": ["1"],
    "auth_login_url": "https://moodle.district-a.org/mod/lti/auth.php",
    "auth_token_url": "https://moodle.district-a.org/mod/lti/token.php",
    "key_set_url": "https://moodle.district-a.org/mod/lti/certs.php",
}


@pytest.fixture(scope="module")
def console_server(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, idp: Provider
) -> Iterator[PlayerServer]:
    with console_serving(
        sqlite_template,
        tmp_path_factory,
        idp,
        SLUG,
        [ADMIN_ROLE],
        # The provider, the platform and the receiver are on loopback.
        FRONTOFFICE_WEBHOOK_ALLOW_HTTP="true",
        FRONTOFFICE_DISPATCH_IN_APP="true",  # deliveries go out while the page watches
    ) as server:
        yield server


def sign_in(page: Page, server: PlayerServer, heading: str = "District console") -> None:
    page.goto(f"{server.url}/console/{SLUG}/")
    tab_to(page, "a.button")
    page.keyboard.press("Enter")  # to the provider and back
    expect(page.get_by_role("heading", name=f"{heading}: {SLUG}")).to_be_visible()


def test_register_an_lms_by_file_and_by_dynamic_registration(
    console_server: PlayerServer,
    idp: Provider,
    page: Page,
    new_page: Callable[..., Page],
    axe: Callable[[Page, str], None],
    tmp_path: Path,
) -> None:
    idp.person = ADMIN
    sign_in(page, console_server)
    lms = page.locator("#lms")
    expect(lms.get_by_text("No LMS is registered yet")).to_be_visible()
    expect(page.locator("#tool-login_url")).to_have_text(f"{console_server.url}/lti/login")
    expect(page.locator("#tool-launch_url")).to_have_text(f"{console_server.url}/lti/launch")
    axe(page, "console, LMS page, nothing registered")

    # A file with a bad second entry: its problem beside the file field, the first one saved.
    bad = {**MOODLE, "issuer": "https://lms.bad.example", "key_set_url": "not a url"}
    registrations = tmp_path / "registrations.json"
    registrations.write_text(json.dumps({"registrations": [MOODLE, bad]}))
    choose_file(page, "#lti-file", registrations)
    tab_to(page, "form:has(#lti-file) button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#lti-file-error")).to_contain_text("Entry 2 (https://lms.bad.example)")
    expect(page.locator("#lti-file-error")).to_contain_text("key_set_url")
    moodle = page.locator("#lti-registrations tr", has_text=MOODLE["issuer"])
    expect(moodle).to_contain_text("moodle-client")
    expect(page.locator("#lti-registrations")).not_to_contain_text("lms.bad.example")

    # A deployment added by keyboard.
    tab_to(page, f"input[aria-label='New deployment ID for {MOODLE['issuer']}']")
    page.keyboard.type("district-7")
    page.keyboard.press("Enter")
    added = f"Remove deployment district-7 of {MOODLE['issuer']}"
    expect(moodle.get_by_role("button", name=added)).to_be_visible()
    axe(page, "console, LMS page, registered from a file")

    # By its fields: a bad URL is the API's problem beside that field.
    tab_to(page, "#lti-issuer")
    page.keyboard.type("https://schoology.schoology.com")
    for field, value in [
        ("client_id", "sch-1"),
        ("deployment_ids", "d-1, d-2"),
        ("auth_login_url", "https://lti-service.svc.schoology.com/lti-service/authorize-redirect"),
        ("auth_token_url", "https://lti-service.svc.schoology.com/lti-service/access-token"),
        ("key_set_url", "ftp://nowhere"),
    ]:
        tab_to(page, f"#lti-{field}")
        page.keyboard.type(value)
    page.keyboard.press("Enter")
    expect(page.locator("#lti-key_set_url-error")).not_to_be_empty()
    expect(page.locator("#lti-key_set_url")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("https://lti-service.svc.schoology.com/lti-service/.well-known/jwks")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Registered https://schoology.schoology.com.")).to_be_visible()
    schoology = page.locator("#lti-registrations tr", has_text="schoology.schoology.com")
    expect(schoology).to_contain_text("d-2")

    # Dynamic registration: the URL made here, opened by the LMS (a real platform on loopback).
    tab_to(page, "#make-registration-url")
    page.keyboard.press("Enter")
    url = page.locator("#registration-url").inner_text()
    assert url.startswith(f"{console_server.url}/lti/register/")
    expect(page.get_by_text("shown only now")).to_be_visible()
    axe(page, "console, LMS page, a registration URL to copy")
    platform = Platform("https://placeholder", "dyn-client", "dyn-deployment", console_server.url)
    with platform.running() as lms_:
        lms_.issuer = lms_.url  # the platform's issuer is the prefix of its configuration URL
        lms_.registration.set_iss(lms_.url)
        config = quote(f"{lms_.url}/.well-known/openid-configuration", safe="")
        # What the LMS's registration frame opens; its answer tells the LMS to close the frame.
        opened = console_server.http.get(f"{url}?openid_configuration={config}&registration_token=tok-1")
        assert opened.status_code == 200 and "org.imsglobal.lti.close" in opened.text, opened.text
        tab_to(page, "#lms > button.quiet")  # Refresh
        page.keyboard.press("Enter")
        registered = page.locator("#lti-registrations tr", has_text=lms_.url)
        expect(registered).to_contain_text("dyn-client")
        expect(registered).to_contain_text("dyn-deployment")
        (auth, sent) = lms_.registration_requests[0]
        assert auth == "Bearer tok-1" and sent["initiate_login_uri"] == f"{console_server.url}/lti/login"
    expect(page.get_by_text("No registration URL is waiting to be used.")).to_be_visible()

    # Removing a registration asks first.
    page.once("dialog", lambda dialog: dialog.accept())
    tab_to(page, "button[aria-label='Remove https://schoology.schoology.com']")
    page.keyboard.press("Enter")
    expect(page.locator("#lti-registrations")).not_to_contain_text("schoology.schoology.com")

    phone = new_page(viewport=PHONE, locale="es-ES")
    sign_in(phone, console_server, heading="Consola del distrito")
    expect(phone.get_by_role("heading", name="Registrar un LMS")).to_be_visible()
    expect(phone.locator("#lti-registrations")).to_contain_text("moodle-client")
    phone.get_by_text("Pasos en Moodle").click()
    expect(phone.get_by_text("Gestionar herramientas", exact=False)).to_be_visible()
    axe(phone, "console, LMS and webhooks pages, Spanish, phone")


def test_replay_a_failed_webhook_delivery(
    console_server: PlayerServer,
    idp: Provider,
    page: Page,
    axe: Callable[[Page, str], None],
) -> None:
    idp.person = ADMIN
    with Receiver().running() as receiver:
        receiver.status = 500
        sign_in(page, console_server)
        expect(page.locator("#webhooks").get_by_text("No endpoints yet")).to_be_visible()

        # An internal address is refused: the API's problem beside the URL field, nothing made.
        tab_to(page, "#endpoint-url")
        page.keyboard.type("http://10.0.0.8/hook")
        page.keyboard.press("Enter")
        expect(page.locator("#endpoint-url-error")).to_contain_text("cannot be used")
        expect(page.locator("#endpoint-url")).to_be_focused()
        expect(page.locator("#webhooks").get_by_text("No endpoints yet")).to_be_visible()

        page.keyboard.press("Control+A")
        page.keyboard.type(receiver.url)
        tab_to(page, "input[value='completion.recorded']")
        page.keyboard.press("Space")
        tab_to(page, "#endpoint-form button[type=submit]")
        page.keyboard.press("Enter")
        expect(page.locator("#endpoint-secret")).to_contain_text("whsec_")
        endpoint = page.locator("#webhook-endpoints tr", has_text=receiver.url)
        expect(endpoint).to_contain_text("completion.recorded")
        expect(endpoint).to_contain_text("active")

        tab_to(page, f"button[aria-label='Manage {receiver.url}']")
        page.keyboard.press("Enter")
        expect(page.locator("#endpoint-title")).to_be_focused()
        expect(page.get_by_text("No deliveries yet")).to_be_visible()
        # A staff member completes a module while the receiver answers 500: the log shows each
        # attempt (the retry 5 s later too), and the endpoint is failing.
        complete_module(console_server, console_server.token(), MODULE_2)
        tab_to(page, "button[data-key=refresh]")
        page.keyboard.press("Enter")
        completion = page.locator("#delivery-log tbody tr", has_text="completion.recorded")
        expect(completion).to_contain_text("500")
        expect(completion.locator("td").nth(2)).to_have_text("2", timeout=30_000)
        expect(completion).to_contain_text("waiting")
        expect(page.locator("#endpoint-state")).to_contain_text("failing since")
        expect(endpoint).to_contain_text("failing since")
        axe(page, "console, webhooks, a failing endpoint")

        # Mended, and the delivery replayed (its next retry is minutes away): delivered, and the
        # endpoint is active again.
        receiver.status = 200
        tab_to(page, "#delivery-log button[data-key^=replay-]")
        page.keyboard.press("Enter")
        delivered = page.locator("#delivery-log tbody tr.delivery-succeeded", has_text="completion.recorded")
        expect(delivered).to_be_visible()
        expect(completion.locator("td").nth(2)).to_have_text("3")
        assert [json.loads(r.body)["type"] for r in receiver.received] == ["completion.recorded"]
        expect(page.locator("#endpoint-state")).to_have_text("active")

        tab_to(page, "#delivery-log button[data-key^=attempts-]")
        page.keyboard.press("Enter")
        detail = page.locator("#delivery-detail")
        expect(detail).to_be_focused()
        expect(detail.locator("tbody tr")).to_have_count(3)
        expect(detail.locator("tbody tr").nth(0)).to_contain_text("500")
        expect(detail.locator("tbody tr").nth(0)).to_contain_text("nope, not now")
        expect(detail.locator("tbody tr").nth(2)).to_contain_text("thanks")

        # A test event, whatever the endpoint's event types.
        tab_to(page, "button[data-key=test]")
        page.keyboard.press("Enter")
        expect(page.locator("#delivery-log tbody tr.delivery-succeeded", has_text="ping")).to_be_visible()

        tab_to(page, "button[data-key=rotate]")
        page.keyboard.press("Enter")
        expect(page.locator("#rotated-secret")).to_contain_text("whsec_")
        assert page.locator("#rotated-secret").inner_text() != page.locator("#endpoint-secret").inner_text()

        # Recover since yesterday (the default): nothing failed is left to send.
        tab_to(page, "form:has(#recover-since) button")
        page.keyboard.press("Enter")
        expect(page.get_by_text("0 delivery(ies) will be sent again.")).to_be_visible()
        axe(page, "console, webhooks, a delivery replayed, its attempts")

        # The receiver says the endpoint is gone (410): disabled, with the reason; recovering
        # is refused (the API's problem beside it) until it is switched on again.
        receiver.status = 410
        complete_module(console_server, console_server.token(name="Sam Staff"), MODULE_2)
        tab_to(page, "button[data-key=refresh]")
        page.keyboard.press("Enter")
        expect(page.locator("#endpoint-state")).to_contain_text("disabled:")
        expect(endpoint).to_contain_text("disabled:")
        expect(page.get_by_text("Nothing is sent to this endpoint.")).to_be_visible()
        tab_to(page, "form:has(#recover-since) button")
        page.keyboard.press("Enter")
        expect(page.locator("#endpoint-error")).to_contain_text("Enable the endpoint first")
        axe(page, "console, webhooks, a disabled endpoint")
        tab_to(page, "button[data-key=enabled]")
        expect(page.locator("button[data-key=enabled]")).to_have_text("Switch on")
        page.keyboard.press("Enter")
        expect(page.locator("#endpoint-state")).to_have_text("active")
