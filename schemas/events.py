"""Event payloads: what the outbox records and the plugins deliver.

Each event type is versioned in its name (`completion.recorded` is version 1 of that event);
payloads evolve by msgspec's schema-evolution rules: new fields get defaults, types never
change, and a breaking change is a new type name. No event carries a learner's answers.

On the wire every event is an `Envelope` (`type`, `id`, `timestamp`, `data`). Plugins get the
same shape typed: `Event`, a tagged union on `type` whose `data` is the payload Struct, decoded
once per event by the dispatcher and encoding to the very same JSON. `EVENT_TYPES` are the
published ones (webhooks, the OpenAPI document); `lti.started` is the LTI plugin's own.
"""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, get_type_hints

import msgspec
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


class CompletionRescored(Wire, kw_only=True):
    """`completion.rescored`: a knowledge check taken again after the module was completed changed
    the score the record keeps (each check's policy says which attempt counts: the best, say)."""

    completion_id: uuid.UUID
    learner: LearnerRef
    module_id: str
    module_version: str
    module_title: str
    score: Annotated[float | None, Meta(description="The score the record now keeps, 0 to 1.")]
    passed: bool | None
    attempts: Annotated[int, Meta(description="Attempts made at the module's knowledge checks.")]
    previous_score: float | None
    rescored_at: datetime


class AttemptSubmitted(Wire, kw_only=True):
    """`attempt.submitted`: a knowledge-check attempt was submitted and marked."""

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

    attempt_id: uuid.UUID
    learner: LearnerRef
    module_id: str
    module_version: str
    form_id: str
    form_kind: str
    submitted_at: datetime


class CompletionVoided(Wire, kw_only=True):
    """`completion.voided`: an administrator voided a completion record, with a reason."""

    completion_id: uuid.UUID
    learner: LearnerRef
    module_id: str
    reason: str
    voided_at: datetime


class EndpointFailing(Wire, kw_only=True):
    """`endpoint.failing`: a webhook endpoint of the district has failed since `failing_since`;
    sent when failing starts and again a day before it is disabled."""

    endpoint_id: uuid.UUID
    url: str
    failing_since: datetime
    disables_at: datetime


class EndpointDisabled(Wire, kw_only=True):
    """`endpoint.disabled`: a webhook endpoint was disabled (5 days of failures, or a 410)."""

    endpoint_id: uuid.UUID
    url: str
    reason: str


class Ping(Wire, kw_only=True):
    """`ping`: a test event sent to one endpoint on request."""

    endpoint_id: uuid.UUID
    message: str


class LtiStarted(Wire, kw_only=True):
    """`lti.started`: a learner's first launch of a module from an LMS that takes grades, to
    report as `Started`. The LTI plugin's own event: not sent to webhooks, not documented."""

    launch_id: uuid.UUID
    module_id: str
    at: datetime


class SchoolRef(Wire, kw_only=True):
    """A school with a feedback link."""

    id: uuid.UUID
    code: str
    name: str


class ContactConsented(Wire, kw_only=True):
    """How the family asked to be contacted; present only when they consented to it."""

    name: str
    phone: str
    email: str


class FeedbackReceived(Wire, kw_only=True):
    """`feedback.received`: a family's answer to a school's feedback card was counted (the
    first of the day from its device). Anonymous unless the family asked to be contacted and
    consented: only then does `contact` carry their name, phone and email."""

    answer_id: uuid.UUID
    school: SchoolRef
    instrument: Annotated[str, Meta(description="The card and its version, e.g. `feedback-card@1`.")]
    score: Annotated[int, Meta(description="0 to 10.")]
    reason: str
    resolved: bool
    comment: Annotated[str, Meta(description="Plain text as the family typed it; never render as HTML.")]
    language: str
    contact: ContactConsented | None
    received_at: datetime


