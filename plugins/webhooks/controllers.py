"""Webhook routes, behind the `admin` scope: endpoints and their deliveries, and the event types
an endpoint can subscribe to."""

import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from plugins.contract import Context, Scope, principal_of, problems, requires
from plugins.webhooks.service import EndpointService
from schemas.events import EVENT_TYPES
from schemas.webhooks import (
    DeliveryDetail,
    DeliveryView,
    EndpointCreate,
    EndpointSecret,
    EndpointUpdate,
    EndpointView,
    EventTypeView,
    RecoverRequest,
    RecoverResult,
)

EndpointId = FromPath[uuid.UUID]


def _service(request: Request[Any, Any, Any], context: Context) -> EndpointService:
    settings = context.settings
    return EndpointService(
        context.sessions,
        context.secret_box,
        principal_of(request).district_id,
        allow_http=settings.webhook_allow_http,
        allowlist=list(settings.outbound_allowlist),
    )


def _described(event_type: str, payload: type) -> EventTypeView:
    # A payload's docstring opens with "`type`: when it is sent"; its first paragraph says when.
    first = " ".join((payload.__doc__ or "").split("\n\n")[0].split())
    return EventTypeView(type=event_type, description=first.removeprefix(f"`{event_type}`:").strip())


# Not `ping`: it goes to the endpoint it tests, whatever that endpoint's event types.
EVENT_TYPE_VIEWS = [_described(n, p) for n, p in sorted(EVENT_TYPES.items()) if n != "ping"]


class EventTypeController(Controller):
    path = "/api/v1/webhooks/event-types"
    tags = ["webhooks"]
    opt = requires(Scope.ADMIN)

    @get(
        operation_id="listWebhookEventTypes",
        summary="The event types an endpoint can subscribe to, and when each is sent",
        responses=problems(401, 403),
    )
    async def event_types(self) -> list[EventTypeView]:
        return EVENT_TYPE_VIEWS


class EndpointController(Controller):
    path = "/api/v1/webhooks/endpoints"
    tags = ["webhooks"]
    opt = requires(Scope.ADMIN)

    @post(
        operation_id="createWebhookEndpoint",
        summary="Add an endpoint; its signing secret is shown once",
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 413, 415, 422),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        plugin_context: NamedDependency[Context],
        data: JSONBody[EndpointCreate],
    ) -> EndpointSecret:
        return await _service(request, plugin_context).create(data)

    @get(
        operation_id="listWebhookEndpoints", summary="The district's endpoints", responses=problems(401, 403)
    )
    async def list_endpoints(
        self, request: Request[Any, Any, Any], plugin_context: NamedDependency[Context]
    ) -> list[EndpointView]:
        return await _service(request, plugin_context).all()

    @get(
        "/{endpoint_id:uuid}",
        operation_id="getWebhookEndpoint",
        summary="One endpoint",
        responses=problems(401, 403, 404),
    )
    async def get_endpoint(
        self,
        request: Request[Any, Any, Any],
        plugin_context: NamedDependency[Context],
        endpoint_id: EndpointId,
    ) -> EndpointView:
        return await _service(request, plugin_context).get(endpoint_id)

    @patch(
        "/{endpoint_id:uuid}",
        operation_id="updateWebhookEndpoint",
        summary="Change an endpoint (re-enabling clears its disabled state)",
        responses=problems(400, 401, 403, 404, 413, 415, 422),
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        plugin_context: NamedDependency[Context],
        endpoint_id: EndpointId,
        data: JSONBody[EndpointUpdate],
    ) -> EndpointView:
        return await _service(request, plugin_context).update(endpoint_id, data)

    @delete(
        "/{endpoint_id:uuid}",
        operation_id="deleteWebhookEndpoint",
        summary="Remove an endpoint",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401, 403, 404),
    )
    async def remove(
        self,
        request: Request[Any, Any, Any],
        plugin_context: NamedDependency[Context],
        endpoint_id: EndpointId,
    ) -> None:
        await _service(request, plugin_context).delete(endpoint_id)

    @post(
        "/{endpoint_id:uuid}/rotate-secret",
        operation_id="rotateWebhookSecret",
        summary="A new signing secret; the old one also signs for 24 hours",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404),
    )
    async def rotate(
        self,
        request: Request[Any, Any, Any],
        plugin_context: NamedDependency[Context],
        endpoint_id: EndpointId,
    ) -> EndpointSecret:
        return await _service(request, plugin_context).rotate(endpoint_id)

    @post(
        "/{endpoint_id:uuid}/test",
        operation_id="testWebhookEndpoint",
        summary="Send a `ping` event",
        status_code=HTTP_202_ACCEPTED,
        responses=problems(401, 403, 404),
    )
    async def test(
        self,
        request: Request[Any, Any, Any],
        plugin_context: NamedDependency[Context],
        endpoint_id: EndpointId,
    ) -> None:
        await _service(request, plugin_context).ping(endpoint_id)

    @get(
        "/{endpoint_id:uuid}/deliveries",
        operation_id="listWebhookDeliveries",
        summary="The endpoint's deliveries, newest first",
        responses=problems(400, 401, 403, 404),
    )
    async def deliveries(
        self,
        request: Request[Any, Any, Any],
        plugin_context: NamedDependency[Context],
        endpoint_id: EndpointId,
        status: Annotated[
            Literal["pending", "leased", "succeeded", "failed", "skipped"] | None, QueryParameter()
        ] = None,
        event_type: Annotated[str | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[DeliveryView]:
        return await _service(request, plugin_context).deliveries(endpoint_id, status, event_type, limit)

    @get(
        "/{endpoint_id:uuid}/deliveries/{delivery_id:uuid}",
        operation_id="getWebhookDelivery",
        summary="One delivery with its attempt log",
        responses=problems(401, 403, 404),
    )
    async def delivery(
        self,
        request: Request[Any, Any, Any],
        plugin_context: NamedDependency[Context],
        endpoint_id: EndpointId,
        delivery_id: FromPath[uuid.UUID],
    ) -> DeliveryDetail:
        return await _service(request, plugin_context).delivery(endpoint_id, delivery_id)

    @post(
        "/{endpoint_id:uuid}/deliveries/{delivery_id:uuid}/redeliver",
        operation_id="redeliverWebhook",
        summary="Deliver one delivery again",
        status_code=HTTP_202_ACCEPTED,
        responses=problems(401, 403, 404),
    )
    async def redeliver(
        self,
        request: Request[Any, Any, Any],
        plugin_context: NamedDependency[Context],
        endpoint_id: EndpointId,
        delivery_id: FromPath[uuid.UUID],
    ) -> DeliveryView:
        return await _service(request, plugin_context).redeliver(endpoint_id, delivery_id)

    @post(
        "/{endpoint_id:uuid}/recover",
        operation_id="recoverWebhookEndpoint",
        summary="Redeliver everything that failed or was skipped since a time",
        status_code=HTTP_202_ACCEPTED,
        responses=problems(400, 401, 403, 404, 413, 415, 422),
    )
    async def recover(
        self,
        request: Request[Any, Any, Any],
        plugin_context: NamedDependency[Context],
        endpoint_id: EndpointId,
        data: JSONBody[RecoverRequest],
    ) -> RecoverResult:
        return RecoverResult(
            redelivering=await _service(request, plugin_context).recover(endpoint_id, data.since)
        )
