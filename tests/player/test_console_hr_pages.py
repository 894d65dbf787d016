"""The console's roster and completions pages in Chromium, by keyboard alone, signed in through a
real OpenID Connect provider on loopback: a roster CSV with a bad row checked (nothing written),
fixed and imported; an unmatched learner linked; completions filtered, charted and exported; a
principal limited to their school, in Spanish on a phone; axe-core on every screen."""

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.console.idp import Provider
from tests.player.conftest import PHONE, PlayerServer, registered_platform
from tests.player.console import ADMIN, ADMIN_ROLE, console_serving
from tests.player.flows import choose_file, complete_module, tab_to

SLUG = "console-hr-district"
MODULE = "who-are-our-customers"
PRINCIPAL = {"sub": "u-2", "name": "Pat Principal", "email": "pat@district-a.org", "email_verified": True}
HEADER = "employee_id,name,email,school_code,school_name,department,role_code,role_title,status\n"
ANA = "E1,Ana Ruiz,ana@district-a.org,LIN,Lincoln Elementary,Front office,SEC,Secretary,active\n"
BO = "E2,Bo Chen,bo@district-a.org,WAS,Washington Middle,Front office,REG,Registrar,active\n"
BAD = "E2,Bo Chen,bo-at-district-a.org,WAS,Washington Middle,Front office,REG,Registrar,active\n"


@pytest.fixture(scope="module")
def hr_server(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, idp: Provider
) -> Iterator[PlayerServer]:
    roles = [
        ADMIN_ROLE,
        {"role": "principal", "email": PRINCIPAL["email"], "school": "LIN"},
        {"role": "hr", "email": "hal@district-a.org"},
    ]
    with console_serving(sqlite_template, tmp_path_factory, idp, SLUG, roles) as server:
        # Two staff finish a module: Ana under her employee id, Uma under an id HR never had.
        for external_id, name, employee_id in (("ana", "Ana Ruiz", "E1"), ("uma", "Uma Ortiz", "X9")):
            learner = {"external_id": external_id, "name": name, "employee_id": employee_id}
            made = server.http.post(
                "/api/v1/learner-tokens", json={"learner": learner}, headers=server.tenant.headers
            )
            assert made.status_code == 201, made.text
            complete_module(server, made.json()["token"], MODULE)
        yield server


def sign_in(page: Page, server: PlayerServer) -> None:
    page.goto(f"{server.url}/console/{SLUG}/")
    tab_to(page, "a.button")
    page.keyboard.press("Enter")  # to the provider and back


def roster_count(server: PlayerServer) -> int:
    return len(server.http.get("/api/v1/roster", headers=server.tenant.headers).json()["items"])


