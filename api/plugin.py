"""The plugin protocol as the kernel speaks it. A plugin has a name, a config Struct (validated
per district), the event types it subscribes to, and may add routes, CLI commands and a
lifespan. The dispatcher asks it for its subscribers of each event and hands it each delivery;
the plugin says how it went.

Plugins never import this module: they see it through `plugins.contract`, which re-exports it
with everything else a plugin may use. It lives here so that the kernel (the dispatcher, the
app, the worker) depends on no plugin package. Built-in plugins (webhooks, LTI) implement
exactly this and register through the same entry-point group as third-party ones:
`frontoffice.plugins`.
"""

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import click
import httpx
import msgspec
from litestar.types import ControllerRouterHandler
from msgspec import Meta, inspect
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.content.catalog import Catalog
from api.crypto import SecretBox
from api.db import Sessions
from api.models import PluginSetting
from schemas.events import Event


class Subscription(msgspec.Struct, frozen=True):
    """A subscriber of an event: `key` is unique within the plugin (an endpoint id, say).
    `skip` records the delivery as skipped (a disabled endpoint), so recovery finds it later."""

    key: str
    skip: bool = False


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """One delivery handed to a plugin: which subscriber, which event, which attempt."""

    id: uuid.UUID
    district_id: uuid.UUID
    subscriber: str
    attempt: int
    event: Event
    """The event, typed: `event.data` is its payload Struct (see schemas/events.py)."""


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """How an attempt went. `gone`: the subscriber asked never to be sent to again (410)."""

    result: Literal["success", "retry", "gone"]
    status_code: int | None = None
    error: str | None = None
    response_excerpt: str = ""
    duration_ms: float = 0.0
    retry_after: str | None = None


class Context(msgspec.Struct, frozen=True, kw_only=True):
    """What a plugin may use: the database, the one shared HTTP client (outbound calls pass the
    SSRF guard), the settings, a box to keep its stored secrets encrypted, the course and the
    learner tokens' key."""

    sessions: Sessions
    http: httpx.AsyncClient
    transport: httpx.AsyncBaseTransport
    """The guarded transport `http` sends through. A sender that needs none of the client's
    cookies, redirects, auth or base URL (webhook deliveries) hands it requests directly, at
    about half the client's cost per request."""
    settings: Any
    secret_box: SecretBox
    catalog: Catalog
    """The published course, for plugins that check or show modules (LTI's launches, deep links)."""
    token_key: str
    """The key learner tokens are signed with, for plugins that sign learners in (LTI's launches)."""


class Attempted(msgspec.Struct, frozen=True):
    """A recorded attempt: the delivery, how it went, and whether it was the last (no retry follows)."""

    delivery: Delivery
    outcome: Outcome
    final: bool


class Plugin:
    """Base of every plugin. Override what the plugin needs; the defaults make a plugin that
    gets every event it subscribes to once per district that enabled it."""

    name: ClassVar[str]
    """Unique name; also the entry point's name and the key of its district settings."""
    config_type: ClassVar[type[msgspec.Struct]]
    """The district configuration, decoded strictly when an administrator sets it."""
    events: ClassVar[frozenset[str]] = frozenset({"completion.recorded"})
    """Event types it receives; `*` for all."""
    migrations: ClassVar[Path | None] = None
    """The folder of the Alembic revisions that make the plugin's own tables, migrated with the
    app's by `frontoffice migrate`. Its first revision starts the plugin's branch:
    `branch_labels = ("<name>",)`, `down_revision = None`, and `depends_on` the app revision its
    foreign keys need. None: the plugin has no tables."""

    async def prune(self, session: AsyncSession, now: datetime) -> int:
        """Delete the plugin's rows whose time is up (run with the app's retention, by any number
        of dispatchers at once: keep it idempotent); returns how many went. By default none."""
        return 0

    def lifespan(self, context: Context) -> AbstractAsyncContextManager[None]:
        """Entered once the app (or a worker) has built its context, left at shutdown: build
        the plugin's long-lived parts from the context here. By default nothing."""
        return contextlib.nullcontext()

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        """Routes the plugin adds to the API."""
        return ()

    def cli(self) -> click.Group | None:
        """A command group the plugin adds to `frontoffice`, under its name."""
        return None

    def metrics(self, registry: CollectorRegistry) -> None:
        """Register the plugin's own counters (prometheus-client's, `registry=registry`) on the
        registry `/metrics` serves: called once per app or worker, before its lifespan. Count
        what the process does (LTI's launches); figures a table holds go in `gauges`. By default
        nothing."""

    async def gauges(self, session: AsyncSession) -> Sequence[Metric]:
        """Figures read from the plugin's own tables when `/metrics` is scraped (webhooks'
        disabled endpoints), as prometheus-client metric families: one cheap query (every scrape
        runs it), across all districts. By default none."""
        return ()

    def wants(self, event_type: str) -> bool:
        """Whether the plugin takes events of this type (from `events`)."""
        return "*" in self.events or event_type in self.events

    async def subscriptions(
        self, session: AsyncSession, district_id: uuid.UUID, event: Event
    ) -> list[Subscription]:
        """Who receives this event in this district; by default the plugin itself, if enabled."""
        setting = (
            await session.execute(
                select(PluginSetting).where(
                    PluginSetting.district_id == district_id, PluginSetting.plugin == self.name
                )
            )
        ).scalar_one_or_none()
        return [Subscription(key=self.name)] if setting is not None and setting.enabled else []

    async def subscriptions_batch(
        self, session: AsyncSession, events: Sequence[tuple[uuid.UUID, Event]]
    ) -> list[list[Subscription]]:
        """`subscriptions` for each (district, event) of a fan-out batch, in order. Override it
        to look subscribers up once per batch instead of once per event."""
        return [await self.subscriptions(session, district_id, event) for district_id, event in events]

    async def prepare(self, context: Context, session: AsyncSession, deliveries: Sequence[Delivery]) -> None:
        """Called in the transaction that claims a batch, with this plugin's deliveries of it:
        load what `deliver` will need in one query here rather than one per delivery."""

    async def deliver(self, context: Context, delivery: Delivery) -> Outcome:
        """Deliver one event to one subscriber. Never raise for a subscriber's failure: say
        `retry`. Hold no database session while waiting on the network."""
        raise NotImplementedError

    async def after_attempts(self, session: AsyncSession, attempts: Sequence[Attempted]) -> None:
        """Called in the transaction that records a batch of attempts, with this plugin's, in the
        order they are recorded."""


