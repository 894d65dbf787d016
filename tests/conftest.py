"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, the app, a client, districts.

Every test that asks for `database_url` (directly or through `app`/`client`) runs twice, once
per backend. PostgreSQL is at FRONTOFFICE_TEST_POSTGRES_URL (default: 127.0.0.1:5432, user
postgres, database test); the suite makes a database of its own there and drops it at the end.
Under CI=true a PostgreSQL that cannot be reached fails the run instead of skipping.

Each worker has one database per backend at one URL (SQLite: one file, refreshed from the
migrated template before each test; PostgreSQL: one database, emptied after each test), so an
app built for the same settings serves every test of the worker (`app_for`): building one
costs more than most tests. Each test still gets a lifespan of its own (a fresh runtime, rate
limit counter and plugin runtimes). A test that reads counts since the app was built
(`/metrics`) or changes its app (`app.register`) asks for an app of its own with
`@pytest.mark.own_app`.
"""

import asyncio
import functools
import os
import secrets
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.admin.services import DistrictService, KeyService
from api.app import create_app
from api.content.loader import load_course
from api.content.publish import publish
from api.db import Sessions, create_engine, create_sessions
from api.identity.auth import ALL_KEY_SCOPES
from api.logs import configure_logging
from api.migrate import upgrade
from api.models import Base
from api.plugin import load_plugins
from api.runtime import Runtime, open_runtime
from api.settings import Settings

ADMIN_URL = os.environ.get("FRONTOFFICE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
# The public routes' rate limit, far above what any test sends: a suite calls them from one
# address hundreds of times a minute (tests/http/test_public_rate_limit.py tests the limit).
UNLIMITED = "1000000/minute"


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


CONTENT_DIR = Path(__file__).parent.parent / "content"
# The published course is shared by every district and every test; it is not emptied.
CONTENT_TABLES = {"courses", "modules", "module_versions"}


def _migrate(url: str) -> None:
    """Migrate and publish the shipped course, as `serve` would."""

    async def main() -> None:
        engine = create_engine(url)
        await upgrade(engine, load_plugins().values())
        await publish(create_sessions(engine), load_course(CONTENT_DIR))
        await engine.dispose()

    asyncio.run(main())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (faster than migrating per test)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    _migrate(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def sqlite_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this worker's SQLite tests keep their database: one path, so one app serves them all."""
    return tmp_path_factory.mktemp("sqlite-tests") / "frontoffice.db"


