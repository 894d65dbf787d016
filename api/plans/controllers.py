"""Plans' routes: read a district's campus action plans (`plans:read`, or `plans:write`), make
and change items (`plans:write`), the re-measure setting (`admin` sets it), and a learner's
share of their module-5 action plan (learner token)."""

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.db import Sessions
from api.errors import problems
from api.http.params import Limit
from api.identity.auth import Scope, principal_of, requires, requires_any
from api.plans.services import Filters, Plans, share_action_plan
from schemas.plans import (
    ActionPlanShare,
    ActionPlanShared,
    PlanItemChange,
    PlanItemCreate,
    PlanItemView,
    PlanPage,
    PlanSettings,
    PlanSource,
    PlanStatus,
    PlanSummary,
)

READ = requires_any(Scope.PLANS_READ, Scope.PLANS_WRITE)
WRITE = requires(Scope.PLANS_WRITE)
# The district's setting is an administrator's; the empty `any_scope` lifts the controller's.
ADMIN = {**requires(Scope.ADMIN), "any_scope": ()}


def provide_plans(
    request: Request[Any, Any, Any], sessions: NamedDependency[Sessions], signing_key: NamedDependency[str]
) -> Plans:
    return Plans(sessions, principal_of(request).district_id, signing_key)


class PlansController(Controller):
    """A district's campus action plans, school by school."""

    path = "/api/v1/plans"
    tags = ["plans"]
    opt = READ
    dependencies = {"plans": Provide(provide_plans, sync_to_thread=False)}

    @post(
        operation_id="createPlanItem",
        summary="Add a step to a school's campus action plan; its re-measure date is set 30-60 days on",
        opt=WRITE,
        responses=problems(400, 401, 403, 413, 415, 422),
    )
    async def create(self, plans: NamedDependency[Plans], data: JSONBody[PlanItemCreate]) -> PlanItemView:
        """Starts `open`, planned today (district time); `remeasure_in_days` defaults to the district's
        setting. A school of another district is a 422 on `$.school_id`."""
        return await plans.create(data)

    @get(
        operation_id="listPlanItems",
        summary="The district's plan items, newest first, filtered, in pages (cursor pagination)",
        responses=problems(400, 401, 403),
    )
    async def list_items(
        self,
        plans: NamedDependency[Plans],
        school_id: Annotated[
            uuid.UUID | None, QueryParameter(description="Only this school's (its feedback `id`).")
        ] = None,
        status: Annotated[PlanStatus | None, QueryParameter(description="Only this status.")] = None,
        source: Annotated[
            PlanSource | None, QueryParameter(description="Only those made by staff, or from module 5.")
        ] = None,
        cursor: Annotated[
            str | None, QueryParameter(description="`next_cursor` of the previous page.")
        ] = None,
        limit: Limit = 100,
    ) -> PlanPage:
        return await plans.page(Filters(school_id=school_id, status=status, source=source), cursor, limit)

    @get(
        "/summary",
        operation_id="getPlanSummary",
        summary="Per school: plan items by status, and those whose re-measure date has come",
        responses=problems(401, 403),
    )
    async def summary(self, plans: NamedDependency[Plans]) -> PlanSummary:
        return await plans.summary()

    @get(
        "/settings",
        operation_id="getPlanSettings",
        summary="The district's plan settings: days from planning an item to its re-measure date",
        responses=problems(401, 403),
    )
    async def get_settings(self, plans: NamedDependency[Plans]) -> PlanSettings:
        return await plans.settings()

    @put(
        "/settings",
        operation_id="setPlanSettings",
        summary="Set the days (30-60) from planning an item to its re-measure date, for items planned "
        "from now on",
        opt=ADMIN,
        responses=problems(400, 401, 403, 413, 415, 422),
    )
    async def set_settings(self, plans: NamedDependency[Plans], data: JSONBody[PlanSettings]) -> PlanSettings:
        return await plans.set_settings(data)

    @get(
        "/{item_id:uuid}",
        operation_id="getPlanItem",
        summary="One plan item",
        responses=problems(401, 403, 404),
    )
    async def get_item(self, plans: NamedDependency[Plans], item_id: FromPath[uuid.UUID]) -> PlanItemView:
        return await plans.get(item_id)

    @patch(
        "/{item_id:uuid}",
        operation_id="changePlanItem",
        summary="Change a plan item: its texts, status (a draft set open is adopted), follow-up or "
        "re-measure date",
        opt=WRITE,
        responses=problems(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def change(
        self, plans: NamedDependency[Plans], item_id: FromPath[uuid.UUID], data: JSONBody[PlanItemChange]
    ) -> PlanItemView:
        return await plans.change(item_id, data)


class MyActionPlanController(Controller):
    """A learner's module-5 action plan, shared with their school."""

    path = "/api/v1/me/action-plan"
    tags = ["plans"]
    opt = requires(Scope.LEARNER)

    @post(
        "/share",
        operation_id="shareMyActionPlan",
        summary="Share the campus-team steps of your submitted action plan with your school, as draft "
        "plan items",
        status_code=HTTP_201_CREATED,
        responses={
            HTTP_200_OK: ResponseSpec(
                data_container=ActionPlanShared,
                description="This attempt was shared before: the items it made; nothing was written.",
                generate_examples=False,
            ),
            **problems(400, 401, 403, 404, 409, 413, 415, 422),
        },
    )
    async def share(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        data: JSONBody[ActionPlanShare],
    ) -> Response[ActionPlanShared]:
        """Only the campus-team table is shared (your personal plan stays yours), with your school
        (your profile's school, by code or name) and your name only if `named` is true. Staff see
        the drafts and adopt them by setting them `open`."""
        principal = principal_of(request)
        assert principal.learner_id is not None  # the learner scope holds one
        shared, made = await share_action_plan(sessions, principal.district_id, principal.learner_id, data)
        return Response(shared, status_code=HTTP_201_CREATED if made else HTTP_200_OK)
