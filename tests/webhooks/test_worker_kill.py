"""A worker process killed with SIGKILL in the middle of deliveries loses nothing: its leases
run out and another worker delivers what it held."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.db import Sessions
from api.models import Delivery
from api.settings import Settings
from tests.conftest import Tenant
from tests.webhooks.conftest import SECRET_KEY
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import add_endpoint, completion_events

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).parent.parent.parent


def start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FRONTOFFICE_DATABASE_URL": settings.database_url,
        "FRONTOFFICE_SECRET_KEY": SECRET_KEY,
        "FRONTOFFICE_OUTBOUND_ALLOWLIST": "127.0.0.1",
        "FRONTOFFICE_DELIVERY_LEASE_SECONDS": "2",
        "FRONTOFFICE_LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as output:  # the child keeps its own handle
        return subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker"], env=env, cwd=ROOT, stdout=output, stderr=output
        )


async def status_counts(sessions: Sessions) -> dict[str, int]:
    async with sessions() as session:
        rows = (await session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))).all()
    return {status: count for status, count in rows}


async def test_sigkill_mid_delivery_loses_nothing(
    hook_client: AsyncTestClient[Litestar],
    sessions: Sessions,
    district_a: Tenant,
    hook_settings: Settings,
    tmp_path: Path,
) -> None:
    with Receiver().running() as receiver:
        await add_endpoint(hook_client, district_a, receiver.url)
        event_ids = await completion_events(sessions, district_a, 40)
        log = tmp_path / "workers.log"
        # Unanswered until the worker is dead: it dies holding leased deliveries, whatever the
        # machine's speed (its first request arrives after it leased them).
        with receiver.holding():
            first = start_worker(hook_settings, log)
            try:
                deadline = time.monotonic() + 60
                while not await asyncio.to_thread(receiver.wait_for_arrivals, 1, 0.5):
                    assert first.poll() is None and time.monotonic() < deadline, log.read_text()
            finally:
                first.send_signal(signal.SIGKILL)
                first.wait()
        # Claims left behind by the dead worker.
        assert (await status_counts(sessions)).get("leased", 0) > 0, log.read_text()
        second = start_worker(hook_settings, log)
        try:
            deadline = time.monotonic() + 60
            while (await status_counts(sessions)).get("succeeded", 0) < len(event_ids):
                assert time.monotonic() < deadline, await status_counts(sessions)
                await asyncio.sleep(0.2)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(10)
        assert set(receiver.event_ids()) == set(event_ids)
