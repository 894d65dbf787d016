"""The LTI 1.3 Advantage plugin: OIDC login, verified launches, deep linking, and grades back
as an outbox subscriber of `completion.recorded` (one delivery per launch link, retried by the
dispatcher like any other), and `Started` at a learner's first launch (the plugin's own
`lti.started` event, written with its delivery at the launch)."""

import uuid
from collections.abc import Sequence
from typing import ClassVar

import click
import msgspec
from litestar.types import ControllerRouterHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import LtiLaunch
from plugins.base import Context, Delivery, Outcome, Plugin, Subscription
from plugins.lti.service import STARTED_EVENT, LtiConfig, Runtime
from schemas.events import Envelope


class LtiPlugin(Plugin):
    name: ClassVar[str] = "lti"
    config_type: ClassVar[type[msgspec.Struct]] = LtiConfig
    events: ClassVar[frozenset[str]] = frozenset({"completion.recorded"})

    def __init__(self) -> None:
        self._runtime: tuple[Context, Runtime] | None = None

    def runtime(self, context: Context) -> Runtime:
        """The plugin's runtime for this context (one per app or dispatcher). Held with the
        context itself: an id alone could be reused by a later context once this one is gone."""
        if self._runtime is None or self._runtime[0] is not context:
            runtime = Runtime(context.sessions, context.http, context.secret_box, context.settings)
            self._runtime = (context, runtime)
        return self._runtime[1]

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        from plugins.lti import controllers as c

        return [
            c.LaunchController,
            c.RegistrationController,
            c.RegistrationUrlController,
            c.DeepLinkController,
        ]

    def cli(self) -> click.Group | None:
        from plugins.lti.cli import lti

        return lti

    async def subscriptions(
        self, session: AsyncSession, district_id: uuid.UUID, event: Envelope
    ) -> list[Subscription]:
        """The launch link of the learner and module, if they came from an LMS that takes grades."""
        learner = event.data.get("learner") or {}
        try:
            learner_id = uuid.UUID(str(learner.get("id")))
        except ValueError:
            return []
        link = (
            await session.execute(
                select(LtiLaunch.id).where(
                    LtiLaunch.district_id == district_id,
                    LtiLaunch.learner_id == learner_id,
                    LtiLaunch.module_id == str(event.data.get("module_id")),
                )
            )
        ).scalar_one_or_none()
        return [] if link is None else [Subscription(key=str(link))]

    async def deliver(self, context: Context, delivery: Delivery) -> Outcome:
        from plugins.lti.grades import post_score, post_started

        send = post_started if delivery.event.type == STARTED_EVENT else post_score
        return await send(self.runtime(context), uuid.UUID(delivery.subscriber), delivery.event.data)
