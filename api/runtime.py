"""The runtime: every long-lived service Front Office runs on, built in one place.

The app's lifespan, the `frontoffice worker`, the tests and the benchmarks all open it with
`open_runtime`, so none of them wires an engine, a client or a secret box of its own (and a
timeout cannot differ between them).
"""

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from api.content.catalog import Catalog
from api.content.loader import load_course
from api.content.publish import publish as publish_course
from api.crypto import SecretBox
from api.db import Sessions, create_engine, create_sessions
from api.identity.auth import KEY_CACHE_SECONDS, KeyCache
from api.identity.tokens import TokenKey
from api.migrate import upgrade
from api.outbound import GuardedTransport, make_client
from api.plugin import Context, Plugin, lifespans
from api.settings import Settings

SECRET_BOX_PURPOSE = "plugin-secrets"


class DatabaseUnavailable(RuntimeError):
    """Raised when a service that needs the database's key (the secret box, the plugin context)
    is asked for while the database is unmigrated or unreachable."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Runtime:
    """The services of one process, open for as long as `open_runtime`'s block runs."""

    settings: Settings
    engine: AsyncEngine
    sessions: Sessions
    catalog: Catalog
    key_cache: KeyCache
    """Authenticated API keys, remembered for a few seconds."""
    token_key: TokenKey
    """The key learner tokens are signed with (and the secret box's key is derived from)."""
    http: httpx.AsyncClient
    """The one outbound client: every call passes the SSRF guard, with the settings' timeouts."""
    transport: httpx.AsyncBaseTransport
    """The guarded transport `http` sends through."""
    plugins: dict[str, Plugin]
    secret_box: SecretBox | None
    """None while the database is unmigrated or unreachable (its key lives there)."""
    plugin_context: Context | None
    """What plugins and the dispatcher use; None when `secret_box` is."""

    def context(self) -> Context:
        """The plugin context; raises DatabaseUnavailable if the database was not ready."""
        if self.plugin_context is None:
            raise DatabaseUnavailable("the database is unmigrated or unreachable")
        return self.plugin_context

    def box(self) -> SecretBox:
        """The secret box; raises DatabaseUnavailable if the database was not ready."""
        if self.secret_box is None:
            raise DatabaseUnavailable("the database is unmigrated or unreachable")
        return self.secret_box


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    plugins: dict[str, Plugin] | None = None,
    *,
    migrate: bool | None = None,
    publish: bool | None = None,
    pool_size: int | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[Runtime]:
    """Open every service for `settings`, and close them when the block ends.

    `migrate` and `publish` default to the settings (`migrate_on_start`: unset means
    SQLite only; `publish_on_start`). `pool_size` sizes a PostgreSQL pool over the settings' (benchmarks);
    `transport` replaces the guarded transport (tests). An unmigrated or unreachable database
    still opens: `secret_box` and `plugin_context` are then None, and /readyz says so."""
    sized = {} if settings.is_sqlite else {"pool_size": settings.database_pool_size}
    engine = create_engine(
        settings.database_url, **(sized if pool_size is None else {"pool_size": pool_size})
    )
    try:
        if migrate is None:
            migrate = settings.migrate_on_start
            if migrate is None:
                migrate = settings.is_sqlite
        if migrate:
            await upgrade(engine, (plugins or {}).values())
        sessions = create_sessions(engine)
        if settings.publish_on_start if publish is None else publish:
            await publish_course(sessions, load_course(settings.content_path))
        if transport is None:
            transport = GuardedTransport(allowlist=list(settings.outbound_allowlist))
        token_key = TokenKey(sessions, settings.secret_key)
        catalog = Catalog(sessions)
        async with make_client(settings, transport) as http:
            box: SecretBox | None = None
            context: Context | None = None
            try:
                key = await token_key.get()
            except (SQLAlchemyError, OSError):
                pass  # unmigrated or unreachable: /readyz says so; nothing can be delivered
            else:
                box = SecretBox(key, SECRET_BOX_PURPOSE)
                context = Context(
                    sessions=sessions,
                    http=http,
                    transport=transport,
                    settings=settings,
                    secret_box=box,
                    catalog=catalog,
                    token_key=key,
                )
            async with contextlib.AsyncExitStack() as stack:
                # Each plugin's lifespan (its own runtime: clients, caches) lasts as long as ours.
                if context is not None:
                    await stack.enter_async_context(lifespans(context, (plugins or {}).values()))
                yield Runtime(
                    settings=settings,
                    engine=engine,
                    sessions=sessions,
                    catalog=catalog,
                    key_cache=KeyCache(ttl=KEY_CACHE_SECONDS),
                    token_key=token_key,
                    http=http,
                    transport=transport,
                    plugins={} if plugins is None else plugins,
                    secret_box=box,
                    plugin_context=context,
                )
    finally:
        await engine.dispose()
