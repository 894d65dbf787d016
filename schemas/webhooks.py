"""Payloads of the webhook plugin: endpoints, their deliveries and the delivery log."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta

from schemas.base import Wire

EventPattern = Annotated[
    str,
    Meta(pattern=r"^(\*|[a-z]+(\.[a-z_]+|\.\*))$", description="An event type, `completion.*`, or `*`."),
]


class EndpointCreate(Wire, kw_only=True):
    """A new endpoint. Its signing secret is generated and shown once, in the response."""

    url: Annotated[str, Meta(min_length=8, max_length=2000, description="https URL that receives events.")]
    description: Annotated[str, Meta(max_length=500)] = ""
    event_types: Annotated[list[EventPattern], Meta(description="Event types to send; empty: all.")] = []
    enabled: bool = True


class EndpointUpdate(Wire, kw_only=True):
    """Changes to an endpoint; omitted fields stay as they are."""

    url: Annotated[str, Meta(min_length=8, max_length=2000)] | None = None
    description: Annotated[str, Meta(max_length=500)] | None = None
    event_types: list[EventPattern] | None = None
    enabled: Annotated[bool | None, Meta(description="Re-enabling clears a disabled state.")] = None


class EndpointView(Wire, kw_only=True):
    """An endpoint as listed: never its secret."""

    id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    state: Annotated[
        Literal["active", "failing", "disabled"],
        Meta(
            description="failing: deliveries fail since `failing_since`; "
            "disabled after 5 days of it, or a 410."
        ),
    ]
    failing_since: datetime | None = None
    disabled_reason: str | None = None
    rotating_until: Annotated[
        datetime | None, Meta(description="Until then the previous secret still signs too.")
    ] = None
    created_at: datetime


class EndpointSecret(Wire, kw_only=True):
    """An endpoint with its signing secret, shown only at creation and rotation."""

    secret: Annotated[str, Meta(description="`whsec_...`: verify signatures with it (Standard Webhooks).")]
    endpoint: EndpointView


class DeliveryView(Wire, kw_only=True):
    """One event's delivery to an endpoint."""

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: Literal["pending", "leased", "succeeded", "failed", "skipped"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime


class AttemptLog(Wire, kw_only=True):
    """One attempt at a delivery."""

    attempted_at: datetime
    status_code: int | None
    duration_ms: float
    response_excerpt: Annotated[str, Meta(description="The first 1 KiB of the response body.")]
    error: str | None


class DeliveryDetail(Wire, kw_only=True):
    delivery: DeliveryView
    attempts: list[AttemptLog]


class RecoverRequest(Wire, kw_only=True):
    """Redeliver everything that failed (or was skipped while disabled) since `since`."""

    since: datetime


class RecoverResult(Wire, kw_only=True):
    redelivering: int


class EventTypeView(Wire, kw_only=True):
    """A published event type an endpoint can subscribe to."""

    type: Annotated[str, Meta(description="The name to put in `event_types`, e.g. `completion.recorded`.")]
    description: Annotated[str, Meta(description="When it is sent (the first line of its documentation).")]
