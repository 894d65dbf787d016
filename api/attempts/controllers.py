"""Progress routes: learner tokens (for district backends), a learner's own work (with a
learner token), and voiding a completion (administrators)."""

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.attempts.scenario_steps import ScenarioService
from api.attempts.services import AttemptService
from api.content.catalog import Catalog
from api.content.controllers import Lang, TextFormat
from api.db import Sessions
from api.errors import problems
from api.identity.auth import Scope, principal_of, requires
from api.metrics import Metrics
from schemas.progress import (
    AnswersSave,
    AttemptSubmit,
    AttemptView,
    ModuleProgress,
    SubmitResult,
)
from schemas.scenarios import ScenarioStep, ScenarioWalk


def provide_attempts(
    request: Request[Any, Any, Any],
    sessions: NamedDependency[Sessions],
    catalog: NamedDependency[Catalog],
    metrics: NamedDependency[Metrics],
    lang: Lang = None,
) -> AttemptService:
    """The learner's work, with feedback in the language they read now (`?lang=`, else
    Accept-Language), whichever language they answered in."""
    principal = principal_of(request)
    assert principal.learner_id is not None  # routes below require the learner scope
    return AttemptService(
        sessions,
        catalog,
        principal.district_id,
        principal.learner_id,
        principal.cohort,
        languages=(lang, request.headers.get("accept-language")),
        metrics=metrics,
    )


class MyProgressController(Controller):
    """A learner's own work; every route takes a learner token and acts for its learner."""

    path = "/api/v1/me"
    tags = ["progress"]
    opt = requires(Scope.LEARNER)
    dependencies = {"progress": Provide(provide_attempts, sync_to_thread=False)}

    @get(
        "/progress",
        operation_id="getMyProgress",
        summary="Status of every module and what remains",
        responses=problems(401, 403, 404),
    )
    async def progress(self, progress: NamedDependency[AttemptService]) -> list[ModuleProgress]:
        return await progress.progress()

    @post(
        "/modules/{module_id:str}/forms/{form_id:str}/attempts",
        operation_id="startAttempt",
        summary="Start an attempt at a form (or get the open draft)",
        status_code=HTTP_201_CREATED,
        responses={
            **problems(400, 401, 403, 404, 409, 422),
        },
    )
    async def start(
        self, progress: NamedDependency[AttemptService], module_id: FromPath[str], form_id: FromPath[str]
    ) -> Response[AttemptView]:
        attempt, created = await progress.start(module_id, form_id)
        return Response(attempt, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get(
        "/modules/{module_id:str}/forms/{form_id:str}/attempts",
        operation_id="listAttempts",
        summary="The learner's attempts at a form",
        responses=problems(401, 403, 404),
    )
    async def attempts(
        self, progress: NamedDependency[AttemptService], module_id: FromPath[str], form_id: FromPath[str]
    ) -> list[AttemptView]:
        return await progress.attempts(module_id, form_id)

    @get(
        "/attempts/{attempt_id:uuid}",
        operation_id="getAttempt",
        summary="One of the learner's attempts",
        responses=problems(401, 403, 404),
    )
    async def attempt(
        self, progress: NamedDependency[AttemptService], attempt_id: FromPath[uuid.UUID]
    ) -> AttemptView:
        return await progress.attempt(attempt_id)

    @put(
        "/attempts/{attempt_id:uuid}/answers",
        operation_id="saveAnswers",
        summary="Save draft answers (autosave); they replace the draft's answers",
        responses=problems(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def save(
        self,
        progress: NamedDependency[AttemptService],
        attempt_id: FromPath[uuid.UUID],
        data: JSONBody[AnswersSave],
    ) -> AttemptView:
        return await progress.save(attempt_id, data.answers)

    @post(
        "/attempts/{attempt_id:uuid}/submit",
        operation_id="submitAttempt",
        summary="Submit an attempt: it is scored, and the module's completion is decided",
        status_code=HTTP_200_OK,
        responses=problems(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def submit(
        self,
        progress: NamedDependency[AttemptService],
        attempt_id: FromPath[uuid.UUID],
        data: JSONBody[AttemptSubmit],
        lang: Lang = None,
    ) -> SubmitResult:
        # `lang` (or Accept-Language) is read where the service is provided; declared here so
        # that the document says a text answer is marked in the learner's language.
        del lang
        return await progress.submit(attempt_id, data.answers)


class ScenarioController(Controller):
    path = "/api/v1/me/attempts/{attempt_id:uuid}/scenarios"
    tags = ["progress"]
    opt = requires(Scope.LEARNER)

    @post(
        "/{item_id:str}/steps",
        operation_id="stepScenario",
        summary="Walk a scenario: the node (or ending) a path of choices reaches, and the last "
        "choice's feedback",
        status_code=HTTP_200_OK,
        responses=problems(400, 401, 403, 404, 413, 415, 422),
    )
    async def step(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        catalog: NamedDependency[Catalog],
        attempt_id: FromPath[uuid.UUID],
        item_id: FromPath[str],
        data: JSONBody[ScenarioWalk],
        lang: Lang = None,
        format: TextFormat = "markdown",
    ) -> Response[ScenarioStep]:
        principal = principal_of(request)
        assert principal.learner_id is not None  # the learner scope says so
        service = ScenarioService(sessions, catalog, principal.district_id, principal.learner_id)
        step, locale = await service.step(
            attempt_id, item_id, data.path, lang, request.headers.get("accept-language"), format
        )
        return Response(step, headers={"Content-Language": locale, "Vary": "Accept-Language, Authorization"})
