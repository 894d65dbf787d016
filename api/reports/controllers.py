"""Report routes: a group's answers to a form (for facilitators, districts and, within limits,
learners), and training coverage over the roster (for HR)."""

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from api.completions.controllers import PERIOD
from api.completions.records import Period
from api.content.catalog import Catalog
from api.db import Sessions
from api.errors import problems
from api.identity.auth import SCHOOL_SCOPED, Scope, principal_of, requires, requires_any
from api.reports.coverage import CoverageService
from api.reports.group import GroupService
from schemas.hr import (
    Outstanding,
    Summary,
)
from schemas.reports import CombinedList, FormAnalysis, FormResults, GroupFilter

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


def provide_coverage(
    request: Request[Any, Any, Any], sessions: NamedDependency[Sessions], catalog: NamedDependency[Catalog]
) -> CoverageService:
    principal = principal_of(request)
    return CoverageService(sessions, catalog, principal.district_id, principal.key_id, principal.actor)


class CoverageController(Controller):
    path = "/api/v1"
    tags = ["hr"]
    opt = requires(Scope.HR_READ)
    dependencies = {"coverage": Provide(provide_coverage, sync_to_thread=False)}

    @get(
        "/summaries/{by:str}",
        operation_id="getCompletionSummary",
        opt={SCHOOL_SCOPED: True},
        summary="Per school or per role: roster employees and how many completed each module",
        responses=problems(400, 401, 403, 404),
        dependencies=PERIOD,
    )
    async def summary(
        self,
        request: Request[Any, Any, Any],
        coverage: NamedDependency[CoverageService],
        period: NamedDependency[Period],
        by: FromPath[Literal["schools", "roles"]],
        school: Annotated[
            str,
            QueryParameter(description="Only this school's roster (a principal: their own).", max_length=200),
        ] = "",
        role: Annotated[str, QueryParameter(description="Only this job role's roster.", max_length=200)] = "",
    ) -> Summary:
        """Completed within `from` and `to` when given (what the employee completed then); without
        them, every live completion counts."""
        chosen = principal_of(request).school_filter(school)
        return await coverage.summary("school" if by == "schools" else "role", chosen, role, period)

    @get(
        "/outstanding",
        operation_id="listOutstandingEmployees",
        opt={SCHOOL_SCOPED: True},
        summary="Active roster employees who have not completed a module (whom HR chases)",
        responses=problems(400, 401, 403, 404),
    )
    async def outstanding(
        self,
        request: Request[Any, Any, Any],
        coverage: NamedDependency[CoverageService],
        module: Annotated[str, QueryParameter(description="Module id.", min_length=1, max_length=64)],
        school: Annotated[str, QueryParameter(description="School code.", max_length=200)] = "",
        role: Annotated[str, QueryParameter(description="Job role code.", max_length=200)] = "",
        overdue: Annotated[
            bool, QueryParameter(description="Only those past the due date of an assignment.")
        ] = False,
    ) -> list[Outstanding]:
        return await coverage.outstanding(module, principal_of(request).school_filter(school), role, overdue)
