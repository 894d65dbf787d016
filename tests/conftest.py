"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, the app, a client, districts.

Every test that asks for `database_url` (directly or through `app`/`client`) runs twice, once
per backend. PostgreSQL is at FRONTOFFICE_TEST_POSTGRES_URL (default: 127.0.0.1:5432, user
postgres, database test); the suite makes a database of its own there and drops it at the end.
Under CI=true a PostgreSQL that cannot be reached fails the run instead of skipping.
"""

import asyncio
import os
import secrets
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from api.admin.services import DistrictService, KeyService
from api.app import create_app
from api.content.loader import load_course
from api.content.publish import publish
from api.db import Sessions, create_engine, create_sessions
from api.identity.auth import ALL_KEY_SCOPES
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


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: a copy of the SQLite template, or the emptied PostgreSQL one."""
    if request.param == "sqlite":
        path = tmp_path / "frontoffice.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name not in CONTENT_TABLES)

    async def empty() -> None:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} CASCADE"))
        await engine.dispose()

    asyncio.run(empty())


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


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


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
