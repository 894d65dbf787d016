"""Campus action plans: a plan item as staff make it (`PlanItemCreate`) or change it
(`PlanItemChange`), as read back (`PlanItemView`, paged in `PlanPage`), a learner's module-5
campus-team plan shared as draft items (`ActionPlanShare`), the district's re-measure setting
(`PlanSettings`) and the figures per school (`PlanSummary`)."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import Meta

from schemas.base import Wire

PlanStatus = Literal["draft", "open", "done", "dropped"]
PlanSource = Literal["staff", "module"]
REMEASURE_DEFAULT = 45
RemeasureDays = Annotated[
    int,
    Meta(ge=30, le=60, description="Days from the day the item is planned to its re-measure date, 30 to 60."),
]

What = Annotated[str, Meta(min_length=1, max_length=300, description="What will be done.")]
FirstStep = Annotated[str, Meta(max_length=300, description="The first step.")]
Who = Annotated[str, Meta(max_length=150, description="Who leads and who helps.")]
ByWhen = Annotated[
    str,
    Meta(
        max_length=60,
        description="By when, as written: a date (`2027-01-15`, which also sets `due_on`) or words "
        '("before spring break").',
    ),
]
HowWeKnow = Annotated[str, Meta(max_length=300, description="How we will know it worked: which measure.")]


class PlanItemCreate(Wire, kw_only=True):
    """A step of a school's campus action plan, made by staff; it starts `open`."""

    school_id: Annotated[uuid.UUID, Meta(description="The school's feedback `id`.")]
    what: What
    first_step: FirstStep = ""
    who: Who = ""
    by_when: ByWhen = ""
    how_we_know: HowWeKnow = ""
    follow_up_on: Annotated[date | None, Meta(description="When to check on progress.")] = None
    remeasure_in_days: Annotated[
        RemeasureDays | None, Meta(description="null: the district's setting (45 unless set).")
    ] = None
    created_by: Annotated[
        str, Meta(max_length=320, description="Who made it, if they want to be named; empty: not named.")
    ] = ""


class PlanItemChange(Wire, kw_only=True):
    """A change to a plan item: only the fields sent change. A draft becomes a plan when set
    `open`: it is planned that day, and its re-measure date counts from then."""

    what: What | None = None
    first_step: FirstStep | None = None
    who: Who | None = None
    by_when: ByWhen | None = None
    how_we_know: HowWeKnow | None = None
    status: Literal["open", "done", "dropped"] | None = None
    follow_up_on: date | None = None
    remeasure_on: Annotated[
        date | None,
        Meta(description="30 to 60 days after `planned_on`; 409 once the re-measure reminder has gone out."),
    ] = None


class PlanSchool(Wire, kw_only=True):
    id: uuid.UUID
    code: str
    name: str


class PlanItemView(Wire, kw_only=True):
    """A plan item. Made from a learner's action plan, it carries the text, the school, and the
    learner's name only if they chose to be named."""

    id: uuid.UUID
    school: PlanSchool
    source: Annotated[
        PlanSource, Meta(description="`staff`: made by staff; `module`: shared from module 5's action plan.")
    ]
    status: Annotated[
        PlanStatus,
        Meta(description="`draft` (shared by a learner, not yet adopted), `open`, `done` or `dropped`."),
    ]
    what: str
    first_step: str
    who: str
    by_when: str
    due_on: Annotated[date | None, Meta(description="`by_when` when it is a date.")]
    how_we_know: str
    follow_up_on: date | None
    planned_on: Annotated[date, Meta(description="The day it was made (a draft: adopted) in district time.")]
    remeasure_on: Annotated[
        date, Meta(description="When to measure again; `plan.due` goes out as it begins (district time).")
    ]
    plan_due_notice_at: Annotated[datetime | None, Meta(description="When `plan.due` was sent for it.")]
    created_by: str
    created_at: datetime
    updated_at: datetime


class PlanPage(Wire, kw_only=True):
    items: Annotated[list[PlanItemView], Meta(description="Newest first.")]
    next_cursor: Annotated[
        str | None, Meta(description="Pass as `cursor` for the next page; null at the end.")
    ]


class PlanSettings(Wire, kw_only=True):
    """The district's plan settings."""

    remeasure_days: RemeasureDays = REMEASURE_DEFAULT


class ActionPlanShare(Wire, kw_only=True):
    """A learner shares the campus-team rows of their submitted module-5 action plan with their
    school, as draft plan items. Their personal plan is never shared."""

    attempt_id: Annotated[
        uuid.UUID | None,
        Meta(description="One of your submitted action-plan attempts; null: the latest."),
    ] = None
    named: Annotated[bool, Meta(description="Put your name on the items (false: they carry no name).")] = (
        False
    )


class ActionPlanShared(Wire, kw_only=True):
    """The draft items the share made (or had made before, for the same attempt)."""

    school: PlanSchool
    items: list[PlanItemView]


class PlanSchoolFigures(Wire, kw_only=True):
    """A school's plan items by status, and how many wait for their re-measure."""

    school_id: uuid.UUID
    code: str
    name: str
    draft: int
    open: int
    done: int
    dropped: int
    remeasure_due: Annotated[
        int, Meta(description="Open or done items whose re-measure date has come (district time).")
    ]


class PlanSummary(Wire, kw_only=True):
    """Every school of the district with a feedback link, and its plan items."""

    as_of: datetime
    schools: list[PlanSchoolFigures]
