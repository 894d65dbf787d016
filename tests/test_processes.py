"""Several processes on one PostgreSQL database, as a deployment runs them: two `frontoffice serve`
(one of them two processes, `--workers 2`) and two `frontoffice worker`. Completions made through
either API reach a webhook exactly once, a key revoked through one API stops working on the
other within the 5 seconds the README promises, and the metrics count across processes.

Every wait is on something happening (a port answering, a request arriving, a row's state), each
bounded generously, so only something really wrong reaches a bound; a process that dies ends the
wait at once, with its log in the failure message."""

import asyncio
import collections
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from standardwebhooks.webhooks import Webhook

from api.cli import main
from api.identity.auth import KEY_CACHE_SECONDS
from tests.conftest import Tenant, fresh_postgres_database
from tests.ops.metrics_text import Scrape
from tests.progress.answers import form_answers
from tests.progress.test_progress_api import MODULE, facilitator_forms, learner_headers
from tests.webhooks.receiver import Receiver

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

ROOT = Path(__file__).parent.parent
CLI = [sys.executable, "-m", "api.cli"]
SECRET_KEY = "processes-test-secret-key-shared-by-every-process"
FORMS = ("customer-worksheet", "knowledge-check", "reflection")
LEARNERS = 6
# Bounds, not expectations: a process starts in seconds and a delivery takes well under one,
# but a loaded machine may be many times slower than an idle one.
START_SECONDS = 90
DELIVER_SECONDS = 60
STOP_SECONDS = 10


def free_ports(count: int) -> list[int]:
    """Ports free now, all different (each held until all are chosen)."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


@pytest.fixture
def database() -> Iterator[str]:
    """A PostgreSQL database of this test's own (the processes migrate it), dropped after."""
    with fresh_postgres_database("frontoffice_processes") as url:
        yield url


@dataclass
class Process:
    """A `frontoffice` command running in a process group of its own, its output in files."""

    name: str
    process: "subprocess.Popen[bytes]"
    log: Path

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace").splitlines()[-lines:]
        return f"--- {self.name} (exit {self.process.poll()}):\n" + "\n".join(text)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_SECONDS)


class Fleet:
    """The processes of the test; any failure message carries the end of each one's log."""

    def __init__(self, tmp_path: Path, database: str) -> None:
        self.tmp_path = tmp_path
        self.database = database
        self.processes: list[Process] = []

    def environment(self, **settings: str) -> dict[str, str]:
        """This process's environment without its FRONTOFFICE_* variables, plus the shared settings."""
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("FRONTOFFICE_")},
            "PYTHONUNBUFFERED": "1",
            "FRONTOFFICE_DATABASE_URL": self.database,
            "FRONTOFFICE_SECRET_KEY": SECRET_KEY,
            "FRONTOFFICE_OUTBOUND_ALLOWLIST": "127.0.0.1",
            "FRONTOFFICE_WEBHOOK_ALLOW_HTTP": "true",
            "FRONTOFFICE_LOG_LEVEL": "WARNING",
            **settings,
        }

    def start(self, name: str, *args: str, **settings: str) -> Process:
        log = self.tmp_path / f"{name}.log"
        with log.open("wb") as output:  # the child keeps its own handle
            process = subprocess.Popen(
                [*CLI, *args],
                cwd=ROOT,
                env=self.environment(**settings),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped whole
            )
        started = Process(name, process, log)
        self.processes.append(started)
        return started

    def serve(self, name: str, port: int, **settings: str) -> str:
        """`frontoffice serve` on `port`, no dispatcher of its own; returns its base URL."""
        self.start(name, "serve", FRONTOFFICE_PORT=str(port), FRONTOFFICE_DISPATCH_IN_APP="false", **settings)
        return f"http://127.0.0.1:{port}"

    def logs(self) -> str:
        return "\n".join(p.tail() for p in self.processes)

    def check_alive(self) -> None:
        dead = [p.name for p in self.processes if p.process.poll() is not None]
        if dead:
            pytest.fail(f"{', '.join(dead)} stopped\n{self.logs()}")

    async def wait_for(self, what: str, done: Callable[[], Awaitable[bool]], within: float) -> None:
        """Until `done()` holds; fails at once if a process dies, or after `within` seconds."""
        deadline = time.monotonic() + within
        while not await done():
            self.check_alive()
            if time.monotonic() > deadline:
                pytest.fail(f"{what}: not within {within} s\n{self.logs()}")
            await asyncio.sleep(0.1)

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


async def ready(http: httpx.AsyncClient) -> bool:
    try:
        return (await http.get("/readyz")).status_code == 200
    except httpx.TransportError:
        return False


