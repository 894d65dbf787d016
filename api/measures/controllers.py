"""Measures' routes: record exit interviews, family surveys and secret-shopper visits
(`measures:write`), read them back and their figures per school (`feedback:read`)."""

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from api.db import Sessions
from api.errors import problems
from api.http.params import Limit
from api.identity.auth import Scope, principal_of, requires, requires_any
from api.measures.instruments import exit_guide_at, family_survey_at, rubrics_at
from api.measures.services import Measures
from api.settings import Settings
from schemas.measures import (
    Channel,
    ExitInterviewCreate,
    ExitInterviewGuide,
    ExitInterviewSummary,
    ExitInterviewView,
    FamilySurvey,
    FamilySurveyCreate,
    FamilySurveySummary,
    FamilySurveyView,
    SecretShopperRubrics,
    ShopperSummary,
    ShopperVisitCreate,
    ShopperVisitView,
)

READ = requires(Scope.FEEDBACK_READ)
WRITE = requires(Scope.MEASURES_WRITE)
# Whoever records (to build the form) or reads the figures (to label them) reads the instrument;
# the empty `scopes` lifts the controller's feedback:read, which opts merge into the route's.
INSTRUMENT = {**requires_any(Scope.FEEDBACK_READ, Scope.MEASURES_WRITE), "scopes": ()}
SchoolFilter = Annotated[
    uuid.UUID | None, QueryParameter(description="Only this school's (its feedback `id`).")
]


def provide_measures(request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]) -> Measures:
    return Measures(sessions, principal_of(request).district_id)


def provide_guide(settings: NamedDependency[Settings]) -> ExitInterviewGuide:
    return exit_guide_at(settings.content_path)


def provide_survey(settings: NamedDependency[Settings]) -> FamilySurvey:
    return family_survey_at(settings.content_path)


def provide_rubrics(settings: NamedDependency[Settings]) -> SecretShopperRubrics:
    return rubrics_at(settings.content_path)


class ExitInterviewsController(Controller):
    """Exit interviews with families who leave a school."""

    path = "/api/v1/exit-interviews"
    tags = ["measures"]
    opt = READ
    dependencies = {
        "measures": Provide(provide_measures, sync_to_thread=False),
        "guide": Provide(provide_guide, sync_to_thread=False),
    }

    @post(
        operation_id="recordExitInterview",
        summary="Record an exit interview, its answers checked against the guide; 409 if the school "
        "has exit interviews switched off",
        opt=WRITE,
        responses=problems(400, 401, 403, 409, 413, 415, 422),
    )
    async def record(
        self,
        measures: NamedDependency[Measures],
        guide: NamedDependency[ExitInterviewGuide],
        data: JSONBody[ExitInterviewCreate],
    ) -> ExitInterviewView:
        """`answers` by the guide's question ids; a bad answer is a 422 naming `$.answers.<id>`."""
        return await measures.record_exit(data, guide)

    @get(
        operation_id="listExitInterviews",
        summary="The district's exit interviews, latest first",
        responses=problems(400, 401, 403),
    )
    async def list_exits(
        self, measures: NamedDependency[Measures], school_id: SchoolFilter = None, limit: Limit = 100
    ) -> list[ExitInterviewView]:
        return await measures.exits(school_id, limit)

    @get(
        "/summary",
        operation_id="getExitInterviewSummary",
        summary="Per school: interviews, mean 0-10 score, the reasons for leaving most given",
        responses=problems(401, 403),
    )
    async def summary(self, measures: NamedDependency[Measures]) -> ExitInterviewSummary:
        return await measures.exit_summary()

    @get(
        "/guide",
        operation_id="getExitInterviewGuide",
        summary="The exit-interview guide in force: its questions, in English and Spanish",
        opt=INSTRUMENT,
        responses=problems(401, 403),
    )
    async def get_guide(self, guide: NamedDependency[ExitInterviewGuide]) -> ExitInterviewGuide:
        return guide

    @get(
        "/{interview_id:uuid}",
        operation_id="getExitInterview",
        summary="One exit interview",
        responses=problems(401, 403, 404),
    )
    async def get_exit(
        self, measures: NamedDependency[Measures], interview_id: FromPath[uuid.UUID]
    ) -> ExitInterviewView:
        return await measures.exit(interview_id)