def refresh(template: Path, path: Path) -> None:
    """Make `path` a fresh copy of `template`. The copy replaces the file (a new inode) and the
    old write-ahead log goes, so a connection a previous test left open sees none of this one."""
    for suffix in ("-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    copy = path.with_name(path.name + ".new")
    shutil.copyfile(template, copy)
    os.replace(copy, path)


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database named `prefix_<random>`, dropped after: its async URL.
    Unreachable PostgreSQL skips the test, except under CI=true, where it fails."""
    name = f"{prefix}_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(ADMIN_URL, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true and is not reachable at {ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {exc}")
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    with fresh_postgres_database("frontoffice_test") as url:
        _migrate(url)
        yield url


# The tables a test may write to and `TRUNCATE … CASCADE` of them would empty: the app's (but the
# published course) and every table referring to one of them (plugins' tables, as districts').
_EMPTIED = """
WITH RECURSIVE emptied(oid) AS (
    SELECT c.oid FROM pg_class c
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1::text[])
    UNION
    SELECT con.conrelid FROM pg_constraint con JOIN emptied e ON con.confrelid = e.oid
    WHERE con.contype = 'f'
)
SELECT quote_ident(relname) FROM pg_class WHERE oid IN (SELECT oid FROM emptied) ORDER BY relname
"""


def _asyncpg_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture(scope="session")
def postgres_tables(postgres_url: str) -> list[str]:
    """The tables emptied after each test (see `_EMPTIED`)."""
    names = [t.name for t in Base.metadata.sorted_tables if t.name not in CONTENT_TABLES]

    async def find() -> list[str]:
        conn = await asyncpg.connect(_asyncpg_url(postgres_url))
        try:
            return [row[0] for row in await conn.fetch(_EMPTIED, names)]
        finally:
            await conn.close()

    return asyncio.run(find())


async def empty_postgres(url: str, tables: list[str]) -> None:
    """Delete every row of `tables`. A DELETE of a few rows takes milliseconds where TRUNCATE
    takes about a second for the lot; with triggers (foreign keys) off for the transaction, the
    order does not matter. Without the privilege for that, TRUNCATE … CASCADE."""
    conn = await asyncpg.connect(_asyncpg_url(url))
    try:
        async with conn.transaction():
            deletes = "".join(f"DELETE FROM {table};" for table in tables)
            await conn.execute(f"SET LOCAL session_replication_role = replica;{deletes}")
    except asyncpg.InsufficientPrivilegeError:
        await conn.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated, empty database: a fresh copy of the SQLite template, or the emptied PostgreSQL one."""
    if request.param == "sqlite":
        path: Path = request.getfixturevalue("sqlite_path")
        refresh(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_url")
    tables: list[str] = request.getfixturevalue("postgres_tables")
    yield url
    asyncio.run(empty_postgres(url, tables))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        migrate_on_start=False,
        publish_on_start=False,
        log_level="WARNING",
        dispatch_in_app=False,  # tests that deliver drive a Dispatcher themselves
        rate_limit_public=UNLIMITED,  # tests of the limit set their own
    )


AppFor = Callable[[Settings], Litestar]
"""Gives the app for some settings (the `app_for` fixture)."""


class Apps:
    """The apps this worker has built, by settings: tests with the same settings share one."""

    def __init__(self) -> None:
        self._built: dict[bytes, Litestar] = {}

    def get(self, settings: Settings, *, own: bool = False) -> Litestar:
        """The app for `settings`, built on first use (always, if `own`). What building it did
        that a lifespan does not redo is redone: the response cache emptied (a test must not be
        answered from the last one's), the logging set up (another app may have set its level)."""
        if own:
            return create_app(settings)
        key = msgspec.json.encode(settings)
        app = self._built.get(key)
        if app is None:
            app = self._built[key] = create_app(settings)
        else:
            app.state.response_cache.clear()
            configure_logging(settings.log_level)
        return app


@pytest.fixture(scope="session")
def apps() -> Apps:
    return Apps()


@pytest.fixture
def app_for(request: pytest.FixtureRequest, apps: Apps) -> AppFor:
    """The app for some settings: this worker's, or a new one for a test marked `own_app`."""
    return functools.partial(apps.get, own=request.node.get_closest_marker("own_app") is not None)


@pytest.fixture
def app(settings: Settings, app_for: AppFor) -> Litestar:
    return app_for(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as client:
        yield client


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime of the test's own, built as the app's: the test client runs the app on another
    event loop, whose connections cannot be shared with the test's."""
    async with open_runtime(settings) as runtime:
        yield runtime


@pytest.fixture
def sessions(runtime: Runtime) -> Sessions:
    return runtime.sessions


class Tenant(msgspec.Struct):
    """A district and a key of it with every scope, for tests."""

    id: uuid.UUID
    slug: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


async def make_tenant(sessions: Sessions, slug: str, scopes: list[str] | None = None) -> Tenant:
    district = await DistrictService(sessions).create(slug, f"{slug.title()} School District")
    created = await KeyService(sessions, district.id).create("test", scopes or ALL_KEY_SCOPES)
    return Tenant(id=district.id, slug=slug, key=created.key)


@pytest.fixture
async def district_a(sessions: Sessions) -> Tenant:
    return await make_tenant(sessions, "district-a")


@pytest.fixture
async def district_b(sessions: Sessions) -> Tenant:
    return await make_tenant(sessions, "district-b")
