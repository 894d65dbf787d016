"""The plugin protocol. A plugin has a name, a config Struct (validated per district), the
event types it subscribes to, and may add routes and CLI commands. The dispatcher asks it for
its subscribers of each event and hands it each delivery; the plugin says how it went.

Built-in plugins (webhooks, LTI) implement exactly this and register through the same
entry-point group as third-party ones: `frontoffice.plugins`.
"""

import uuid
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar, Literal

import click
import httpx
import msgspec
from litestar.types import ControllerRouterHandler
from msgspec import Meta
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import SecretBox
from api.db import Sessions
from api.models import PluginSetting
from schemas.events import Envelope


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
    event: Envelope


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
    SSRF guard), the settings, and a box to keep its stored secrets encrypted."""

    sessions: Sessions
    http: httpx.AsyncClient
    transport: httpx.AsyncBaseTransport
    """The guarded transport `http` sends through. A sender that needs none of the client's
    cookies, redirects, auth or base URL (webhook deliveries) hands it requests directly, at
    about half the client's cost per request."""
    settings: Any
    secret_box: SecretBox


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

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        """Routes the plugin adds to the API."""
        return ()

    def cli(self) -> click.Group | None:
        """A command group the plugin adds to `frontoffice`, under its name."""
        return None

    def wants(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events

    async def subscriptions(
        self, session: AsyncSession, district_id: uuid.UUID, event: Envelope
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
        self, session: AsyncSession, events: Sequence[tuple[uuid.UUID, Envelope]]
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
