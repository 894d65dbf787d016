"""Browser fixtures: the real server in a subprocess, Debian's Chromium through Playwright, a page,
screenshots and an axe-core scan. Other browser tests (the LTI launch) reuse them.

The server runs on SQLite only (a copy of the suite's migrated template, with the course
published), on a free loopback port. Without /usr/bin/chromium the browser tests are skipped
with a message, except under CI=true, where they fail (`make test` installs it).
"""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from api.db import create_engine, create_sessions
from tests.conftest import UNLIMITED, Tenant, make_tenant
from tests.console.idp import Provider
from tests.lti.platform import Platform

CHROMIUM = os.environ.get("FRONTOFFICE_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
ROOT = Path(__file__).parent.parent.parent
DESKTOP = {"width": 1280, "height": 900}
# Assertions wait up to 15 s (default 5 s): a busy CI machine must not fail a page that is
# only slow; a wrong page still fails, after the wait.
expect.set_options(timeout=15_000)
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PlayerServer:
    """The running service: its URL, a district with a key of every scope, and helpers."""

    def __init__(self, url: str, tenant: Tenant, database: Path) -> None:
        self.url = url
        self.tenant = tenant
        self.database = database
        """The server's SQLite file, for a test that must set what no route sets (a due time past)."""
        self.http = httpx.Client(base_url=url, timeout=10.0)

    def token(
        self,
        *,
        external_id: str = "",
        facilitator: bool = False,
        cohort: str = "",
        name: str = "Pat Staff",
        role: str = "secretary",
    ) -> str:
        """A token for a staff member (a new one unless `external_id` names one) or an instructor."""
        body = {
            "learner": {
                "external_id": external_id or f"staff-{uuid.uuid4().hex[:10]}",
                "name": name,
                "email": "pat@example.org",
                "school": "Lincoln Elementary",
                "role": role,
            },
            "cohort": cohort,
            "facilitator": facilitator,
        }
        response = self.http.post("/api/v1/learner-tokens", json=body, headers=self.tenant.headers)
        assert response.status_code == 201, response.text
        token: str = response.json()["token"]
        return token

    def api(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    def player_url(
        self, token: str, module: str = "", view: str = "learner", lang: str = "", dl: str = ""
    ) -> str:
        fragment = f"token={token}&module={module}&lang={lang}&view={view}"
        if dl:
            fragment += f"&dl={dl}"
        return f"{self.url}/player/#{fragment}"


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable, or a skip (a failure under CI=true) saying how to get it."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    message = (
        f"Chromium not found at {CHROMIUM}: the player's browser tests need Debian's chromium "
        "(`apt-get install chromium`, which `make test` does)."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def serving(database: Path, slug: str, **env: str) -> Iterator[PlayerServer]:
    """uvicorn serving the app on a free port against a copy of the migrated SQLite template,
    with a district of its own; `env` adds FRONTOFFICE_* settings."""

    url = f"sqlite+aiosqlite:///{database}"

    async def tenant() -> Tenant:
        engine = create_engine(url)
        try:
            return await make_tenant(create_sessions(engine), slug)
        finally:
            await engine.dispose()

    # In a thread of its own: a server may be started while Playwright's sync API holds this
    # thread's event loop (a session server first needed after a module's browser opened).
    with ThreadPoolExecutor(1) as thread:
        district = thread.submit(asyncio.run, tenant()).result()
    port = _free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FRONTOFFICE_")},
        "FRONTOFFICE_DATABASE_URL": url,
        "FRONTOFFICE_BASE_URL": f"http://127.0.0.1:{port}",
        "FRONTOFFICE_MIGRATE_ON_START": "false",
        "FRONTOFFICE_PUBLISH_ON_START": "false",
        "FRONTOFFICE_DISPATCH_IN_APP": "false",
        "FRONTOFFICE_LOG_LEVEL": "WARNING",
        "FRONTOFFICE_SECRET_KEY": "player-tests-secret-key-of-32-bytes-at-least",
        "FRONTOFFICE_RATE_LIMIT_PUBLIC": UNLIMITED,  # every screen loads the player's files
        **env,
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "api.app:app_from_env"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    log_path = database.parent / "server.log"
    log = log_path.open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    server = PlayerServer(f"http://127.0.0.1:{port}", district, database)
    try:
        deadline = time.monotonic() + 90  # generous: importing the app alone takes seconds under load
        while True:
            try:
                if server.http.get("/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"the server did not start: {log_path.read_text()}")
            time.sleep(0.1)
        yield server
    finally:
        server.http.close()
        process.terminate()
        process.wait(timeout=10)
        log.close()


@contextmanager
def registered_platform(server: PlayerServer, issuer: str) -> Iterator[Platform]:
    """A test LMS on loopback the server's district registered, holding the tool's public keys."""
    platform = Platform(issuer, "front-office", "deployment-1", server.url)
    with platform.running():
        response = server.http.post(
            "/api/v1/lti/registrations", json=platform.registration_body(), headers=server.tenant.headers
        )
        assert response.status_code == 201, response.text
        platform.use_tool_keys(server.http.get("/lti/jwks").json())
        yield platform


def database_copy(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    path = tmp_path_factory.mktemp(name) / "frontoffice.db"
    shutil.copy(sqlite_template, path)
    return path


@pytest.fixture(scope="session")
def player_server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlayerServer]:
    with serving(database_copy(sqlite_template, tmp_path_factory, "player"), "player-district") as server:
        yield server


@pytest.fixture(scope="module")
def own_server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlayerServer]:
    """A server and district for one test module alone, for a test that counts the district's
    answers to a form (the group's views count every answer in the district, and other modules'
    tests answer the same forms on the shared server)."""
    with serving(database_copy(sqlite_template, tmp_path_factory, "own"), "own-district") as server:
        yield server


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    """One browser per test module: Playwright's sync API holds an event loop running in this
    thread while it is open, which the suite's async tests in later modules cannot share."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


class PageErrors(list[str]):
    """Uncaught errors and console errors of a page; a test ends by finding none."""


def _new_page(browser: Browser, **options: Any) -> tuple[BrowserContext, Page, PageErrors]:
    context = browser.new_context(**options)
    page = context.new_page()
    errors = PageErrors()
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))

    def console(message: Any) -> None:
        # A 4xx the player handles (e.g. a certificate not there yet) is logged by the browser
        # itself as a failed resource; anything else written as an error is a bug.
        if message.type == "error" and "Failed to load resource" not in message.text:
            errors.append(f"console: {message.text}")

    page.on("console", console)
    # Generous: a busy CI machine must not fail a test that only waits for the page.
    page.set_default_timeout(15_000)
    return context, page, errors


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A desktop-sized page in English, in a context of its own (its own sessionStorage)."""
    context, page, errors = _new_page(browser, viewport=DESKTOP, locale="en-US")
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Pages with other options: `new_page(viewport=PHONE, locale="es-ES")`."""
    opened: list[tuple[BrowserContext, PageErrors]] = []

    def make(**options: Any) -> Page:
        options.setdefault("viewport", DESKTOP)
        options.setdefault("locale", "en-US")
        context, page, errors = _new_page(browser, **options)
        opened.append((context, errors))
        return page

    yield make
    for context, errors in opened:
        context.close()
        assert not errors, errors


@pytest.fixture(scope="session")
def shoot() -> Callable[[Page, str], Path]:
    """Save a full-page screenshot as tests/player/artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(scope="session")
def axe() -> Callable[[Page, str], None]:
    """Scan the page with axe-core (WCAG 2.1 A and AA rules and best practices); fail on any
    serious or critical violation, naming the rule and the elements."""
    engine = Axe()

    def scan(page: Page, screen: str) -> None:
        results = engine.run(page)
        violations = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
        described = [
            f"{v['id']} ({v['impact']}): {v['help']}: " + "; ".join(str(n["target"]) for n in v["nodes"][:5])
            for v in violations
        ]
        assert not described, f"axe on {screen}: " + " | ".join(described)

    return scan


@pytest.fixture(scope="module")
def idp() -> Iterator[Provider]:
    """The loopback OpenID provider a console test's district signs in through."""
    with Provider("console-client", "console-secret", "").running() as provider:
        yield provider
