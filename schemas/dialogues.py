"""The concerns inbox (dialogues): a dialogue as staff enter it (`DialogueCreate`), change it
(`DialogueChange`) and add a note (`DialogueNoteCreate`); as read back (`DialogueView`, paged in
`DialoguePage`); and the inbox's figures per school (`DialogueSummary`)."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta

from schemas.base import Wire
from schemas.feedback import FeedbackContact, ReasonId

DialogueStatus = Literal["open", "waiting", "closed"]
DialogueSource = Literal["feedback", "staff"]

Owner = Annotated[
    str,
    Meta(
        max_length=320,
        description="Who owns it: a staff member's name or email (empty: not yet assigned).",
    ),
]
Team = Annotated[
    str,
    Meta(max_length=200, description="The team it is routed to: the school (its name) or a department."),
]
DueDays = Annotated[
    int, Meta(ge=1, le=60, description="Business days (Mon-Fri, 08:00-16:00 district time) until due.")
]


class DialogueCreate(Wire, kw_only=True):
    """A concern staff took by phone or in person, entered into the inbox."""

    school_id: Annotated[uuid.UUID, Meta(description="A school with a feedback link (its `id`).")]
    reason: Annotated[ReasonId, Meta(description="One of the feedback card's reasons, e.g. `enrollment`.")]
    summary: Annotated[str, Meta(min_length=1, max_length=2000, description="What the concern is.")]
    contact: Annotated[
        FeedbackContact | None,
        Meta(description="How the family asked to be contacted, with their consent; null if they did not."),
    ] = None
    owner: Owner = ""
    team: Annotated[
        str,
        Meta(max_length=200, description="The team it is routed to; empty: the school (its name)."),
    ] = ""
    first_contact_resolved: Annotated[
        bool, Meta(description="Resolved on that first call or visit (it can still be closed later).")
    ] = False
    due_in_business_days: DueDays = 5


class DialogueChange(Wire, kw_only=True):
    """A change to a dialogue: only the fields sent change. Closing it sends `dialogue.closed`."""

    status: DialogueStatus | None = None
    owner: Owner | None = None
    team: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    first_contact_resolved: bool | None = None


class DialogueNoteCreate(Wire, kw_only=True):
    """A note to add to a dialogue (notes are never changed or removed)."""

    author: Annotated[str, Meta(min_length=1, max_length=320, description="Who writes it: name or email.")]
    text: Annotated[str, Meta(min_length=1, max_length=4000, description="Plain text; never shown as HTML.")]


class DialogueNote(Wire, kw_only=True):
    author: str
    text: str
    at: datetime


class DialogueSchool(Wire, kw_only=True):
    id: uuid.UUID
    code: str
    name: str


class DialogueContact(Wire, kw_only=True):
    """How the family asked to be contacted (given with their consent)."""

    name: str
    phone: str
    email: str


class DialogueView(Wire, kw_only=True):
    """A dialogue in the inbox, with its notes (oldest first)."""

    id: uuid.UUID
    school: DialogueSchool
    source: Annotated[
        DialogueSource,
        Meta(description="`feedback`: a family's answer asked for contact; `staff`: entered by staff."),
    ]
    answer_id: Annotated[uuid.UUID | None, Meta(description="The feedback answer it came from.")]
    reason: str
    contact: DialogueContact | None
    summary: str
    status: DialogueStatus
    first_contact_resolved: bool
    owner: str
    team: str
    opened_at: datetime
    due_at: datetime
    closed_at: datetime | None
    past_due: Annotated[bool, Meta(description="Not closed, and its due time has passed.")]
    past_due_notice_at: Annotated[
        datetime | None, Meta(description="When `dialogue.past_due` was sent for it.")
    ]
    age_business_hours: Annotated[
        float,
        Meta(description="Business hours from opening to closing (or to now, while not closed)."),
    ]
    notes: list[DialogueNote]


class DialoguePage(Wire, kw_only=True):
    items: Annotated[list[DialogueView], Meta(description="Newest first.")]
    next_cursor: Annotated[
        str | None, Meta(description="Pass as `cursor` for the next page; null at the end.")
    ]


class DialogueSchoolFigures(Wire, kw_only=True):
    """A school's inbox: what is open and how old, and how concerns were resolved."""

    school_id: uuid.UUID
    code: str
    name: str
    open_count: Annotated[int, Meta(description="Dialogues open or waiting.")]
    past_due_count: Annotated[int, Meta(description="Of those, the ones past their due time.")]
    closed_count: int
    median_age_business_hours: Annotated[
        float | None, Meta(description="Median age of the open and waiting ones; null with none.")
    ]
    first_contact_resolution_rate: Annotated[
        float | None,
        Meta(description="Share of closed dialogues resolved on first contact, 0 to 1; null with none."),
    ]


class DialogueSummary(Wire, kw_only=True):
    """Every school of the district with a feedback link, and its inbox's figures now."""

    as_of: datetime
    schools: list[DialogueSchoolFigures]
