"""Waking a workshop's presenter streams when its feed grows.

PostgreSQL: a trigger on `workshop_feed` (migration 0018) sends `NOTIFY frontoffice_workshop_feed`
with the workshop's id; NOTIFY is delivered when the writing transaction commits, to every
process listening, so an answer submitted through any API process wakes the streams of every
other. Each process holds one dedicated asyncpg connection that LISTENs (opened with the first
stream, not per stream) and sets the waiting streams' events. A stream also rereads the feed
every few seconds: a row whose transaction began before an older one still running is served
only after that one ends (see `api/completions/changes.py`), and a lost listening connection
must not stall a room.

SQLite: one process, no NOTIFY; state changes made through this process wake its streams at
once, and streams reread the feed twice a second for submits (an index range read of a few rows
on an embedded database, cheaper than any cross-process signal SQLite does not have).
"""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from api.settings import Settings

log = logging.getLogger("frontoffice.workshops")

CHANNEL = "frontoffice_workshop_feed"
POSTGRES_REREAD = 3.0
SQLITE_REREAD = 0.5


class Wakeups:
    """The streams waiting in this process, by workshop, and (on PostgreSQL) the listener."""

    def __init__(self, settings: Settings) -> None:
        url = make_url(settings.database_url)
        self.postgres = url.get_backend_name() == "postgresql"
        self.dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.reread = POSTGRES_REREAD if self.postgres else SQLITE_REREAD
        self.waiting: dict[uuid.UUID, set[asyncio.Event]] = {}
        self._listener: asyncpg.Connection[Any] | None = None
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        # The lock belongs to the event loop of the lifespan: an app served again (each test's
        # client runs the app's lifespan on a loop of its own) must not reuse the last one's.
        self._lock = asyncio.Lock()
        try:
            yield
        finally:
            listener, self._listener = self._listener, None
            if listener is not None and not listener.is_closed():
                await listener.close()

    async def _listen(self) -> None:
        if not self.postgres or (self._listener is not None and not self._listener.is_closed()):
            return
        async with self._lock:
            if self._listener is not None and not self._listener.is_closed():
                return
            try:
                listener: asyncpg.Connection[Any] = await asyncpg.connect(self.dsn)
                await listener.add_listener(CHANNEL, self._notified)
            except (OSError, asyncpg.PostgresError) as exc:
                log.error("workshop streams fall back to rereading: LISTEN failed (%s)", exc)
                return
            self._listener = listener

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        with suppress(ValueError):
            self.wake(uuid.UUID(payload))

    def wake(self, workshop_id: uuid.UUID) -> None:
        for event in self.waiting.get(workshop_id, ()):
            event.set()

    @asynccontextmanager
    async def subscribe(self, workshop_id: uuid.UUID) -> AsyncIterator[asyncio.Event]:
        """An event set whenever the workshop's feed may have grown, while the caller streams."""
        await self._listen()
        event = asyncio.Event()
        self.waiting.setdefault(workshop_id, set()).add(event)
        try:
            yield event
        finally:
            waiting = self.waiting.get(workshop_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self.waiting[workshop_id]

    async def wait(self, event: asyncio.Event) -> None:
        """Until woken, or the reread interval passes."""
        with suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), self.reread)
        event.clear()
