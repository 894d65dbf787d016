"""The xAPI plugin's one route, behind the `admin` scope: the district's deliveries to its LRS,
so an administrator sees whether statements arrive and, when not, what the LRS answered."""

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy import select

from plugins.contract import Context, DeliveryRow, Scope, principal_of, problems, requires
from schemas.webhooks import DeliveryView


def delivery_view(row: DeliveryRow) -> DeliveryView:
    return DeliveryView(
        id=row.id,
        event_id=row.event_id,
        event_type=row.event_type,
        status=row.status,  # type: ignore[arg-type]
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
    )


class XapiController(Controller):
    path = "/api/v1/xapi"
    tags = ["xapi"]
    opt = requires(Scope.ADMIN)

    @get(
        "/deliveries",
        operation_id="listXapiDeliveries",
        summary="The district's deliveries of statements to its LRS, newest first",
        responses=problems(400, 401, 403),
    )
    async def deliveries(
        self,
        request: Request[Any, Any, Any],
        plugin_context: NamedDependency[Context],
        status: Annotated[
            Literal["pending", "leased", "succeeded", "failed", "skipped"] | None, QueryParameter()
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[DeliveryView]:
        query = (
            select(DeliveryRow)
            .where(DeliveryRow.plugin == "xapi", DeliveryRow.district_id == principal_of(request).district_id)
            .order_by(DeliveryRow.created_at.desc(), DeliveryRow.id)
            .limit(limit)
        )
        if status:
            query = query.where(DeliveryRow.status == status)
        async with plugin_context.sessions() as session:
            return [delivery_view(r) for r in (await session.execute(query)).scalars()]
