"""SQLAlchemy's aiosqlite adapter, with one trip to aiosqlite's thread per statement, and a
writer for hot write transactions that needs no trip while the write lock is free.

aiosqlite runs each SQLite call in its own thread, and every call is a round trip through
a queue and back onto the event loop. SQLAlchemy's adapter makes three or four of them per
statement (make a cursor, execute, fetch the rows, close the cursor) and one more for the
rollback that resets every connection returned to the pool, though after a commit SQLite
has no transaction to roll back. Here a statement is one trip (the cursor made, run, read
and closed together in the thread), a transaction's `BEGIN IMMEDIATE` rides in its first
statement's trip, and a rollback with no transaction open makes none.

`OneTripStatement` and `LoopWriter` go further for a hot write that needs no answer from one
statement before sending the next: a whole transaction (BEGIN IMMEDIATE, its statements
compiled once by SQLAlchemy, COMMIT) run by sqlite3 at once, on the event loop's thread while
the write lock is free (see `LoopWriter`).

It reaches into aiosqlite's connection (`_execute`, `_conn`) as SQLAlchemy's own adapter does
(its `isolation_level` setter uses `_tx` and `_conn`); `tests/test_sqlite_driver.py` holds the
behaviour the rest of the code needs from it.
"""

import asyncio
import collections
import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    AsyncAdapt_aiosqlite_ss_cursor,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_Result = tuple[Any, int, int | None, list[Any]]
log = logging.getLogger("frontoffice.sqlite")

PRAGMAS = ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000", "synchronous=NORMAL")
"""Set on every SQLite connection (see api/db.py)."""