class SurveyReceived(Wire, kw_only=True):
    """`survey.received`: a family's own answers to the family survey, sent from the school's
    public survey page, were counted (the first of the day from its device). Anonymous: the
    scale and choice answers only; free text is counted, never sent (it may name someone)."""

    survey_id: Annotated[uuid.UUID, Meta(description="The stored survey (`GET /api/v1/family-surveys`).")]
    school: SchoolRef
    instrument: Annotated[str, Meta(description="The survey and its version, e.g. `family-survey@1`.")]
    score: Annotated[int | None, Meta(description="The 0-10 answer; null if skipped.")]
    answers: Annotated[
        dict[str, int | str | list[str]],
        Meta(
            description="By question id, the scale and choice questions answered: a whole number, "
            "an option id, or a list of them."
        ),
    ]
    text_answers: Annotated[int, Meta(description="How many text questions the family answered.")]
    language: str
    received_at: datetime


class DialogueOpened(Wire, kw_only=True):
    """`dialogue.opened`: a concern entered the district's inbox: a family's feedback answer
    asked to be contacted (`source` feedback), or staff entered one from a call or a visit."""

    dialogue_id: uuid.UUID
    school: SchoolRef
    source: Annotated[str, Meta(description="`feedback` or `staff`.")]
    answer_id: Annotated[uuid.UUID | None, Meta(description="The feedback answer it came from.")]
    reason: str
    summary: Annotated[str, Meta(description="Plain text; never render as HTML.")]
    contact: ContactConsented | None
    owner: str
    team: str
    opened_at: datetime
    due_at: datetime


class DialoguePastDue(Wire, kw_only=True):
    """`dialogue.past_due`: a dialogue still open (or waiting) passed its due time; sent once."""

    dialogue_id: uuid.UUID
    school: SchoolRef
    reason: str
    status: str
    owner: str
    team: str
    opened_at: datetime
    due_at: datetime


class PlanDue(Wire, kw_only=True):
    """`plan.due`: a campus action plan's item (open or done) reached its re-measure date: time to
    measure again and see whether the change worked; sent once per item."""

    plan_item_id: uuid.UUID
    school: SchoolRef
    status: str
    what: Annotated[str, Meta(description="Plain text; never render as HTML.")]
    who: str
    how_we_know: Annotated[str, Meta(description="How the plan said it would know it worked.")]
    planned_on: date
    remeasure_on: date
    created_by: Annotated[str, Meta(description="Who made it, if they chose to be named; else empty.")]


class DialogueClosed(Wire, kw_only=True):
    """`dialogue.closed`: a dialogue was closed."""

    dialogue_id: uuid.UUID
    school: SchoolRef
    reason: str
    first_contact_resolved: bool
    owner: str
    team: str
    opened_at: datetime
    closed_at: datetime
    age_business_hours: Annotated[float, Meta(description="Business hours from opening to closing.")]


class EmployeeRef(Wire, kw_only=True):
    """A roster employee, as HR's roster names them."""

    employee_id: str
    name: str
    email: str
    school_code: str
    role_code: str


class AssignmentOverdue(Wire, kw_only=True):
    """`assignment.overdue`: an active roster employee had not completed an assigned module by
    its due date; sent once per assignment and employee, for a district's email or LMS to
    remind them."""

    assignment_id: uuid.UUID
    module_id: str
    module_title: str
    due_on: Annotated[date, Meta(description="The due date, in the district's time zone.")]
    employee: EmployeeRef
    overdue_at: Annotated[datetime, Meta(description="When the sweep found it overdue.")]


class Envelope(Wire, kw_only=True):
    """How every event is delivered: one JSON envelope."""

    type: Annotated[str, Meta(description="Event type, e.g. `completion.recorded`.")]
    id: Annotated[uuid.UUID, Meta(description="Event id: the idempotency key to deduplicate on.")]
    timestamp: Annotated[datetime, Meta(description="When the event happened (UTC).")]
    data: Annotated[dict[str, Any], Meta(description="The event's payload, per its type.")]


class _Typed(Wire, kw_only=True, tag_field="type"):
    """An event as plugins receive it: the envelope's wire shape (`type`, the tag, comes first;
    then `id`, `timestamp`, `data`), with `data` its payload Struct."""

    id: uuid.UUID
    timestamp: datetime

    @property
    def type(self) -> str:
        """The event type: the tag."""
        return str(self.__struct_config__.tag)


class CompletionRecordedEvent(_Typed, kw_only=True, tag="completion.recorded"):
    data: CompletionRecorded


class CompletionRescoredEvent(_Typed, kw_only=True, tag="completion.rescored"):
    data: CompletionRescored