def cli(database: str, *args: str) -> str:
    """A `frontoffice` command, run as the CLI runs it (in this process: no second start-up)."""
    result = CliRunner().invoke(main, list(args), env={"FRONTOFFICE_DATABASE_URL": database})
    assert result.exit_code == 0, f"frontoffice {' '.join(args)}: {result.output}"
    return result.output.strip()


async def complete(
    start_on: httpx.AsyncClient,
    submit_on: httpx.AsyncClient,
    tenant: Tenant,
    learner: str,
    forms: dict[str, Any],
) -> str:
    """A learner completes the module: the token and each attempt from one API process, each
    submit to the other. Returns the completion's id."""
    headers = await learner_headers(start_on, tenant, learner)  # type: ignore[arg-type]
    result: dict[str, Any] = {}
    for form_id in FORMS:
        form = forms[form_id]
        started = await start_on.post(
            f"/api/v1/me/modules/{MODULE}/forms/{form_id}/attempts", headers=headers
        )
        assert started.status_code in (200, 201), started.text
        submitted = await submit_on.post(
            f"/api/v1/me/attempts/{started.json()['id']}/submit",
            json={"answers": form_answers(form)},
            headers=headers,
        )
        assert submitted.status_code == 200, submitted.text
        result = submitted.json()
    assert result["completion"] is not None, result
    return str(result["completion"]["id"])


@pytest.fixture
async def fleet(tmp_path: Path, database: str) -> AsyncIterator[Fleet]:
    running = Fleet(tmp_path, database)
    try:
        yield running
    finally:
        running.stop()


async def test_two_apis_and_two_workers_on_one_database(fleet: Fleet, database: str) -> None:
    # The APIs first (one migrates and publishes the course), the workers once the tables exist;
    # the workers start while the test works, and the events wait for them in the outbox.
    port_a, port_b, *metrics_ports = free_ports(4)
    url_a = fleet.serve("serve-a", port_a, FRONTOFFICE_MIGRATE_ON_START="true")
    # B is two processes on one port (`--workers 2`), its metrics counted as one.
    url_b = fleet.serve(
        "serve-b",
        port_b,
        FRONTOFFICE_MIGRATE_ON_START="false",
        FRONTOFFICE_PUBLISH_ON_START="false",
        FRONTOFFICE_WORKERS="2",
    )
    async with AsyncExitStack() as stack:
        receiver = stack.enter_context(Receiver().running())
        a = await stack.enter_async_context(httpx.AsyncClient(base_url=url_a, timeout=30, trust_env=False))
        b = await stack.enter_async_context(httpx.AsyncClient(base_url=url_b, timeout=30, trust_env=False))
        await fleet.wait_for("serve-a ready", lambda: ready(a), START_SECONDS)
        await fleet.wait_for("serve-b ready", lambda: ready(b), START_SECONDS)
        for n, metrics_port in enumerate(metrics_ports, 1):
            fleet.start(f"worker-{n}", "worker", FRONTOFFICE_WORKER_METRICS_PORT=str(metrics_port))

        created = await asyncio.to_thread(
            cli, database, "districts", "create", "lincoln", "--name", "Lincoln USD"
        )
        district_id = uuid.UUID(created.rsplit("(", 1)[1].rstrip(")"))
        scopes = ("admin", "progress:write", "content:facilitate")
        key = await asyncio.to_thread(
            cli, database, "keys", "create", "--district", "lincoln", *(f"--scope={s}" for s in scopes)
        )
        tenant = Tenant(id=district_id, slug="lincoln", key=key)
        # At once: the revocation's wait is mostly the key cache's 5 seconds running out.
        async with asyncio.TaskGroup() as both:
            both.create_task(completions_are_delivered_once(fleet, a, b, tenant, receiver))
            both.create_task(revoked_on_one_is_refused_by_the_other(a, b, tenant))
        await counted_across_processes(fleet, a, b, metrics_ports)
        fleet.check_alive()


