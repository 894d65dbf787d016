"""Payloads of live workshops: opening one, joining it by code, the room's state, attendance,
and the presenter stream's events."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta

from schemas.base import Wire
from schemas.content import Id
from schemas.progress import AnswerValue, LearnerView

JoinCode = Annotated[
    str,
    Meta(
        min_length=4,
        max_length=16,
        description="The room's join code, as projected (case and dashes don't matter).",
    ),
]


class WorkshopOpen(Wire, kw_only=True):
    """A facilitator opening a live workshop for a room."""

    modules: Annotated[
        list[Id], Meta(min_length=1, max_length=10, description="The modules the room works through.")
    ]
    cohort: Annotated[
        str, Meta(max_length=100, description="The cohort label the participants' work is grouped by.")
    ] = ""
    title: Annotated[str, Meta(max_length=200, description="What the room calls it.")] = ""
    hours: Annotated[
        int, Meta(ge=1, le=24, description="How long the join code works (and participants' tokens last).")
    ] = 4


class RoomState(Wire, kw_only=True):
    """Where the room is: what participants' players follow."""

    workshop_id: uuid.UUID
    title: str
    modules: list[str]
    step: Annotated[int, Meta(description="The step of the facilitator's script the room is on, from 0.")]
    allow_ahead: Annotated[bool, Meta(description="Participants may work past the room's step.")]
    status: Literal["open", "closed"]
    module_id: Annotated[
        str | None, Meta(description="The module the room's step is in (what participants' players open).")
    ] = None
    activity: Annotated[
        str | None,
        Meta(
            description="The activity the room is on in that module: the step's own, else the one an "
            "earlier step of the module ran (None before any). Participants may not submit a form "
            "the room has not reached unless `allow_ahead`."
        ),
    ] = None


class WorkshopView(Wire, kw_only=True):
    """A workshop as its facilitator sees it."""

    id: uuid.UUID
    code: Annotated[str, Meta(description="The join code to project.")]
    join_url: Annotated[str, Meta(description="Where a participant's phone joins (the QR code's link).")]
    title: str
    modules: list[str]
    cohort: str
    step: int
    allow_ahead: bool
    status: Literal["open", "closed"]
    participants: int
    created_at: datetime
    expires_at: Annotated[datetime, Meta(description="When the join code stops working.")]
    closed_at: datetime | None = None


class StateChange(Wire, kw_only=True, forbid_unknown_fields=True):
    """The facilitator moving the room; fields left out stay as they are."""

    step: Annotated[int, Meta(ge=0, le=200, description="The step the room moves to.")] | None = None
    allow_ahead: bool | None = None
    status: (
        Annotated[Literal["closed"], Meta(description="`closed`: no one joins or enters the feed any more.")]
        | None
    ) = None


class Newcomer(Wire, kw_only=True):
    """Someone new to a room, as they say who they are: each becomes a new learner of the
    district (a name and a school prove no one's identity, so no one takes over a record)."""

    name: Annotated[str, Meta(min_length=1, max_length=200, description="Your name, as HR knows it.")]
    school: Annotated[str, Meta(min_length=1, max_length=200, description="Your school or site.")]
    role: Annotated[str, Meta(max_length=100, description="Your job: secretary, bus driver...")] = ""
    employee_id: Annotated[str, Meta(max_length=100, description="Your employee id, if you know it.")] = ""


class JoinRequest(Newcomer, kw_only=True):
    """A participant joining from their phone, without an account."""

    code: JoinCode


class Joined(Wire, kw_only=True):
    """A participant in the room: their learner token (for the player) and the room's state."""

    token: str
    expires_at: datetime
    learner: LearnerView
    room: RoomState


class Participant(Wire, kw_only=True):
    """Someone in the room, for the facilitator's attendance list."""

    learner_id: uuid.UUID
    name: str
    school: str
    role: str
    joined_at: datetime
    attended: bool


class AttendanceConfirm(Wire, kw_only=True):
    """Who the facilitator saw in the room."""

    learner_ids: Annotated[list[uuid.UUID], Meta(min_length=1, max_length=1000)]


class AttendanceResult(Wire, kw_only=True):
    """What confirming attendance did."""

    attended: Annotated[int, Meta(description="Participants now confirmed (all named).")]
    completions: Annotated[int, Meta(description="Completions the attendance recorded.")]


class PaperAnswers(Wire, kw_only=True):
    """A participant's answers to a form on paper, entered by the facilitator: scored and
    recorded as the participant's own submit."""

    module_id: Id
    form_id: Id
    answers: Annotated[
        dict[str, AnswerValue], Meta(description="Item id to answer, as the submit route takes them.")
    ]


class RoomEntry(Wire, kw_only=True):
    """A list entry someone in the room submitted, without who: `key` groups the ways people
    wrote the same thing (as the combined list does)."""

    text: str
    key: str


class FeedEvent(Wire, kw_only=True, omit_defaults=True):
    """One presenter stream event's data (`event: state` or `event: entry`)."""

    state: RoomState | None = None
    module_id: str | None = None
    form_id: str | None = None
    respondents: Annotated[int | None, Meta(description="The room's submitters of this form so far.")] = None
    items: Annotated[
        dict[str, list[RoomEntry]] | None,
        Meta(description="List item id to the entries this event adds to the room's flipchart."),
    ] = None