SecretStr = Annotated[
    str,
    Meta(
        extra_json_schema={"writeOnly": True},
        description="A secret: stored encrypted, or `env:NAME` to read it from the environment; "
        "never returned.",
    ),
]
"""Mark a config field as secret with this type."""


@asynccontextmanager
async def lifespans(context: Context, plugins: Iterable[Plugin]) -> AsyncIterator[None]:
    """Every plugin's lifespan, entered in order and left in reverse."""
    async with contextlib.AsyncExitStack() as stack:
        for plugin in plugins:
            await stack.enter_async_context(plugin.lifespan(context))
        yield


SEALED = "sealed:"


def secret_fields(config_type: type[msgspec.Struct]) -> set[str]:
    """Names of the fields typed `SecretStr`."""
    info = inspect.type_info(config_type)
    assert isinstance(info, inspect.StructType)
    out = set()
    for field in info.fields:
        t = field.type
        if isinstance(t, inspect.Metadata) and (t.extra_json_schema or {}).get("writeOnly"):
            out.add(field.encode_name)
    return out


async def load_config(
    sessions: Sessions, box: SecretBox, plugin: Plugin, district_id: uuid.UUID
) -> msgspec.Struct | None:
    """A plugin's configuration for a district, secrets revealed; None if not configured."""
    async with sessions() as session:
        row = await session.get(PluginSetting, (district_id, plugin.name))
    if row is None:
        return None
    config = dict(row.config)
    for key in secret_fields(plugin.config_type) & set(config):
        value = config[key]
        if isinstance(value, str) and value.startswith(SEALED):
            config[key] = box.open(value[len(SEALED) :])
        elif isinstance(value, str) and value.startswith("env:"):
            config[key] = os.environ.get(value[4:], "")
    return msgspec.convert(config, plugin.config_type)


GROUP = "frontoffice.plugins"


class PluginError(Exception):
    """A plugin could not be loaded, or is not a plugin."""


def load_plugins(allowed: list[str] | None = None) -> dict[str, Plugin]:
    """Every installed plugin (or only those named in `allowed`), by name."""
    found = {ep.name: ep for ep in entry_points(group=GROUP)}
    if allowed:
        unknown = sorted(set(allowed) - set(found))
        if unknown:
            raise PluginError(f"FRONTOFFICE_PLUGINS names {', '.join(unknown)}, which is not installed.")
    plugins: dict[str, Plugin] = {}
    for name, ep in sorted(found.items()):
        if allowed and name not in allowed:
            continue
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, Plugin)):
            raise PluginError(f"Entry point {name!r} ({ep.value}) is not a frontoffice Plugin subclass.")
        plugin = cls()
        if plugin.name != name:
            raise PluginError(f"Entry point {name!r} loads a plugin named {plugin.name!r}; they must match.")
        plugins[name] = plugin
    return plugins
