"""Bringing a database to the newest migrations, the app's and each plugin's, and telling
whether it is there.

The app's revisions are in api/migrations/versions/, one line of history. A plugin with tables
of its own ships its revisions in the folder `Plugin.migrations` names, as a branch labelled
with its name; `upgrade` takes every branch to its head, so the database holds one head per
branch (the app's and one per plugin).
"""

import functools
import os
from collections.abc import Iterable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from api.plugin import Plugin

MIGRATIONS = Path(__file__).parent / "migrations"


def _folders(plugins: Iterable[Plugin]) -> tuple[str, ...]:
    """The app's revisions folder, then each plugin's that has one."""
    found = [MIGRATIONS / "versions", *(p.migrations for p in plugins if p.migrations is not None)]
    return tuple(str(folder) for folder in found)


def _config_of(folders: tuple[str, ...]) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(folders))
    return config


@functools.cache
def _script(folders: tuple[str, ...]) -> ScriptDirectory:
    """The revisions shipped in `folders`, read from disk once per process: /readyz asks often,
    and the files do not change under a running process."""
    return ScriptDirectory.from_config(_config_of(folders))


def _shipped(plugins: Iterable[Plugin]) -> ScriptDirectory:
    return _script(_folders(plugins))


def head_revisions(plugins: Iterable[Plugin]) -> frozenset[str]:
    """The newest revision of every branch this code ships (the app's and its plugins')."""
    return frozenset(_shipped(plugins).get_heads())


def missing_heads(plugins: Iterable[Plugin], current: frozenset[str]) -> frozenset[str]:
    """The heads this code ships that the database at `current` has not reached. A head can be
    reached without being recorded: Alembic records only the newest revision of what depends on
    it (the app's head, when every plugin branch depends on it)."""
    script = _shipped(plugins)
    shipped = {s.revision for s in script.walk_revisions()}
    reached: set[str] = set()
    todo = [r for r in current if r in shipped]
    while todo:
        revision = script.get_revision(todo.pop())
        if revision is None or revision.revision in reached:
            continue
        reached.add(revision.revision)
        for parents in (revision.down_revision, revision.dependencies):
            todo.extend([parents] if isinstance(parents, str) else parents or ())
    return frozenset(script.get_heads()) - reached


def _upgrade(connection: Connection, plugins: list[Plugin]) -> None:
    if connection.dialect.name == "postgresql":
        # Several processes may start at once; one migrates, the others wait and find it done.
        connection.execute(text("SELECT pg_advisory_xact_lock(727274)"))
    config = _config_of(_folders(plugins))
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")


async def upgrade(engine: AsyncEngine, plugins: Iterable[Plugin]) -> None:
    """Migrate the database behind `engine` to every head, in one transaction."""
    loaded = list(plugins)
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: _upgrade(sync, loaded))


async def current_revisions(engine: AsyncEngine) -> frozenset[str]:
    """The revisions the database is at, one per branch; empty for an empty database."""
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: frozenset(MigrationContext.configure(sync).get_current_heads())
        )
