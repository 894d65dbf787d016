"""Database engines and sessions: SQLite (embedded default) and PostgreSQL, one code path.

SQLite runs through `api/sqlite_driver.py` (one trip to aiosqlite's thread per statement), in
WAL mode with foreign keys on, and every transaction starts with
`BEGIN IMMEDIATE`: writers queue on the busy timeout instead of failing when two
transactions both try to upgrade a read lock to a write lock.

The rule that follows for all code: never open a second session (directly, or through the
content catalog, which may reread the database) while holding one. On SQLite the second
would wait for the first's lock, which waits for the second: resolve content first.
"""

from typing import Any

import msgspec
from sqlalchemy import ClauseElement, event, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from api.sqlite_driver import PRAGMAS, OneTripDbapi

Sessions = async_sessionmaker[AsyncSession]


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for `url`, with SQLite's pragmas set on every new connection."""
    # JSON columns are read with msgspec, much faster than json.loads (a submit reads six).
    kwargs.setdefault("json_deserializer", msgspec.json.decode)
    if not url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "checkout", _drop_if_closed)
        return engine
    engine = create_async_engine(url, connect_args={"timeout": 30}, module=OneTripDbapi(), **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.connection.dbapi_connection.begin_immediate()

    return engine


def _drop_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Give out no pooled PostgreSQL connection that the server has closed, without a round trip.

    A server that restarts or ends a backend (`pg_terminate_backend`) tells its clients and
    closes their sockets; asyncpg's protocol reads that as soon as the event loop runs, so a
    closed connection is known here locally. `pool_pre_ping` would ask the server instead: three
    round trips (BEGIN, a ping, ROLLBACK) before every unit of work. Raising DisconnectionError
    makes the pool replace the connection (and every older one) with a fresh one.
    """
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("the server closed this connection")


def driver_sql(statement: ClauseElement, dialect: Dialect) -> tuple[str, list[Any]]:
    """A statement as the driver itself runs it (asyncpg's `$1`, SQLite's `?`), with its
    parameters in order and converted by their column types: for code that must bypass
    SQLAlchemy's connection (a streamed export, a batched write)."""
    compiled = statement.compile(dialect=dialect)
    given = compiled.construct_params() or {}
    params = []
    for name in compiled.positiontup or ():  # type: ignore[attr-defined]
        value = given[name]
        convert = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)  # type: ignore[attr-defined]
        params.append(convert(value) if convert is not None else value)
    return str(compiled), params


def create_sessions(engine: AsyncEngine) -> Sessions:
    """The session factory services open their units of work with."""
    return async_sessionmaker(engine, expire_on_commit=False)
