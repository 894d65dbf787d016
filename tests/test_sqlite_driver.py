"""What the code needs from the SQLite driver (api/sqlite_driver.py): statements' rows and
counts, write transactions that begin at once (BEGIN IMMEDIATE), rollbacks that undo,
server-side streams inside their transaction, and whole write transactions in one trip."""

import asyncio
import contextlib
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Uuid, bindparam, text
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db import create_engine
from api.models import UTCDateTime
from api.sqlite_driver import LoopWriter, OneTripStatement, OneTripStep

pytestmark = pytest.mark.anyio


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/driver.db")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


async def test_rows_counts_and_returning(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        inserted = await connection.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert inserted.rowcount == 1 and inserted.lastrowid == 1
        many = await connection.execute(text("INSERT INTO t (name) VALUES (:n)"), [{"n": "b"}, {"n": "c"}])
        assert many.rowcount == 2
        returned = await connection.execute(text("INSERT INTO t (name) VALUES ('d') RETURNING id, name"))
        assert returned.all() == [(4, "d")]
        updated = await connection.execute(text("UPDATE t SET name = name || '!' WHERE id > 2"))
        assert updated.rowcount == 2
    async with engine.connect() as connection:
        result = await connection.execute(text("SELECT id, name FROM t ORDER BY id"))
        assert result.fetchone() == (1, "a")
        assert result.fetchmany(2) == [(2, "b"), (3, "c!")]
        assert result.fetchall() == [(4, "d!")]
        assert (await connection.execute(text("SELECT count(*) FROM t WHERE id > 9"))).scalar_one() == 0


async def test_a_failed_transaction_is_undone(engine: AsyncEngine) -> None:
    with pytest.raises(Exception, match="UNIQUE"):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t (name) VALUES ('x')"))
            await connection.execute(text("INSERT INTO t (name) VALUES ('x')"))
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
        # The pool's connection is clean: the next transaction starts and commits.
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO t (name) VALUES ('y')"))
    async with engine.begin():
        pass  # a transaction that runs nothing commits nothing, and fails nothing


async def test_read_then_write_transactions_queue_instead_of_failing(engine: AsyncEngine) -> None:
    """Each transaction takes the write lock at its start (BEGIN IMMEDIATE), so two that both
    read and then write wait for each other; deferred ones would fail with "database is locked"
    when the second tries to upgrade its read lock."""
    entered = asyncio.Event()

    async def read_then_write(name: str, hold: bool) -> None:
        async with engine.begin() as connection:
            count = (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one()
            if hold:
                entered.set()
                await asyncio.sleep(0.2)
            await connection.execute(text("INSERT INTO t (name) VALUES (:n)"), {"n": f"{name}{count}"})

    async def second() -> None:
        await entered.wait()
        await read_then_write("second", hold=False)

    await asyncio.gather(read_then_write("first", hold=True), second())
    async with engine.connect() as connection:
        names = (await connection.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert names == ["first0", "second1"]  # the second read after the first committed


async def test_a_stream_reads_inside_its_transaction(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO t (name) VALUES (:n)"), [{"n": str(i)} for i in range(50)])
    async with engine.begin() as connection:
        streamed = await connection.stream(text("SELECT name FROM t ORDER BY id"))
        names = [row[0] async for row in streamed]
        await connection.execute(text("DELETE FROM t"))
    assert names == [str(i) for i in range(50)]
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0


async def test_a_hot_write_transaction(engine: AsyncEngine) -> None:
    """Statements run together: their parameters and RETURNING columns typed as SQLAlchemy types
    them, all undone when a statement that must write writes nothing, or when one fails."""
    meta = MetaData()
    t = Table("t", meta, Column("id", Integer, primary_key=True), Column("name", String))
    marks = Table("marks", meta, Column("id", Uuid, primary_key=True), Column("at", UTCDateTime()))
    async with engine.begin() as connection:
        await connection.run_sync(meta.create_all, tables=[marks])
    name = OneTripStatement(insert(t).values(name=bindparam("name")).on_conflict_do_nothing(), engine.dialect)
    mark = insert(marks).values(id=bindparam("id"), at=bindparam("at")).returning(marks.c.id, marks.c.at)
    marked = OneTripStatement(mark, engine.dialect)
    at = datetime(2026, 12, 3, 23, 0, tzinfo=UTC)

    writer = LoopWriter(engine.url.database or "")

    async def run(name_: str, id_: uuid.UUID) -> list[list[tuple[object, ...]]] | None:
        steps = [
            OneTripStep(name, {"name": name_}, must_write=True),
            OneTripStep(marked, {"id": id_, "at": at}),
        ]
        return await writer.write(steps)

    first = uuid.uuid4()
    try:
        assert await run("a", first) == [[], [(first, at)]]
        assert await run("a", uuid.uuid4()) is None  # "a" exists: the name writes nothing, so no mark
        with pytest.raises(IntegrityError):
            await run("b", first)  # the mark's id is taken: the name "b" is undone too
        # Writes at once never interleave: each is a whole transaction.
        written = await asyncio.gather(*(run(f"n{i}", uuid.uuid4()) for i in range(20)))
        assert all(w is not None for w in written)
        assert writer.waited == 0  # nothing else held the lock: all ran on the loop
    finally:
        await writer.close()
    async with engine.connect() as connection:
        names = (await connection.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
        assert names == ["a", *(f"n{i}" for i in range(20))]
        assert (await connection.execute(text("SELECT count(*) FROM marks"))).scalar_one() == 21
    async with engine.begin() as connection:  # the writer left no lock behind
        await connection.execute(text("INSERT INTO t (name) VALUES ('c')"))


async def test_a_hot_write_waits_for_the_lock_in_the_thread_not_on_the_loop(engine: AsyncEngine) -> None:
    """While another connection holds SQLite's write lock, the writer's transaction waits for it
    in aiosqlite's thread (the event loop keeps running), then writes once the lock is free."""
    database = engine.url.database or ""
    t = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("name", String))
    named = OneTripStatement(insert(t).values(name=bindparam("name")), engine.dialect)
    writer = LoopWriter(database)
    writer.CHECKPOINT_EVERY = 1  # its thread's connection has checkpointed before it writes
    holder = await aiosqlite.connect(database, isolation_level=None)
    try:
        assert await writer.write([OneTripStep(named, {"name": "first"})]) == [[]]
        await holder.execute("BEGIN IMMEDIATE")
        await holder.execute("INSERT INTO t (name) VALUES ('holder')")
        waiting = asyncio.create_task(writer.write([OneTripStep(named, {"name": "waited"})]))
        ticks = 0
        for _ in range(20):  # the loop runs on while the write waits
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 20 and not waiting.done() and writer.waited == 1
        await holder.execute("COMMIT")
        assert await asyncio.wait_for(waiting, 10) == [[]]
        assert await writer.write([OneTripStep(named, {"name": "free"})]) == [[]]
        assert writer.waited == 1  # the lock was free again: that one ran on the loop
    finally:
        await holder.close()
        await writer.close()
    async with engine.connect() as connection:
        names = (await connection.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert names == ["first", "holder", "waited", "free"]


def _size(path: str) -> int:
    return Path(path).stat().st_size


def _checkpointed(path: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def test_the_loops_writes_reach_the_database_file_through_the_threads_checkpoints(
    engine: AsyncEngine,
) -> None:
    """The loop's connection never checkpoints (a checkpoint syncs the disk): its writes stay in
    the write-ahead log until the thread checkpoints it, every CHECKPOINT_EVERY writes."""
    database = engine.url.database or ""
    blobs = Table("blobs", MetaData(), Column("id", Integer, primary_key=True), Column("data", String))
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data TEXT)"))
    _checkpointed(database)  # the table into the file: the log starts empty
    blob = OneTripStatement(insert(blobs).values(data=bindparam("data")), engine.dialect)
    writer = LoopWriter(database)
    writer.CHECKPOINT_EVERY = 300
    size = _size(database)
    try:
        for _ in range(299):  # about 1,500 pages of log: past SQLite's own checkpoint at 1,000
            await writer.write([OneTripStep(blob, {"data": "x" * 20_000})])
        await asyncio.sleep(0.1)
        assert _size(database) == size  # none of it in the file yet
        await writer.write([OneTripStep(blob, {"data": "x" * 20_000})])
    finally:
        await writer.close()  # waits for the checkpoint the 300th write started
    assert _size(database) > size + 300 * 20_000


async def test_hot_writes_of_two_processes_and_the_pools_transactions_all_land(engine: AsyncEngine) -> None:
    """Two writers on one file (two processes' launches) and the pool's own transactions, which
    hold the lock across awaits, write at once: each write lands once, none is lost, and the
    writers wait for the lock in their threads when they meet it taken."""
    database = engine.url.database or ""
    t = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("name", String))
    named = OneTripStatement(insert(t).values(name=bindparam("name")), engine.dialect)
    writers = {"a": LoopWriter(database), "b": LoopWriter(database)}

    async def pool() -> None:
        for i in range(40):
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO t (name) VALUES (:n)"), {"n": f"pool{i}"})
                await asyncio.sleep(0.002)  # the lock held while the loop runs the writers

    async def hot(tag: str) -> None:
        for i in range(150):
            assert await writers[tag].write([OneTripStep(named, {"name": f"{tag}{i}"})]) == [[]]
            await asyncio.sleep(0)

    try:
        await asyncio.gather(pool(), hot("a"), hot("b"))
    finally:
        for writer in writers.values():
            await writer.close()
    async with engine.connect() as connection:
        names = set((await connection.execute(text("SELECT name FROM t"))).scalars())
    expected = {f"pool{i}" for i in range(40)} | {f"{tag}{i}" for tag in "ab" for i in range(150)}
    assert names == expected
    assert writers["a"].waited + writers["b"].waited > 0