class AttemptSubmittedEvent(_Typed, kw_only=True, tag="attempt.submitted"):
    data: AttemptSubmitted


class FormSubmittedEvent(_Typed, kw_only=True, tag="form.submitted"):
    data: FormSubmitted


class CompletionVoidedEvent(_Typed, kw_only=True, tag="completion.voided"):
    data: CompletionVoided


class EndpointFailingEvent(_Typed, kw_only=True, tag="endpoint.failing"):
    data: EndpointFailing


class EndpointDisabledEvent(_Typed, kw_only=True, tag="endpoint.disabled"):
    data: EndpointDisabled


class PingEvent(_Typed, kw_only=True, tag="ping"):
    data: Ping


class FeedbackReceivedEvent(_Typed, kw_only=True, tag="feedback.received"):
    data: FeedbackReceived


class SurveyReceivedEvent(_Typed, kw_only=True, tag="survey.received"):
    data: SurveyReceived


class DialogueOpenedEvent(_Typed, kw_only=True, tag="dialogue.opened"):
    data: DialogueOpened


class DialoguePastDueEvent(_Typed, kw_only=True, tag="dialogue.past_due"):
    data: DialoguePastDue


class DialogueClosedEvent(_Typed, kw_only=True, tag="dialogue.closed"):
    data: DialogueClosed


class AssignmentOverdueEvent(_Typed, kw_only=True, tag="assignment.overdue"):
    data: AssignmentOverdue


class PlanDueEvent(_Typed, kw_only=True, tag="plan.due"):
    data: PlanDue


class LtiStartedEvent(_Typed, kw_only=True, tag="lti.started"):
    data: LtiStarted


Event = (
    CompletionRecordedEvent
    | CompletionRescoredEvent
    | AttemptSubmittedEvent
    | FormSubmittedEvent
    | CompletionVoidedEvent
    | EndpointFailingEvent
    | EndpointDisabledEvent
    | PingEvent
    | FeedbackReceivedEvent
    | SurveyReceivedEvent
    | DialogueOpenedEvent
    | DialoguePastDueEvent
    | DialogueClosedEvent
    | AssignmentOverdueEvent
    | PlanDueEvent
    | LtiStartedEvent
)
"""Every event, as a tagged union on `type`: match on the class (or `type`) and read `data`."""

PUBLISHED: tuple[type[_Typed], ...] = (
    CompletionRecordedEvent,
    CompletionRescoredEvent,
    AttemptSubmittedEvent,
    FormSubmittedEvent,
    CompletionVoidedEvent,
    EndpointFailingEvent,
    EndpointDisabledEvent,
    PingEvent,
    FeedbackReceivedEvent,
    SurveyReceivedEvent,
    DialogueOpenedEvent,
    DialoguePastDueEvent,
    DialogueClosedEvent,
    AssignmentOverdueEvent,
    PlanDueEvent,
)
"""The events sent outside Front Office (webhooks), in the order they are documented."""


def _tag(cls: type[Any]) -> str:
    return str(cls.__struct_config__.tag)


def _payload(cls: type[Any]) -> type[Wire]:
    payload: type[Wire] = get_type_hints(cls)["data"]
    return payload


EVENT_TYPES: dict[str, type[Wire]] = {_tag(cls): _payload(cls) for cls in PUBLISHED}
"""Every published event type, by name: the webhooks section of the OpenAPI document is made from it."""

_EVERY: tuple[type[_Typed], ...] = (*PUBLISHED, LtiStartedEvent)

TYPE_OF: dict[type[msgspec.Struct], str] = {_payload(cls): _tag(cls) for cls in _EVERY}
"""Each payload Struct's event type name."""


def event_type(payload: msgspec.Struct) -> str:
    """The type name of an event payload (one of schemas/events.py's Structs)."""
    return TYPE_OF[type(payload)]


def typed(type_: str, id: uuid.UUID, timestamp: datetime, data: dict[str, Any]) -> Event:
    """A stored event as its typed form (raises `msgspec.ValidationError` for an unknown type
    or a payload that does not match it)."""
    envelope = {"type": type_, "id": id, "timestamp": timestamp, "data": data}
    event: Event = msgspec.convert(envelope, Event)
    return event
