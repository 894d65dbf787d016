"""The dispatcher runs its sweeps as it starts and every minute after, and a failing sweep
stops neither delivery nor the other sweeps."""

import asyncio
from datetime import datetime

import pytest

from api.db import Sessions
from api.outbox.dispatcher import Dispatcher
from api.runtime import Runtime

pytestmark = pytest.mark.anyio


async def test_a_dispatcher_sweeps_as_it_starts_and_survives_a_failing_sweep(runtime: Runtime) -> None:
    swept: list[datetime] = []
    done = asyncio.Event()

    async def failing(sessions: Sessions, now: datetime) -> int:
        raise RuntimeError("a sweep that fails")

    async def counting(sessions: Sessions, now: datetime) -> int:
        swept.append(now)
        done.set()
        return 0

    stop = asyncio.Event()
    dispatcher = Dispatcher.configured(runtime.context(), runtime.plugins, (failing, counting))
    task = asyncio.create_task(dispatcher.run(stop))
    await asyncio.wait_for(done.wait(), 10)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert len(swept) == 1  # once at the start; the next is a minute later
