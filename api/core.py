"""The core plugin: assembles the app from the settings (routes, auth, errors, storage, docs)."""

import asyncio
import importlib.metadata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.config.app import AppConfig
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins import InitPlugin

from api.admin.controllers import AdminController, AuditController
from api.assignments.controllers import AssignmentController
from api.attempts.controllers import MyProgressController, ScenarioController
from api.cmi5.controllers import Cmi5Controller, Cmi5LaunchController
from api.completions.controllers import (
    CompletionAdminController,
    CompletionRecordsController,
    MyCertificateController,
    MyTranscriptController,
    VerifyController,
)
from api.console.controllers import ConsoleController, ConsoleSettingsController
from api.console.pages import console_assets, console_page
from api.content.controllers import ContentController
from api.deps import DEPENDENCIES
from api.dialogues.controllers import DialoguesController
from api.feedback.controllers import (
    FeedbackFiguresController,
    FeedbackSchoolsController,
    PublicFeedbackController,
    feedback_assets,
    provide_card,
)
from api.feedback.guard import FeedbackGuard
from api.feedback.services import new_links
from api.heap import settled
from api.http.body import StrictRequest, require_json_body
from api.http.idempotency import IdempotencyMiddleware
from api.http.problems import EXCEPTION_HANDLERS
from api.http.rate_limit import PublicRateLimit, RateLimitMiddleware
from api.http.response_cache import ResponseCache
from api.identity.auth import BearerAuth
from api.identity.controllers import LearnerTokenController, MeController
from api.impact.controllers import ImpactController, TrainingDatesController, dashboard, impact_assets
from api.integrations.controllers import PluginController
from api.logs import configure_logging
from api.measures.controllers import (
    ExitInterviewsController,
    FamilySurveysController,
    ShopperVisitsController,
)
from api.metrics import Metrics
from api.openapi import StrictStructSchemaPlugin, StructSchemaPlugin
from api.ops.controllers import OpsController
from api.ops.pages import DOCS, LocalSwaggerUI, docs_assets, landing
from api.outbox.dispatcher import Dispatcher
from api.packets.controllers import PacketsController
from api.plans.controllers import MyActionPlanController, PlansController
from api.player.routes import cmi5_launch, player_router
from api.plugin import Plugin, load_plugins
from api.reports.controllers import CoverageController, GroupController
from api.roster.controllers import RosterController
from api.runtime import open_runtime
from api.settings import Settings
from api.sweeps import runtime_sweeps
from api.workshops.controllers import (
    JoinController,
    MyWorkshopsController,
    WorkshopController,
    workshop_pages,
)
from api.workshops.guard import JoinGuard
from api.workshops.wakeups import Wakeups

VERSION = importlib.metadata.version("frontoffice")


class Core(InitPlugin):
    """Registers everything Front Office is made of; `create_app` adds only this plugin."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.plugins: dict[str, Plugin] = {}
        self.metrics = Metrics.for_process()
        self.response_cache = ResponseCache()
        # One count store for the public routes' limit and each feedback link's: one Redis client.
        self.rate_limit = PublicRateLimit(settings, public_paths=(DOCS,))
        self.feedback_guard = FeedbackGuard(settings, self.rate_limit)
        self.feedback_links = new_links()
        self.workshop_join_guard = JoinGuard(settings, self.rate_limit)
        self.workshop_wakeups = Wakeups(settings)

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        """The runtime for the app's lifetime and, where the settings say so, a dispatcher
        delivering the outbox."""
        async with open_runtime(self.settings, self.plugins) as runtime:
            app.state.runtime = runtime
            if not self.settings.dispatch_in_app or runtime.plugin_context is None:
                yield
                return
            stop = asyncio.Event()
            dispatcher = Dispatcher.configured(
                runtime.plugin_context, runtime.plugins, runtime_sweeps(runtime), self.metrics
            )
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
        for plugin in self.plugins.values():
            plugin.metrics(self.metrics.registry)
        app_config.state["metrics"] = self.metrics
        app_config.state["response_cache"] = self.response_cache
        app_config.state["feedback_guard"] = self.feedback_guard
        app_config.state["feedback_links"] = self.feedback_links
        app_config.state["workshop_join_guard"] = self.workshop_join_guard
        app_config.state["workshop_wakeups"] = self.workshop_wakeups
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
                MeController,
                MyProgressController,
                MyTranscriptController,
                CompletionAdminController,
                GroupController,
                PluginController,
                player_router(),
                cmi5_launch,
                RosterController,
                AssignmentController,
                CompletionRecordsController,
                CoverageController,
                MyCertificateController,
                VerifyController,
                AuditController,
                ScenarioController,
                FeedbackSchoolsController,
                FeedbackFiguresController,
                PublicFeedbackController,
                feedback_assets(),
                # The inbox checks reasons against the feedback card, which it can't import
                # (feedback opens dialogues): the card is handed to it here.
                Router(
                    "/",
                    route_handlers=[DialoguesController],
                    dependencies={"card": Provide(provide_card, sync_to_thread=False)},
                ),
                ExitInterviewsController,
                ShopperVisitsController,
                FamilySurveysController,
                PlansController,
                MyActionPlanController,
                Cmi5Controller,
                Cmi5LaunchController,
                PacketsController,
                ConsoleSettingsController,
                ConsoleController,
                console_page,
                console_assets(),
                ImpactController,
                TrainingDatesController,
                dashboard,
                impact_assets(),
                WorkshopController,
                MyWorkshopsController,
                JoinController,
                workshop_pages(),
            ]
        )
        app_config.dependencies.update(DEPENDENCIES)
        app_config.exception_handlers.update(EXCEPTION_HANDLERS)
        # Replace Litestar's Struct schema plugin in place (appending would come after it, and
        # inserting would shift the list Litestar is iterating to call on_app_init).
        app_config.plugins[:] = [
            StrictStructSchemaPlugin() if type(p) is StructSchemaPlugin else p for p in app_config.plugins
        ]
        # Order matters: the public routes' rate limit before anything else is done for them;
        # then authentication, so idempotency keys are scoped by the caller.
        app_config.lifespan.append(self.rate_limit.lifespan)
        app_config.middleware.append(DefineMiddleware(RateLimitMiddleware, limiter=self.rate_limit))
        app_config.middleware.append(DefineMiddleware(BearerAuth, exclude=[f"^{DOCS}"]))
        app_config.middleware.append(IdempotencyMiddleware)
        app_config.before_request = require_json_body
        app_config.request_class = StrictRequest
        app_config.lifespan.append(self.lifespan)
        app_config.lifespan.append(self.workshop_wakeups.lifespan)
        # Last: everything the other lifespans build is long-lived too.
        app_config.lifespan.append(settled)
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
