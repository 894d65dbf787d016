"""Routes of "what the training changed" (scope `impact:read`): the trends per school and
period, the before/after comparison around each school's training date, each as JSON and as
CSV, and the dashboard page that draws them (public HTML; its data needs a key). HR sets a
school's training date by hand under `measures:write`, the scope it records what it measured with."""

import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from litestar import Controller, MediaType, Request, Response, Router, get, put
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.static_files import create_static_files_router

from api.content.catalog import Catalog, negotiate
from api.db import Sessions
from api.errors import problems
from api.http.params import moment_query
from api.identity.auth import Scope, principal_of, requires
from api.impact.page import ASSETS, HEADERS, dashboard_page
from api.impact.services import Impact
from api.impact.sheets import before_after_csv, trends_csv
from api.openapi import DownloadSpec
from schemas.impact import ImpactBeforeAfter, ImpactTrends, PeriodUnit, SchoolTrainingDate, TrainingDateSet

CSV = "text/csv; charset=utf-8"
TRENDS_CSV = DownloadSpec(
    media_type=CSV,
    label="CSV",
    description="UTF-8 CSV with a header row, one row per school and period: the school, the "
    "period's first day and the day after its last, then every figure of `Figures` flat "
    "(`score_N`: answers that gave N; `shopper_<channel>_visits` and `_mean_score`; `roster`; "
    "`<module>_completed` and `<module>_share` per module of the course). An empty cell is null. "
    "A text starting with `=`, `+`, `-`, `@`, a tab or a carriage return starts with an apostrophe.",
)
BEFORE_AFTER_CSV = DownloadSpec(
    media_type=CSV,
    label="CSV",
    description="UTF-8 CSV with a header row: per school its training date and how many have "
    "trained, then a `before` and an `after` row with the window's days and the same figure "
    "columns as the trends' CSV; a school without a training date has one row with those empty.",
)

PeriodParam = Annotated[
    PeriodUnit, QueryParameter(description="Cut into calendar `month`s or `week`s (Monday).")
]
FromParam = Annotated[
    str | None, moment_query("from", "The first period holds this (default: 11 periods before `to`'s)")
]
ToParam = Annotated[
    str | None, moment_query("to", "The last period holds the moment just before this (default: now)")
]
SchoolParam = Annotated[
    uuid.UUID | None, QueryParameter(description="One school (its feedback school id); default all.")
]
ThresholdParam = Annotated[
    int,
    QueryParameter(
        ge=1,
        le=100,
        description="A school's training date is the first day this percent of its roster had finished.",
    ),
]
ModuleParam = Annotated[
    str | None,
    QueryParameter(
        max_length=64, description="The module that counts as the training; default every module."
    ),
]
DaysParam = Annotated[int, QueryParameter(ge=7, le=365, description="Days in each window, before and after.")]


async def provide_impact(
    request: Request[Any, Any, Any], sessions: NamedDependency[Sessions], catalog: NamedDependency[Catalog]
) -> Impact:
    course = await catalog.course()
    return Impact(sessions, principal_of(request).district_id, list(course.modules))


def _csv(body: str, name: str) -> Response[str]:
    return Response(body, media_type=CSV, headers={"Content-Disposition": f'attachment; filename="{name}"'})


