"""The LTI 1.3 Advantage plugin: OIDC login, verified launches, deep linking, and grades back
as an outbox subscriber of `completion.recorded` and `completion.rescored` (one delivery per
launch link, retried by the dispatcher like any other), and `Started` at a learner's first
launch (the plugin's own `lti.started` event, emitted at the launch and fanned out to the
plugin only)."""

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import click
import msgspec
from litestar import Router
from litestar.di import Provide
from litestar.types import ControllerRouterHandler
from prometheus_client import CollectorRegistry
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.contract import Context, Delivery, Outcome, Plugin, Subscription, load_config
from plugins.lti import controllers as c
from plugins.lti.cli import lti
from plugins.lti.grades import post_score, post_started
from plugins.lti.metrics import Launches
from plugins.lti.models import LtiLaunch, LtiUsedNonce
from plugins.lti.service import LtiConfig, Runtime
from schemas.events import CompletionRecordedEvent, CompletionRescoredEvent, Event, LtiStartedEvent


class LtiPlugin(Plugin):
    name: ClassVar[str] = "lti"
    config_type: ClassVar[type[msgspec.Struct]] = LtiConfig
    events: ClassVar[frozenset[str]] = frozenset(
        {"completion.recorded", "completion.rescored", "lti.started"}
    )
    migrations: ClassVar[Path | None] = Path(__file__).parent / "migrations"

    def __init__(self) -> None:
        self._runtime: Runtime | None = None
        self.launches = Launches()

    def metrics(self, registry: CollectorRegistry) -> None:
        """Launches by outcome (plugins/lti/metrics.py)."""
        self.launches.register(registry)

    async def prune(self, session: AsyncSession, now: datetime) -> int:
        """Used launch nonces past `expires_at`: their login states are refused as expired by then,
        so the nonce could not be replayed anyway."""
        result = await session.execute(delete(LtiUsedNonce).where(LtiUsedNonce.expires_at < now))
        return int(result.rowcount)  # type: ignore[attr-defined]

    def lifespan(self, context: Context) -> AbstractAsyncContextManager[None]:
        """The plugin's runtime (caches, keys, the launch's statements), built from the context
        once per app or worker and handed to the routes and deliveries."""
        return self._running(context)

    @asynccontextmanager
    async def _running(self, context: Context) -> AsyncIterator[None]:
        async def load(district_id: uuid.UUID) -> LtiConfig:
            config = await load_config(context.sessions, context.secret_box, self, district_id)
            return config if isinstance(config, LtiConfig) else LtiConfig()

        self._runtime = Runtime(context, load, self.launches)
        try:
            yield
        finally:
            await self._runtime.close()
            self._runtime = None

    @property
    def runtime(self) -> Runtime:
        """The runtime of the running lifespan."""
        if self._runtime is None:
            raise RuntimeError("the LTI plugin is used outside its lifespan")
        return self._runtime

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        # The routes take the runtime as a dependency (`lti`), from this plugin's lifespan.
        return [
            Router(
                "/",
                route_handlers=[
                    c.LaunchController,
                    c.RegistrationController,
                    c.RegistrationUrlController,
                    c.ToolController,
                    c.DeepLinkController,
                    c.CartridgeController,
                ],
                dependencies={"lti": Provide(lambda: self.runtime, sync_to_thread=False)},
            )
        ]

    def cli(self) -> click.Group | None:
        return lti

    async def subscriptions(
        self, session: AsyncSession, district_id: uuid.UUID, event: Event
    ) -> list[Subscription]:
        """A first launch's link, for its `Started`; for a completion, the launch link of the
        learner and module, if they came from an LMS that takes grades."""
        if isinstance(event, LtiStartedEvent):
            return [Subscription(key=str(event.data.launch_id))]
        if not isinstance(event, (CompletionRecordedEvent, CompletionRescoredEvent)):
            return []
        link = (
            await session.execute(
                select(LtiLaunch.id).where(
                    LtiLaunch.district_id == district_id,
                    LtiLaunch.learner_id == event.data.learner.id,
                    LtiLaunch.module_id == event.data.module_id,
                )
            )
        ).scalar_one_or_none()
        return [] if link is None else [Subscription(key=str(link))]

    async def deliver(self, context: Context, delivery: Delivery) -> Outcome:
        event, launch_id = delivery.event, uuid.UUID(delivery.subscriber)
        if isinstance(event, LtiStartedEvent):
            return await post_started(self.runtime, launch_id, event.data)
        if isinstance(event, CompletionRescoredEvent):  # a better retake: the kept score, later
            data = event.data
            return await post_score(self.runtime, launch_id, data.score, data.rescored_at, data.module_title)
        assert isinstance(event, CompletionRecordedEvent)  # the only other event it takes
        recorded = event.data
        return await post_score(
            self.runtime, launch_id, recorded.score, recorded.completed_at, recorded.module_title
        )
