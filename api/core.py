"""The core plugin: assembles the app from the settings (routes, auth, errors, storage, docs)."""

import asyncio
import importlib.metadata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec
from litestar import Litestar, Request
from litestar.config.app import AppConfig
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import ValidationException
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins import InitPlugin
from sqlalchemy.exc import SQLAlchemyError

from api.admin.controllers import AdminController
from api.auth import KEY_CACHE_SECONDS, BearerAuth, KeyCache
from api.content.catalog import Catalog
from api.content.controllers import ContentController
from api.content.loader import load_course
from api.content.publish import publish
from api.crypto import SecretBox
from api.db import Sessions, create_engine, create_sessions
from api.errors import EXCEPTION_HANDLERS, UnsupportedMediaType
from api.hr.controllers import (
    AuditController,
    CompletionRecordsController,
    MyCertificateController,
    RosterController,
    VerifyController,
)
from api.idempotency import IdempotencyMiddleware
from api.logs import configure_logging
from api.migrate import upgrade
from api.openapi import StrictStructSchemaPlugin, StructSchemaPlugin
from api.ops.controllers import OpsController
from api.ops.pages import DOCS, LocalSwaggerUI, docs_assets, landing
from api.outbox.dispatcher import Dispatcher
from api.player.routes import player_router
from api.plugin import Context, Plugin, lifespans
from api.progress.controllers import (
    CompletionAdminController,
    GroupController,
    LearnerTokenController,
    MyProgressController,
)
from api.progress.tokens import TokenKey
from api.settings import Settings
from api.ssrf import GuardedTransport
from plugins.controllers import PluginController
from plugins.registry import load_plugins

VERSION = importlib.metadata.version("frontoffice")
JSON_TYPES = ("application/json",)


async def require_json_body(request: Request[Any, Any, Any]) -> None:
    """A body must be JSON unless the route lists other types in `opt["accepts"]`."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    if not has_body:
        return
    accepted: tuple[str, ...] = request.route_handler.opt.get("accepts", JSON_TYPES)
    media_type = request.content_type[0]
    if media_type not in accepted:
        raise UnsupportedMediaType(
            f"This route takes a body of type {' or '.join(accepted)}, not {media_type or 'none'}; "
            "set the Content-Type header."
        )
    if media_type == "application/json":
        await _strictly_typed(request)


async def _strictly_typed(request: Request[Any, Any, Any]) -> None:
    """Decode a JSON body strictly against the route's `data` type first. Litestar converts in
    lax mode, which would take `0` for `false` and `"5"` for `5`; a client sending those has a
    bug it should hear about. (The body is read once: Litestar keeps it for the handler.)"""
    field = request.route_handler.parsed_fn_signature.parameters.get("data")
    if field is None:
        return
    try:
        msgspec.json.decode(await request.body(), type=field.annotation)
    except msgspec.ValidationError as exc:
        raise ValidationException(extra=[{"message": str(exc), "source": "body"}]) from None
    except msgspec.DecodeError:
        return  # malformed JSON: Litestar's own decoding answers it as before


def provide_sessions(state: State) -> Sessions:
    sessions: Sessions = state.sessions
    return sessions


class Core(InitPlugin):
    """Registers everything Front Office is made of; `create_app` adds only this plugin."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.plugins: dict[str, Plugin] = {}

    @asynccontextmanager
    async def storage(self, app: Litestar) -> AsyncIterator[None]:
        """Open the database for the app's lifetime; migrate first where the settings say so."""
        engine = create_engine(self.settings.database_url)
        try:
            migrate = self.settings.migrate_on_start
            if migrate or (migrate is None and self.settings.is_sqlite):
                await upgrade(engine)
            sessions = create_sessions(engine)
            if self.settings.publish_on_start:
                await publish(sessions, load_course(self.settings.content_path))
            app.state.engine = engine
            app.state.sessions = sessions
            app.state.catalog = Catalog(sessions)
            app.state.key_cache = KeyCache(ttl=KEY_CACHE_SECONDS)
            app.state.token_key = TokenKey(sessions, self.settings.secret_key)
            async with self.outbound(app, sessions):
                yield
        finally:
            await engine.dispose()

    @asynccontextmanager
    async def outbound(self, app: Litestar, sessions: Sessions) -> AsyncIterator[None]:
        """The shared HTTP client (every outbound call passes the SSRF guard), the secret box
        and, where the settings say so, a dispatcher delivering the outbox."""
        transport = GuardedTransport(allowlist=list(self.settings.outbound_allowlist))
        # trust_env=False: a proxy from the environment would bypass the guard.
        async with httpx.AsyncClient(
            transport=transport, timeout=15.0, follow_redirects=False, trust_env=False
        ) as http:
            try:
                key = await app.state.token_key.get()
            except (
                SQLAlchemyError,
                OSError,
            ):  # unmigrated or unreachable: /readyz says so; nothing can be delivered
                yield
                return
            app.state.secret_box = SecretBox(key, "plugin-secrets")
            context = Context(
                sessions=sessions,
                http=http,
                transport=transport,
                settings=self.settings,
                secret_box=app.state.secret_box,
            )
            async with lifespans(context, self.plugins.values()):
                if not self.settings.dispatch_in_app:
                    yield
                    return
                stop = asyncio.Event()
                dispatcher = Dispatcher.configured(context, self.plugins)
                task = asyncio.create_task(dispatcher.run(stop))
                try:
                    yield
                finally:
                    stop.set()
                    await task

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        configure_logging(self.settings.log_level)
        # Litestar's own logging set-up would put a plain-text handler on the root logger.
        app_config.logging_config = None
        self.plugins = load_plugins(self.settings.plugins or None)
        app_config.state["plugins"] = self.plugins
        for plugin in self.plugins.values():
            app_config.route_handlers.extend(plugin.route_handlers())
        app_config.route_handlers.extend(
            [
                OpsController,
                landing,
                docs_assets(),
                AdminController,
                ContentController,
                LearnerTokenController,
                MyProgressController,
                CompletionAdminController,
                GroupController,
                PluginController,
                player_router(),
                RosterController,
                CompletionRecordsController,
                MyCertificateController,
                VerifyController,
                AuditController,
            ]
        )
        app_config.dependencies["sessions"] = Provide(provide_sessions, sync_to_thread=False)
        app_config.exception_handlers.update(EXCEPTION_HANDLERS)
        # Replace Litestar's Struct schema plugin in place (appending would come after it, and
        # inserting would shift the list Litestar is iterating to call on_app_init).
        app_config.plugins[:] = [
            StrictStructSchemaPlugin() if type(p) is StructSchemaPlugin else p for p in app_config.plugins
        ]
        # Order matters: authentication first, so idempotency keys are scoped by the caller.
        app_config.middleware.append(DefineMiddleware(BearerAuth, exclude=[f"^{DOCS}"]))
        app_config.middleware.append(IdempotencyMiddleware)
        app_config.before_request = require_json_body
        app_config.lifespan.append(self.storage)
        app_config.state["settings"] = self.settings
        app_config.openapi_config = OpenAPIConfig(
            title="Front Office",
            version=VERSION,
            description="Training content, learner progress and completions for school districts.",
            path=DOCS,
            render_plugins=[LocalSwaggerUI()],
            use_handler_docstrings=True,
        )
        if self.settings.cors_origins:
            app_config.cors_config = CORSConfig(
                allow_origins=self.settings.cors_origins,
                allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-None-Match"],
                expose_headers=["ETag", "X-Request-ID", "Content-Language"],
            )
        return app_config