class ImpactController(Controller):
    """What the training changed: comparisons, not claims of cause."""

    path = "/api/v1/impact"
    tags = ["impact"]
    opt = requires(Scope.IMPACT_READ)
    dependencies = {"impact": Provide(provide_impact)}

    @get(
        "/trends",
        operation_id="getImpactTrends",
        summary="Per school and per month or week: experience score, dialogues, secret shoppers, "
        "beside the share of the roster who completed each module",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def trends(
        self,
        impact: NamedDependency[Impact],
        period: PeriodParam = "month",
        start: FromParam = None,
        end: ToParam = None,
        school_id: SchoolParam = None,
    ) -> ImpactTrends:
        """Whole periods in the district's time zone, at most 60. A figure counts what happened
        in its period (answers received, dialogues opened, visits made); coverage is as of the
        period's end, over the roster as it is now. A comparison, not a claim of cause."""
        return await impact.trends(period, start, end, school_id)

    @get(
        "/trends.csv",
        operation_id="getImpactTrendsCsv",
        summary="The trends as CSV: a row per school and period",
        media_type=CSV,
        opt={"downloads": (TRENDS_CSV,)},
        responses=problems(400, 401, 403, 404, 422),
    )
    async def trends_csv(
        self,
        impact: NamedDependency[Impact],
        period: PeriodParam = "month",
        start: FromParam = None,
        end: ToParam = None,
        school_id: SchoolParam = None,
    ) -> Response[str]:
        report = await impact.trends(period, start, end, school_id)
        return _csv(trends_csv(report), f"impact-{period}s.csv")

    @get(
        "/before-after",
        operation_id="getImpactBeforeAfter",
        summary="Per school: the figures of equal windows before and after its training date",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def before_after(
        self,
        impact: NamedDependency[Impact],
        threshold: ThresholdParam = 80,
        module: ModuleParam = None,
        days: DaysParam = 90,
        school_id: SchoolParam = None,
    ) -> ImpactBeforeAfter:
        """A school's training date is the first day (district time) on which `threshold`
        percent of its roster had completed the training: `module`, or every module of the
        course (an employee finishes on their last first completion). A comparison, not a claim
        of cause: read each figure with its count."""
        return await impact.before_after(threshold, module, days, school_id)

    @get(
        "/before-after.csv",
        operation_id="getImpactBeforeAfterCsv",
        summary="The before/after comparison as CSV: two rows per school with a training date",
        media_type=CSV,
        opt={"downloads": (BEFORE_AFTER_CSV,)},
        responses=problems(400, 401, 403, 404, 422),
    )
    async def before_after_csv(
        self,
        impact: NamedDependency[Impact],
        threshold: ThresholdParam = 80,
        module: ModuleParam = None,
        days: DaysParam = 90,
        school_id: SchoolParam = None,
    ) -> Response[str]:
        report = await impact.before_after(threshold, module, days, school_id)
        return _csv(before_after_csv(report), "impact-before-after.csv")


class TrainingDatesController(Controller):
    """The training date HR sets per school, over the one computed from the roster."""

    path = "/api/v1/impact/schools"
    tags = ["impact"]
    opt = requires(Scope.MEASURES_WRITE)
    dependencies = {"impact": Provide(provide_impact)}

    @put(
        "/{school_id:uuid}/training-date",
        operation_id="setImpactTrainingDate",
        summary="Set the day a school was trained (null: computed from its roster again)",
        responses=problems(400, 401, 403, 404, 413, 415, 422),
    )
    async def set_training_date(
        self,
        impact: NamedDependency[Impact],
        school_id: FromPath[uuid.UUID],
        data: JSONBody[TrainingDateSet],
    ) -> SchoolTrainingDate:
        """For a school whose staff were trained on one day (a workshop), or whose roster is not
        in Front Office: before/after then compares the windows around this day, whatever the
        threshold and module asked (`training_date_set` says so). `school_id` is the school's
        feedback school id, in the caller's district."""
        return await impact.set_training_date(school_id, data)


@get("/impact", operation_id="impactDashboard", include_in_schema=False, opt={"exclude_from_auth": True})
async def dashboard(
    request: Request[Any, Any, Any],
    lang: Annotated[str | None, QueryParameter(max_length=10)] = None,
) -> Response[str]:
    """The dashboard page, in `?lang=` or the browser's language (English or Spanish). It holds
    no data: its script reads the JSON routes with the key the reader gives it."""
    found = negotiate(lang, request.headers.get("accept-language"), ["en", "es"])
    language: Literal["en", "es"] = "es" if found == "es" else "en"
    return Response(
        dashboard_page(language),
        media_type=MediaType.HTML,
        headers={**HEADERS, "Content-Language": language, "Vary": "Accept-Language"},
    )


def impact_assets() -> Router:
    """The dashboard's script and styles (public; cached for an hour)."""
    return create_static_files_router(
        path=ASSETS,
        directories=[Path(__file__).parent / "static"],
        name="impact-assets",
        opt={"exclude_from_auth": True},
        cache_control=CacheControlHeader(max_age=3600, public=True),
        include_in_schema=False,
    )