def test_roster_upload_fix_link_and_completions_export(
    hr_server: PlayerServer,
    idp: Provider,
    page: Page,
    axe: Callable[[Page, str], None],
    tmp_path: Path,
) -> None:
    idp.person = ADMIN
    sign_in(page, hr_server)
    expect(page.get_by_role("heading", name="Roster")).to_be_visible()
    expect(page.get_by_text("No one on the roster yet. Upload")).to_be_visible()
    axe(page, "console, empty roster, completions")

    # A file with a bad row: every problem with its line, and nothing written.
    bad = tmp_path / "roster-bad.csv"
    bad.write_text(HEADER + ANA + BAD)
    choose_file(page, "#roster-file", bad)
    tab_to(page, "#roster button[type=submit]")
    page.keyboard.press("Enter")
    errors = page.locator("#roster-errors")
    expect(errors.get_by_role("row", name="3")).to_contain_text("not an email address")
    expect(page.locator("#roster-file-error")).to_contain_text("nothing was written")
    assert roster_count(hr_server) == 0
    axe(page, "console, a roster with a bad row")

    # Fixed: checked (still nothing written), then imported.
    good = tmp_path / "roster-good.csv"
    good.write_text(HEADER + ANA + BO)
    choose_file(page, "#roster-file", good)
    tab_to(page, "#roster button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("The file is good: 2 new and 0 updated")).to_be_visible()
    assert roster_count(hr_server) == 0
    expect(page.locator("#roster-import")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Imported: 2 new and 0 updated employees.")).to_be_visible()
    expect(page.locator("#roster-table").get_by_role("row", name="E2")).to_contain_text("Bo Chen")
    assert roster_count(hr_server) == 2

    # Search.
    tab_to(page, "#roster-q")
    page.keyboard.type("ruiz")
    page.keyboard.press("Enter")
    expect(page.locator("#roster-table tbody tr")).to_have_count(1)
    expect(page.locator("#roster-table")).to_contain_text("Ana Ruiz")

    # Uma matches no one: a wrong employee id is the API's problem beside the field; E2 links.
    unmatched = page.locator("#unmatched-table")
    expect(unmatched.locator("tbody tr")).to_have_count(1)  # Ana matches by employee id now
    expect(unmatched.get_by_role("row", name="Uma Ortiz")).to_be_visible()
    tab_to(page, "#unmatched-table input")
    page.keyboard.type("E99")
    page.keyboard.press("Enter")
    expect(unmatched.locator(".error")).to_contain_text("No employee 'E99'")
    tab_to(page, "#unmatched-table input")
    page.keyboard.press("Control+A")
    page.keyboard.type("E2")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Linked Uma Ortiz to employee E2 (Bo Chen).")).to_be_visible()
    expect(page.get_by_text("Every learner matches an employee")).to_be_visible()
    axe(page, "console, roster imported and a learner linked")

    # Completions: both, then Lincoln's only; the charts say each school's share in words.
    page.reload()
    table = page.locator("#completions-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    # All modules: each school's one employee has one of the course's modules.
    modules = len(hr_server.http.get("/api/v1/modules", headers=hr_server.tenant.headers).json())
    share = round(100 / modules)
    expect(page.locator("#chart-schools desc")).to_have_text(
        f"Lincoln Elementary: {share}% (1 of {modules}). Washington Middle: {share}% (1 of {modules})."
    )
    tab_to(page, "#filter-school")
    page.keyboard.type("LIN")
    tab_to(page, "#filter-module")
    page.keyboard.type("Who are our")
    expect(page.locator("#filter-module")).to_have_value(MODULE)
    tab_to(page, "#completions button[type=submit]")
    page.keyboard.press("Enter")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Ana Ruiz")
    expect(page.locator("#chart-schools desc")).to_have_text("Lincoln Elementary: 100% (1 of 1).")
    expect(page.locator("#chart-roles desc")).to_have_text("Secretary: 100% (1 of 1).")
    axe(page, "console, completions filtered, charts")

    tab_to(page, "#export-csv")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert [(r["employee_id"], r["school_code"], r["module_id"]) for r in rows] == [("E1", "LIN", MODULE)]
    assert download.value.suggested_filename.startswith("completions-")

    # A wrong date range: the API's problem beside the dates, the table left as it was.
    tab_to(page, "#filter-from")
    page.keyboard.type("12312030")
    tab_to(page, "#filter-to")
    page.keyboard.type("01012030")
    tab_to(page, "#completions button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#filter-dates-error")).to_contain_text("`from` is after `to`")
    expect(table.locator("tbody tr")).to_have_count(1)
    # A period with no completions: none listed, and the charts count only that period's.
    tab_to(page, "#filter-to")
    page.keyboard.type("12312031")
    tab_to(page, "#completions button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#completions")).to_contain_text("No completions match these filters")
    expect(page.locator("#chart-schools figcaption")).to_contain_text(
        "completed from 2030-12-31 and before 2031-12-31"
    )
    expect(page.locator("#chart-schools desc")).to_have_text("Lincoln Elementary: 0% (0 of 1).")
    expect(page.locator("#filter-dates-error")).to_have_text("")

    # Every read and the export are in the audit log under Ada's name.
    audit = hr_server.http.get("/api/v1/audit?limit=200", headers=hr_server.tenant.headers).json()
    named = {(e["action"], e["actor"]) for e in audit}
    who = "Ada Admin <ada@district-a.org>"
    for action in ("list", "summary", "export.csv", "roster.link"):
        assert (action, who) in named, (action, sorted(named))


def test_a_principal_sees_their_school_in_spanish_on_a_phone(
    hr_server: PlayerServer,
    idp: Provider,
    new_page: Callable[..., Page],
    axe: Callable[[Page, str], None],
) -> None:
    roster = HEADER + ANA + BO
    response = hr_server.http.put(
        "/api/v1/roster", content=roster, headers={**hr_server.tenant.headers, "Content-Type": "text/csv"}
    )
    assert response.status_code == 200 and response.json()["imported"], response.text
    idp.person = PRINCIPAL
    phone = new_page(viewport=PHONE, locale="es-ES")
    sign_in(phone, hr_server)
    expect(phone.get_by_role("heading", name="Cursos completados")).to_be_visible()
    expect(phone.locator("#filter-school")).to_have_value("LIN")
    expect(phone.get_by_text("Solo ve su escuela (LIN).")).to_be_visible()
    # No upload, no district-wide list of learners: a principal reads their school's roster.
    expect(phone.locator("#roster-file")).to_have_count(0)
    expect(phone.locator("#unmatched-table")).to_have_count(0)
    expect(phone.locator("#roster-table tbody tr")).to_have_count(1)
    expect(phone.locator("#completions-table tbody tr")).to_have_count(1)
    expect(phone.locator("#completions-table")).to_contain_text("Ana Ruiz")
    headers = phone.locator("#completions-table thead th")
    expect(headers).to_have_text(
        ["Completado", "Empleado", "Escuela", "Puesto", "Módulo", "Estado", "Puntuación"]
    )
    modules = len(hr_server.http.get("/api/v1/modules", headers=hr_server.tenant.headers).json())
    share = round(100 / modules)
    expect(phone.locator("#chart-schools desc")).to_have_text(
        f"Lincoln Elementary: {share} % (1 de {modules})."
    )
    expect(phone.locator(f"#filter-module option[value={MODULE}]")).to_have_text(
        "¿Quiénes son nuestros clientes?"
    )
    axe(phone, "console, principal, Spanish, phone")
    # From a date to come: the charts count that period only, and say so in Spanish.
    tab_to(phone, "#filter-from")
    phone.keyboard.type("01012030")
    tab_to(phone, "#completions button[type=submit]")
    phone.keyboard.press("Enter")
    expect(phone.locator("#chart-schools figcaption")).to_contain_text("completados desde el 2030-01-01")
    expect(phone.locator("#chart-schools desc")).to_have_text(f"Lincoln Elementary: 0 % (0 de {modules}).")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe(phone, "console, principal, Spanish, phone, a period")


def test_an_lms_administrator_reaches_the_console_from_the_lms(
    hr_server: PlayerServer, new_page: Callable[..., Page], axe: Callable[[Page, str], None]
) -> None:
    """A link with `view=console`, launched in the browser by an LMS administrator the district's
    rules name as HR: the console opens signed in as HR, with the roster and completions pages."""
    with registered_platform(hr_server, "https://lms.district-a.example") as platform:
        page = new_page()
        admin = ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"]
        start = platform.start_url(
            "lms-admin-1",
            roles=admin,
            custom={"view": "console"},
            name="Hal Payroll",
            email="hal@district-a.org",
        )
        page.goto(start)
        expect(page).to_have_url(f"{hr_server.url}/console/{SLUG}/")
        expect(page.get_by_text("Signed in as Hal Payroll (HR)")).to_be_visible()
        expect(page.get_by_role("heading", name="Completions")).to_be_visible()
        expect(page.locator("#roster-file")).to_have_count(0)  # HR reads the roster; admins upload
        expect(page.locator("#completions-table tbody tr").first).to_be_visible()
        axe(page, "console opened from the LMS, HR")
