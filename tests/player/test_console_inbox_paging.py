"""The concerns inbox in Chromium, by keyboard alone, with more concerns than one page: 50
listed, "Show more" brings the rest; a concern past its due time carries the "Past due" mark,
and "Only those past due" lists it alone. axe-core on each screen."""

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.console.idp import Provider
from tests.player.conftest import PlayerServer
from tests.player.console import ADMIN_ROLE, console_serving
from tests.player.flows import tab_to
from tests.player.test_console_inbox import HR, press, school, sign_in

SLUG = "console-inbox-paging"
CONCERNS = 51  # one more than a page


@pytest.fixture(scope="module")
def paging_server(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, idp: Provider
) -> Iterator[PlayerServer]:
    roles = [ADMIN_ROLE, {"role": "hr", "email": HR["email"]}]
    with console_serving(sqlite_template, tmp_path_factory, idp, SLUG, roles) as server:
        yield server


def overdue(database: Path, summary: str) -> None:
    """Move one concern's due time a year back: no route sets a due time, the business-hours
    clock does, and the test can't wait for it."""
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        (due,) = connection.execute("SELECT due_at FROM dialogues WHERE summary = ?", (summary,)).fetchone()
        year = int(due[:4])
        moved = connection.execute(
            "UPDATE dialogues SET due_at = ? WHERE summary = ?", (f"{year - 1}{due[4:]}", summary)
        )
        assert moved.rowcount == 1


def test_more_than_a_page_and_one_past_due(
    paging_server: PlayerServer, idp: Provider, page: Page, axe: Callable[[Page, str], None]
) -> None:
    lincoln = school(paging_server, "LIN", "Lincoln Elementary")
    for number in range(1, CONCERNS + 1):
        body = {"school_id": lincoln["id"], "reason": "other", "summary": f"Concern {number} of the day."}
        made = paging_server.http.post("/api/v1/dialogues", json=body, headers=paging_server.tenant.headers)
        assert made.status_code == 201, made.text
    overdue(paging_server.database, "Concern 1 of the day.")

    idp.person = HR
    sign_in(page, paging_server)
    items = page.locator("#inbox-list li")
    expect(items).to_have_count(50)
    expect(items.first).to_contain_text(f"Concern {CONCERNS} of the day.")  # newest first
    expect(page.locator("#inbox-list .badge.failing")).to_have_count(0)  # the oldest is not shown yet
    press(page, "#inbox-list button[data-key=more]")
    expect(items).to_have_count(CONCERNS)
    expect(page.locator("#inbox-list button[data-key=more]")).to_have_count(0)
    oldest = items.last
    expect(oldest).to_contain_text("Concern 1 of the day.")
    expect(oldest.locator(".badge.failing")).to_have_text("Past due")
    expect(page.locator("#inbox-list .badge.failing")).to_have_count(1)
    axe(page, "console, inbox, every page, one past due")

    press(page, "#inbox-past-due", "Space")
    press(page, "#inbox button[type=submit]")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Concern 1 of the day.")
    expect(items.first).to_contain_text("Past due")
    tab_to(page, "#inbox-list button[data-key^=open-]")
    page.keyboard.press("Enter")
    expect(page.locator("#inbox-panel")).to_contain_text("(Past due)")
    axe(page, "console, inbox, past due only")