class ShopperVisitsController(Controller):
    """Secret shoppers' calls, emails and visits, scored against each channel's rubric."""

    path = "/api/v1/shopper-visits"
    tags = ["measures"]
    opt = READ
    dependencies = {
        "measures": Provide(provide_measures, sync_to_thread=False),
        "rubrics": Provide(provide_rubrics, sync_to_thread=False),
    }

    @post(
        operation_id="recordShopperVisit",
        summary="Record a secret shopper's call, email or visit; the server scores it against the "
        "channel's rubric; 409 if the school has that channel switched off",
        opt=WRITE,
        responses=problems(400, 401, 403, 409, 413, 415, 422),
    )
    async def record(
        self,
        measures: NamedDependency[Measures],
        rubrics: NamedDependency[SecretShopperRubrics],
        data: JSONBody[ShopperVisitCreate],
    ) -> ShopperVisitView:
        """`answers` by the rubric's criterion ids; a bad answer is a 422 naming `$.answers.<id>`."""
        return await measures.record_visit(data, rubrics)

    @get(
        operation_id="listShopperVisits",
        summary="The district's secret-shopper visits, latest first",
        responses=problems(400, 401, 403),
    )
    async def list_visits(
        self,
        measures: NamedDependency[Measures],
        school_id: SchoolFilter = None,
        channel: Annotated[Channel | None, QueryParameter(description="Only this channel's.")] = None,
        limit: Limit = 100,
    ) -> list[ShopperVisitView]:
        return await measures.visits(school_id, channel, limit)

    @get(
        "/summary",
        operation_id="getShopperVisitSummary",
        summary="Per school and channel: visits, mean score, each criterion's pass rate",
        responses=problems(401, 403),
    )
    async def summary(
        self, measures: NamedDependency[Measures], rubrics: NamedDependency[SecretShopperRubrics]
    ) -> ShopperSummary:
        return await measures.shopper_summary(rubrics)

    @get(
        "/rubrics",
        operation_id="getShopperRubrics",
        summary="The secret-shopper rubrics in force, one per channel, in English and Spanish",
        opt=INSTRUMENT,
        responses=problems(401, 403),
    )
    async def get_rubrics(self, rubrics: NamedDependency[SecretShopperRubrics]) -> SecretShopperRubrics:
        return rubrics

    @get(
        "/{visit_id:uuid}",
        operation_id="getShopperVisit",
        summary="One secret-shopper visit with its score",
        responses=problems(401, 403, 404),
    )
    async def get_visit(
        self, measures: NamedDependency[Measures], visit_id: FromPath[uuid.UUID]
    ) -> ShopperVisitView:
        return await measures.visit(visit_id)


class FamilySurveysController(Controller):
    """Family surveys, entered by staff from paper or a phone call."""

    path = "/api/v1/family-surveys"
    tags = ["measures"]
    opt = READ
    dependencies = {
        "measures": Provide(provide_measures, sync_to_thread=False),
        "survey": Provide(provide_survey, sync_to_thread=False),
    }

    @post(
        operation_id="recordFamilySurvey",
        summary="Record a family's survey, its answers checked against the survey; 409 if the school "
        "has the family survey switched off",
        opt=WRITE,
        responses=problems(400, 401, 403, 409, 413, 415, 422),
    )
    async def record(
        self,
        measures: NamedDependency[Measures],
        survey: NamedDependency[FamilySurvey],
        data: JSONBody[FamilySurveyCreate],
    ) -> FamilySurveyView:
        """`answers` by the survey's question ids; a bad answer is a 422 naming `$.answers.<id>`."""
        return await measures.record_survey(data, survey)

    @get(
        operation_id="listFamilySurveys",
        summary="The district's family surveys, latest first",
        responses=problems(400, 401, 403),
    )
    async def list_surveys(
        self, measures: NamedDependency[Measures], school_id: SchoolFilter = None, limit: Limit = 100
    ) -> list[FamilySurveyView]:
        return await measures.surveys(school_id, limit)

    @get(
        "/summary",
        operation_id="getFamilySurveySummary",
        summary="Per school: surveys, mean 0-10 score, each scale's mean, each option's count",
        responses=problems(401, 403),
    )
    async def summary(
        self, measures: NamedDependency[Measures], survey: NamedDependency[FamilySurvey]
    ) -> FamilySurveySummary:
        return await measures.survey_summary(survey)

    @get(
        "/survey",
        operation_id="getFamilySurvey",
        summary="The family survey in force: its questions, in English and Spanish",
        opt=INSTRUMENT,
        responses=problems(401, 403),
    )
    async def get_survey(self, survey: NamedDependency[FamilySurvey]) -> FamilySurvey:
        return survey

    @get(
        "/{survey_id:uuid}",
        operation_id="getFamilySurveyRecord",
        summary="One family survey",
        responses=problems(401, 403, 404),
    )
    async def get_one(
        self, measures: NamedDependency[Measures], survey_id: FromPath[uuid.UUID]
    ) -> FamilySurveyView:
        return await measures.survey(survey_id)
