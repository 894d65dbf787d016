"""Following a workshop's feed: one reader per workshop in each process, woken when the feed
grows, whose rows every presenter stream of that workshop in the process shares.

One reader, not one per stream: a room of 300 screens woken by one submit made 300 reads of the
same rows at once, which queued on the connection pool for seconds and cut streams off.

PostgreSQL: a trigger on `workshop_feed` (migration 0018) sends `NOTIFY frontoffice_workshop_feed`
with the workshop's id; NOTIFY is delivered when the writing transaction commits, to every
process listening, so an answer submitted through any API process wakes the readers of every
other. Each process holds one dedicated asyncpg connection that LISTENs (opened with the first
stream, not per stream). A reader also rereads the feed every few seconds: a row whose
transaction began before an older one still running is served only after that one ends (see
`api/completions/changes.py`), and a lost listening connection must not stall a room.

SQLite: one process, no NOTIFY; state changes made through this process wake its reader at
once, and the reader rereads the feed twice a second for submits (an index range read of a few
rows on an embedded database, cheaper than any cross-process signal SQLite does not have).
"""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any, Generic, Literal, Protocol, TypeVar

import asyncpg
from sqlalchemy.engine import make_url

from api.settings import Settings
from api.workshops.room import Position

log = logging.getLogger("frontoffice.workshops")

CHANNEL = "frontoffice_workshop_feed"
POSTGRES_REREAD = 3.0
View = Literal["screen", "moves"]
"""The presenter's screen (every row, as the screen shows it) or the participants' view (the
room's moves alone): a reader each, as they read different rows."""
VIEWS: tuple[View, ...] = ("screen", "moves")
SQLITE_REREAD = 0.5


class Positioned(Protocol):
    """What a feed row must have for a reader to page after it."""

    @property
    def position(self) -> Position: ...


Row = TypeVar("Row", bound=Positioned)
Read = Callable[[Position], Awaitable[Sequence[Row]]]


class Tail(Generic[Row]):
    """A workshop's feed as this process has read it, from the start, for its streams here.

    `rows` only grows; `grown` is set (and replaced) whenever it does, or when the reader fails
    (`error`: its streams end, and their screens reconnect with `Last-Event-ID`); `caught_up` is
    set once the reader has read to the feed's end (or failed)."""

    def __init__(self, read: Read[Row], reread: float) -> None:
        self.rows: list[Row] = []
        self.grown = asyncio.Event()
        self.woken = asyncio.Event()
        self.caught_up = asyncio.Event()
        self.error: Exception | None = None
        self.followers = 0
        self._read = read
        self._reread = reread
        self._task = asyncio.create_task(self._run())

    def _grow(self, rows: Sequence[Row]) -> None:
        self.rows.extend(rows)
        grown, self.grown = self.grown, asyncio.Event()
        grown.set()

    async def _run(self) -> None:
        position: Position = (0, 0)
        try:
            while True:
                rows = await self._read(position)
                if rows:
                    position = rows[-1].position
                    self._grow(rows)
                    continue  # a full page: there may be more
                self.caught_up.set()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self.woken.wait(), self._reread)
                # A wake during the read above has already been seen by the wait; one from now on
                # finds the next read started after its commit.
                self.woken.clear()
        except Exception as exc:
            log.error("a workshop feed reader stopped; its streams end (%s)", exc)
            self.error = exc
            self.caught_up.set()
            self._grow(())

    async def close(self) -> None:
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task


class Wakeups:
    """The streams waiting in this process, by workshop, and (on PostgreSQL) the listener."""

    def __init__(self, settings: Settings) -> None:
        url = make_url(settings.database_url)
        self.postgres = url.get_backend_name() == "postgresql"
        self.dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.reread = POSTGRES_REREAD if self.postgres else SQLITE_REREAD
        self.tails: dict[tuple[uuid.UUID, str], Tail[Any]] = {}
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
        for view in VIEWS:
            tail = self.tails.get((workshop_id, view))
            if tail is not None:
                tail.woken.set()

    @asynccontextmanager
    async def follow(self, workshop_id: uuid.UUID, view: View, read: Read[Row]) -> AsyncIterator[Tail[Row]]:
        """The workshop's tail for `view` in this process, read by `read` (from the feed's start)
        if no stream here follows it yet, while the caller streams."""
        await self._listen()
        key = (workshop_id, view)
        tail = self.tails.get(key)
        if tail is None or tail.error is not None:
            tail = self.tails[key] = Tail(read, self.reread)
        tail.followers += 1
        try:
            yield tail
        finally:
            tail.followers -= 1
            if tail.followers == 0:
                if self.tails.get(key) is tail:
                    del self.tails[key]
                await tail.close()