async def counted_across_processes(
    fleet: Fleet, a: httpx.AsyncClient, b: httpx.AsyncClient, worker_ports: list[int]
) -> None:
    """Each API reports the completions submitted to it, B's two processes as one whichever
    answers the scrape; the workers' metrics ports count every delivery between them."""

    async def scraped(http: httpx.AsyncClient, url: str) -> Scrape:
        response = await http.get(url)
        assert response.status_code == 200, response.text
        return Scrape(response.text)

    completions = "frontoffice_completions_recorded_total"
    per_api = LEARNERS // 2  # learner n submits to B when n is even, to A when odd
    on_a = await scraped(a, "/metrics")
    assert on_a.value(completions, module=MODULE) == per_api
    assert "process_resident_memory_bytes" in on_a.families  # one process: its own are the API's
    for _ in range(6):  # new connections: the kernel hands them to either process of B
        async with httpx.AsyncClient(base_url=str(b.base_url), timeout=30, trust_env=False) as fresh:
            on_b = await scraped(fresh, "/metrics")
        assert on_b.value(completions, module=MODULE) == per_api
        assert "process_resident_memory_bytes" not in on_b.families  # multiprocess mode

    async def succeeded() -> float:
        total = 0.0
        async with httpx.AsyncClient(timeout=30, trust_env=False) as http:
            for port in worker_ports:
                figures = await scraped(http, f"http://127.0.0.1:{port}/metrics")
                total += figures.get(
                    "frontoffice_delivery_attempts_total", plugin="webhooks", outcome="succeeded"
                )
        return total

    # Counted just after the attempts are recorded: wait for the last count, never more.
    async def all_counted() -> bool:
        return await succeeded() >= LEARNERS

    await fleet.wait_for("every delivery counted by the workers", all_counted, DELIVER_SECONDS)
    assert await succeeded() == LEARNERS


async def completions_are_delivered_once(
    fleet: Fleet, a: httpx.AsyncClient, b: httpx.AsyncClient, tenant: Tenant, receiver: Receiver
) -> None:
    hook = await a.post(
        "/api/v1/webhooks/endpoints",
        json={"url": receiver.url, "event_types": ["completion.recorded"]},
        headers=tenant.headers,
    )
    assert hook.status_code == 201, hook.text
    verifier = Webhook(hook.json()["secret"])
    deliveries = f"/api/v1/webhooks/endpoints/{hook.json()['endpoint']['id']}/deliveries?status=succeeded"

    # Completions through both APIs at once: learner n starts on one, submits on the other.
    forms = await facilitator_forms(b, tenant)  # type: ignore[arg-type]
    apis = (a, b)
    completions = await asyncio.gather(
        *(complete(apis[n % 2], apis[(n + 1) % 2], tenant, f"learner-{n}", forms) for n in range(LEARNERS))
    )

    # Each delivered, and recorded as delivered, once: by whichever worker claimed it.
    async def all_delivered() -> bool:
        response = await a.get(deliveries, headers=tenant.headers)
        return response.status_code == 200 and len(response.json()) >= LEARNERS

    await fleet.wait_for("every completion delivered", all_delivered, DELIVER_SECONDS)
    received = list(receiver.received)
    events = [verifier.verify(r.body, r.headers) for r in received]  # each signed, as sent
    assert all(e["type"] == "completion.recorded" for e in events)
    per_event = collections.Counter(r.headers["webhook-id"] for r in received)
    assert [n for n in per_event.values() if n > 1] == [], per_event  # none twice
    assert all(e["id"] == r.headers["webhook-id"] for e, r in zip(events, received, strict=True))
    assert sorted(e["data"]["completion_id"] for e in events) == sorted(completions)


async def revoked_on_one_is_refused_by_the_other(
    a: httpx.AsyncClient, b: httpx.AsyncClient, tenant: Tenant
) -> None:
    assert KEY_CACHE_SECONDS == 5.0  # what the README promises
    made = await a.post("/api/v1/keys", json={"name": "leaving", "scopes": ["admin"]}, headers=tenant.headers)
    assert made.status_code == 201, made.text
    doomed = {"Authorization": f"Bearer {made.json()['key']}"}
    assert (await b.get("/api/v1/district", headers=doomed)).status_code == 200  # B remembers it now
    revoked = await a.delete(f"/api/v1/keys/{made.json()['api_key']['id']}", headers=tenant.headers)
    assert revoked.status_code == 200, revoked.text
    at = time.monotonic()
    assert (await a.get("/api/v1/district", headers=doomed)).status_code == 401  # at once where revoked
    # On B within the cache's time. Judged by when each request was sent, not answered: B can
    # have checked the key no later than the moment it answered (before the revocation), so any
    # request sent after that time plus the TTL reaches B after the key fell out of its cache.
    bound = KEY_CACHE_SECONDS + 1.0
    while True:
        sent = time.monotonic() - at
        status = (await b.get("/api/v1/district", headers=doomed)).status_code
        if status == 401:
            break
        assert status == 200, status
        assert sent <= bound, f"B still took the revoked key {sent:.1f} s after it was revoked"
        await asyncio.sleep(0.1)
