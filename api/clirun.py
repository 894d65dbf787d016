"""Running a command's async work against the configured database: the `frontoffice` commands
and the plugins' own (through `plugins.contract.run_with_sessions`)."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from api.admin.services import DistrictService
from api.crypto import SecretBox
from api.db import Sessions, create_engine, create_sessions
from api.errors import FrontOfficeError
from api.identity.tokens import TokenKey
from api.migrate import upgrade
from api.plugin import load_plugins
from api.settings import Settings

T = TypeVar("T")


def run_with_sessions(work: Callable[[Sessions], Awaitable[T]], *, migrate: bool = False) -> T:
    """Run `work` against the configured database, turning domain errors into CLI errors."""

    async def main() -> T:
        settings = Settings.from_env()
        engine = create_engine(settings.database_url)
        try:
            if migrate:
                await upgrade(engine, load_plugins(settings.plugins or None).values())
            return await work(create_sessions(engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except FrontOfficeError as exc:
        raise click.ClickException(exc.detail) from None


async def district_id_of(sessions: Sessions, slug: str) -> uuid.UUID:
    """The id of the district with this slug (`NotFound` if there is none)."""
    return (await DistrictService(sessions).by_slug(slug)).id


async def secret_box(sessions: Sessions) -> SecretBox:
    """The box plugins keep their stored secrets in, as the app and the worker open it."""
    key = await TokenKey(sessions, Settings.from_env().secret_key).get()
    return SecretBox(key, "plugin-secrets")
