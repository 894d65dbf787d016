"""Progress routes: learner tokens (for district backends), a learner's own work (with a
learner token), and voiding a completion (administrators)."""

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth import Scope, principal_of, requires, requires_any
from api.content.catalog import Catalog
from api.db import Sessions
from api.errors import Forbidden, problems
from api.progress.group import GroupService
from api.progress.services import LearnerService, ProgressService, void_completion
from api.progress.tokens import TokenKey
from schemas.progress import (
    AnswersSave,
    AttemptSubmit,
    AttemptView,
    CompletionView,
    LearnerToken,
    LearnerTokenRequest,
    LearnerView,
    ModuleProgress,
    SubmitResult,
    Transcript,
    VoidRequest,
)
from schemas.reports import CombinedList, FormAnalysis, FormResults, GroupFilter


def provide_progress(
    request: Request[Any, Any, Any], sessions: NamedDependency[Sessions], catalog: NamedDependency[Catalog]
) -> ProgressService:
    principal = principal_of(request)
    assert principal.learner_id is not None  # routes below require the learner scope
    return ProgressService(sessions, catalog, principal.district_id, principal.learner_id, principal.cohort)


class LearnerTokenController(Controller):
    path = "/api/v1/learner-tokens"
    tags = ["learners"]

    @post(
        operation_id="createLearnerToken",
        summary="Create or update a learner and get a token for them",
        opt=requires(Scope.PROGRESS_WRITE),
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 413, 415, 422),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        token_key: NamedDependency[TokenKey],
        data: JSONBody[LearnerTokenRequest],
    ) -> LearnerToken:
        principal = principal_of(request)
        if data.facilitator and Scope.CONTENT_FACILITATE not in principal.scopes:
            raise Forbidden(
                "Only a key holding `content:facilitate` may create a facilitator token; "
                "ask your administrator for that scope or leave `facilitator` false."
            )
        service = LearnerService(sessions, principal.district_id)
        return await service.token(
            data.learner, data.cohort, data.ttl_minutes, await token_key.get(), data.facilitator
        )


class MyProgressController(Controller):
    """A learner's own work; every route takes a learner token and acts for its learner."""

    path = "/api/v1/me"
    tags = ["progress"]
    opt = requires(Scope.LEARNER)
    dependencies = {"progress": Provide(provide_progress, sync_to_thread=False)}

    @get(operation_id="getMe", summary="The learner the token is for", responses=problems(401, 403, 404))
    async def me(self, request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]) -> LearnerView:
        principal = principal_of(request)
        assert principal.learner_id is not None
        return await LearnerService(sessions, principal.district_id).get(principal.learner_id)

    @get(
        "/progress",
        operation_id="getMyProgress",
        summary="Status of every module and what remains",
        responses=problems(401, 403, 404),
    )
    async def progress(self, progress: NamedDependency[ProgressService]) -> list[ModuleProgress]:
        return await progress.progress()

    @get(
        "/transcript",
        operation_id="getMyTranscript",
        summary="Every completion and total credit",
        responses=problems(401, 403, 404),
    )
    async def transcript(self, progress: NamedDependency[ProgressService]) -> Transcript:
        return await progress.transcript()

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
        self, progress: NamedDependency[ProgressService], module_id: FromPath[str], form_id: FromPath[str]
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
        self, progress: NamedDependency[ProgressService], module_id: FromPath[str], form_id: FromPath[str]
    ) -> list[AttemptView]:
        return await progress.attempts(module_id, form_id)

    @get(
        "/attempts/{attempt_id:uuid}",
        operation_id="getAttempt",
        summary="One of the learner's attempts",
        responses=problems(401, 403, 404),
    )
    async def attempt(
        self, progress: NamedDependency[ProgressService], attempt_id: FromPath[uuid.UUID]
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
        progress: NamedDependency[ProgressService],
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
        progress: NamedDependency[ProgressService],
        attempt_id: FromPath[uuid.UUID],
        data: JSONBody[AttemptSubmit],
    ) -> SubmitResult:
        return await progress.submit(attempt_id, data.answers)


class CompletionAdminController(Controller):
    path = "/api/v1/completions"
    tags = ["completions"]
    opt = requires(Scope.ADMIN)

    @post(
        "/{completion_id:uuid}/void",
        operation_id="voidCompletion",
        summary="Void a completion with a reason (it is kept, never deleted)",
        status_code=HTTP_200_OK,
        responses=problems(400, 401, 403, 404, 409, 413, 415),
    )
    async def void(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        completion_id: FromPath[uuid.UUID],
        data: JSONBody[VoidRequest],
    ) -> CompletionView:
        principal = principal_of(request)
        return await void_completion(
            sessions, principal.district_id, completion_id, data.reason, principal.key_id
        )


GroupQuery = Annotated[str, QueryParameter(description="Narrow to one value; empty: all.")]


def provide_group(
    request: Request[Any, Any, Any],
    sessions: NamedDependency[Sessions],
    catalog: NamedDependency[Catalog],
    school: GroupQuery = "",
    role: GroupQuery = "",
    cohort: GroupQuery = "",
) -> GroupService:
    """The group view service for the caller's district, narrowed by the query's filters."""
    principal = principal_of(request)
    return GroupService(
        sessions,
        catalog,
        principal.district_id,
        GroupFilter(school=school, role=role, cohort=cohort),
        for_learner=principal.learner_id is not None,
    )


class GroupController(Controller):
    """The group's view of a form, for facilitators and district reports; never names anyone."""

    path = "/api/v1/reports/modules/{module_id:str}/forms/{form_id:str}"
    tags = ["reports"]
    dependencies = {"group": Provide(provide_group, sync_to_thread=False)}

    @get(
        "/items/{item_id:str}/combined",
        operation_id="getCombinedList",
        summary="Everything the group named for a list item, counted (learners may see it too)",
        opt=requires_any(Scope.REPORTS_READ, Scope.CONTENT_FACILITATE, Scope.LEARNER),
        responses=problems(400, 401, 403, 404),
    )
    async def combined(
        self,
        group: NamedDependency[GroupService],
        module_id: FromPath[str],
        form_id: FromPath[str],
        item_id: FromPath[str],
    ) -> CombinedList:
        return await group.combined_list(module_id, form_id, item_id)

    @get(
        "/results",
        operation_id="getFormResults",
        summary="Anonymous results of a form (ratings, comments), once enough people responded",
        opt=requires_any(Scope.REPORTS_READ, Scope.CONTENT_FACILITATE),
        responses=problems(400, 401, 403, 404),
    )
    async def results(
        self,
        group: NamedDependency[GroupService],
        module_id: FromPath[str],
        form_id: FromPath[str],
    ) -> FormResults:
        return await group.results(module_id, form_id)

    @get(
        "/analysis",
        operation_id="getItemAnalysis",
        summary="Knowledge-check item analysis: percent right per item and option",
        opt=requires_any(Scope.REPORTS_READ, Scope.CONTENT_FACILITATE),
        responses=problems(400, 401, 403, 404),
    )
    async def analysis(
        self,
        group: NamedDependency[GroupService],
        module_id: FromPath[str],
        form_id: FromPath[str],
    ) -> FormAnalysis:
        return await group.analysis(module_id, form_id)
