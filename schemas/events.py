"""Event payloads: what the outbox records and the plugins deliver.

Each event type is versioned in its name (`completion.recorded` is version 1 of that event);
payloads evolve by msgspec's schema-evolution rules: new fields get defaults, types never
change, and a breaking change is a new type name. No event carries a learner's answers.
"""

import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar

from msgspec import Meta

from schemas.base import Wire


class LearnerRef(Wire, kw_only=True):
    """Who the event is about, as the district knows them."""

    id: uuid.UUID
    external_id: str
    employee_id: str
    email: str
    name: str
    school: str
    role: str


class CompletionRecorded(Wire, kw_only=True):
    """`completion.recorded`: a learner met a module's completion rule for the first time."""

    type_name: ClassVar[str] = "completion.recorded"

    completion_id: uuid.UUID
    learner: LearnerRef
    module_id: str
    module_version: str
    module_title: str
    score: Annotated[float | None, Meta(description="0 to 1; null for modules without a scored quiz.")]
    passed: bool | None
    started_at: datetime
    completed_at: datetime
    credit_minutes: float
    certificate_code: str


class AttemptSubmitted(Wire, kw_only=True):
    """`attempt.submitted`: a knowledge-check attempt was submitted and marked."""

    type_name: ClassVar[str] = "attempt.submitted"

    attempt_id: uuid.UUID
    learner: LearnerRef
    module_id: str
    module_version: str
    form_id: str
    number: int
    score: float | None
    passed: bool | None
    submitted_at: datetime


class FormSubmitted(Wire, kw_only=True):
    """`form.submitted`: a worksheet, self-assessment or reflection was submitted (no answers)."""

    type_name: ClassVar[str] = "form.submitted"

    attempt_id: uuid.UUID
    learner: LearnerRef
    module_id: str
    module_version: str
    form_id: str
    form_kind: str
    submitted_at: datetime


class CompletionVoided(Wire, kw_only=True):
    """`completion.voided`: an administrator voided a completion record, with a reason."""

    type_name: ClassVar[str] = "completion.voided"

    completion_id: uuid.UUID
    learner: LearnerRef
    module_id: str
    reason: str
    voided_at: datetime


class EndpointFailing(Wire, kw_only=True):
    """`endpoint.failing`: a webhook endpoint of the district has failed since `failing_since`;
    sent when failing starts and again a day before it is disabled."""

    type_name: ClassVar[str] = "endpoint.failing"

    endpoint_id: uuid.UUID
    url: str
    failing_since: datetime
    disables_at: datetime


class EndpointDisabled(Wire, kw_only=True):
    """`endpoint.disabled`: a webhook endpoint was disabled (5 days of failures, or a 410)."""

    type_name: ClassVar[str] = "endpoint.disabled"

    endpoint_id: uuid.UUID
    url: str
    reason: str


class Ping(Wire, kw_only=True):
    """`ping`: a test event sent to one endpoint on request."""

    type_name: ClassVar[str] = "ping"

    endpoint_id: uuid.UUID
    message: str


EVENT_TYPES: dict[str, type[Wire]] = {
    cls.type_name: cls
    for cls in (
        CompletionRecorded,
        AttemptSubmitted,
        FormSubmitted,
        CompletionVoided,
        EndpointFailing,
        EndpointDisabled,
        Ping,
    )
}
"""Every event type, by name: the webhooks section of the OpenAPI document is made from it."""


class Envelope(Wire, kw_only=True):
    """How every event is delivered: one JSON envelope."""

    type: Annotated[str, Meta(description="Event type, e.g. `completion.recorded`.")]
    id: Annotated[uuid.UUID, Meta(description="Event id: the idempotency key to deduplicate on.")]
    timestamp: Annotated[datetime, Meta(description="When the event happened (UTC).")]
    data: Annotated[dict[str, Any], Meta(description="The event's payload, per its type.")]