def _run(conn: sqlite3.Connection, begin: bool, operation: str, parameters: Any, many: bool) -> _Result:
    """In aiosqlite's thread: the transaction's BEGIN if it is pending, then the whole statement,
    its rows read and its cursor closed."""
    cursor = conn.cursor()
    try:
        if begin:
            cursor.execute("BEGIN IMMEDIATE")
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor: the statement's rows are all read in its one trip."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No aiosqlite cursor is made here: `_run` makes and closes a sqlite3 one per statement.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def _trip(self, operation: str, parameters: Any, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        try:
            begin = self._adapt_connection.take_begin()  # type: ignore[attr-defined]
            trip = connection._execute(_run, connection._conn, begin, operation, parameters, many)  # type: ignore[no-untyped-call]
            result: _Result = await_(trip)
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._description, self._rowcount, self._lastrowid, rows = result
        self._rows = collections.deque(rows)

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._trip(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> None:
        self._trip(operation, seq_of_parameters, many=True)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor was closed in the thread."""

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        """SQLite takes no input sizes."""


class StreamingCursor(AsyncAdapt_aiosqlite_ss_cursor):
    """SQLAlchemy's server-side cursor (`stream()`), starting the pending transaction first."""

    __slots__ = ()

    def execute(self, operation: Any, parameters: Any = None) -> None:
        if self._adapt_connection.take_begin():  # type: ignore[attr-defined]
            await_(self._cursor.execute("BEGIN IMMEDIATE"))
        super().execute(operation, parameters)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_begin_pending",)
    _cursor_cls = OneTripCursor  # type: ignore[assignment]
    _ss_cursor_cls = StreamingCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin_pending = False

    def begin_immediate(self) -> None:
        """Start a write transaction: its `BEGIN IMMEDIATE` goes in the first statement's trip."""
        self._begin_pending = True

    def take_begin(self) -> bool:
        pending, self._begin_pending = self._begin_pending, False
        return pending

    def commit(self) -> None:
        if not self.take_begin():  # a transaction that ran no statement never began
            super().commit()

    def rollback(self) -> None:
        if self.take_begin():
            return
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        # Reading sqlite3's autocommit flag takes no lock and no trip: nothing is running in the
        # thread now, since this connection's statements are awaited one at a time.
        raw = connection._connection
        if raw is not None and not raw.in_transaction:
            return
        super().rollback()


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The DB-API module an engine is given (`module=`): aiosqlite's, with the connections above."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


_Processor = Callable[[Any], Any] | None


class OneTripStatement:
    """A data-changing statement compiled once for SQLite (positional parameters), with its
    parameters' and RETURNING columns' type processing, to run inside aiosqlite's thread. It
    takes the values of its bound parameters by name; give it every one (no column defaults are
    filled in: write `INSERT ... SELECT` of bound parameters to leave the rest to the database)."""

    def __init__(self, statement: UpdateBase, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        names = compiled.positiontup or []
        self._binds: list[tuple[str, _Processor]] = [
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names
        ]
        self._results: list[_Processor] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.exported_columns
        ]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple([values[name] if p is None else p(values[name]) for name, p in self._binds])

    def rows(self, raw: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        results = self._results
        return [tuple([v if p is None else p(v) for v, p in zip(row, results, strict=True)]) for row in raw]


class OneTripStep(NamedTuple):
    """One statement of `write_in_one_trip`."""

    statement: OneTripStatement
    values: Mapping[str, Any]
    must_write: bool = False
    """Undo the whole transaction, and stop, if this statement writes no row."""


def _transaction(
    conn: sqlite3.Connection, steps: list[tuple[str, tuple[Any, ...], bool]]
) -> list[Any] | None:
    """In aiosqlite's thread: BEGIN IMMEDIATE, the statements, COMMIT; the rows of each, or None
    (and nothing written) if a statement that must write wrote nothing."""
    cursor = conn.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
        try:
            answers = []
            for sql, parameters, must_write in steps:
                cursor.execute(sql, parameters)
                answers.append(cursor.fetchall() if cursor.description else [])
                if must_write and cursor.rowcount < 1:
                    cursor.execute("ROLLBACK")
                    return None
            cursor.execute("COMMIT")
            return answers
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
    finally:
        cursor.close()


def _pragmas(conn: sqlite3.Connection, pragmas: Sequence[str]) -> None:
    """Run PRAGMAs, each read to its end: a statement left unfinished would keep COMMIT from
    running ("SQL statements in progress")."""
    for pragma in pragmas:
        conn.execute(f"PRAGMA {pragma}").fetchall()


class LoopWriter:
    """Hot write transactions (`write`: BEGIN IMMEDIATE, a few statements compiled once, COMMIT)
    run on the event loop's own thread whenever SQLite's write lock is free.

    A small transaction costs SQLite tens of microseconds; a trip to a thread and back costs
    more than that on each side (a queue, a wake-up, the GIL passed back and forth four times).
    So `write` runs it at once on a connection of its own that never waits for the lock (busy
    timeout 0). If another connection holds the lock, SQLite answers SQLITE_BUSY at once, the
    transaction has written nothing, and it runs again in aiosqlite's thread on a second
    connection that waits there for the lock (busy timeout 30 s), never on the loop.

    With synchronous=NORMAL a commit in WAL mode writes the log and never syncs: nothing on the
    loop waits for the disk, except a checkpoint, which copies the log into the database file and
    syncs it. So the loop's connection never checkpoints; every CHECKPOINT_EVERY writes, the
    thread's connection runs a PASSIVE one (it waits for no reader or writer)."""

    CHECKPOINT_EVERY = 200

    def __init__(self, database: str) -> None:
        self._database = database
        self._loop_connection: sqlite3.Connection | None = None
        self._thread_connection: aiosqlite.Connection | None = None
        self._opening = asyncio.Lock()
        self._writes = 0
        self._checkpoint: asyncio.Task[Any] | None = None
        self.waited = 0
        """Writes that found the lock taken and ran in the thread."""

    def _on_loop(self) -> sqlite3.Connection:
        if self._loop_connection is None:
            connection = sqlite3.connect(self._database, isolation_level=None)
            _pragmas(connection, (*PRAGMAS, "busy_timeout=0", "wal_autocheckpoint=0"))
            self._loop_connection = connection
        return self._loop_connection

    async def _in_thread(self) -> aiosqlite.Connection:
        async with self._opening:
            if self._thread_connection is None:
                connection = await aiosqlite.connect(self._database, timeout=30, isolation_level=None)
                await connection._execute(_pragmas, connection._conn, PRAGMAS)  # type: ignore[no-untyped-call]
                self._thread_connection = connection
            return self._thread_connection

    async def write(self, steps: Sequence[OneTripStep]) -> list[list[tuple[Any, ...]]] | None:
        """Run `steps` as one write transaction; each step's rows, or None if a `must_write` step
        wrote nothing (then nothing is written). Errors are SQLAlchemy's (IntegrityError, ...)."""
        sent = [(s.statement.sql, s.statement.parameters(s.values), s.must_write) for s in steps]
        try:
            try:
                answers = _transaction(self._on_loop(), sent)
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
                self.waited += 1  # rolled back, nothing written: wait for the lock in the thread
                connection = await self._in_thread()
                answers = await connection._execute(_transaction, connection._conn, sent)  # type: ignore[no-untyped-call]
        except sqlite3.Error as error:  # as SQLAlchemy raises it
            raise DBAPIError.instance(None, None, error, sqlite3.Error) from error
        self._writes += 1
        if self._writes % self.CHECKPOINT_EVERY == 0 and self._checkpoint is None:
            self._checkpoint = asyncio.create_task(self._checkpoint_log())
        if answers is None:
            return None
        return [step.statement.rows(rows) for step, rows in zip(steps, answers, strict=True)]

    async def _checkpoint_log(self) -> None:
        try:
            connection = await self._in_thread()
            await connection._execute(_pragmas, connection._conn, ("wal_checkpoint(PASSIVE)",))  # type: ignore[no-untyped-call]
        except sqlite3.Error as error:  # the log waits for the next one; no write is lost
            log.warning("SQLite checkpoint failed: %s", error)
        finally:
            self._checkpoint = None

    async def close(self) -> None:
        if self._checkpoint is not None:
            await self._checkpoint
        if self._loop_connection is not None:
            self._loop_connection.close()
            self._loop_connection = None
        if self._thread_connection is not None:
            await self._thread_connection.close()
            self._thread_connection = None
