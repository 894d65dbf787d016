"""Payloads of "what the training changed" (scope `impact:read`): per school, the service
figures of each period (or of the windows before and after the school's training date) side
by side with the share of the school's roster who had completed each module.

These are comparisons, not claims of cause: a school's figures can move for many reasons
(a new secretary, enrollment season, a bus contract) and small counts move most. Every figure
comes with the count it was computed from, so a reader can see how little it may rest on.
"""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import Meta

from schemas.base import Wire

PeriodUnit = Literal["month", "week"]
Channel = Literal["phone", "email", "visit"]

CAUTION = (
    "A comparison, not a claim of cause: figures can change for reasons training does not "
    "touch, and small counts change most. Read each figure with the count beside it."
)


class FeedbackFigures(Wire, kw_only=True):
    """The feedback card's answers received in the window."""

    answers: Annotated[int, Meta(description="Answers counted (the sample size of the score).")]
    mean_score: Annotated[float | None, Meta(description="Mean 0-10 score; null with no answers.")]
    distribution: Annotated[
        list[int], Meta(description="How many answers gave each score, index 0 to 10 (11 counts).")
    ]


class DialogueFigures(Wire, kw_only=True):
    """The dialogues (concerns) opened in the window, as they stand now (`as_of`)."""

    opened: Annotated[int, Meta(description="Dialogues opened in the window.")]
    closed: Annotated[int, Meta(description="Of those, how many are closed.")]
    past_due: Annotated[
        int,
        Meta(
            description="Of those, how many went past their due time: closed after it, or still "
            "open (or waiting) after it."
        ),
    ]
    first_contact_resolution_rate: Annotated[
        float | None,
        Meta(description="Share of the closed ones resolved on first contact (0-1); null if none closed."),
    ]
    median_age_business_hours: Annotated[
        float | None,
        Meta(description="Median age in business hours, to closing or (still open) to `as_of`."),
    ]
    mean_age_business_hours: Annotated[float | None, Meta(description="Mean age, likewise.")]


class ShopperFigures(Wire, kw_only=True):
    """Secret-shopper visits of one channel in the window."""

    channel: Channel
    visits: int
    mean_score: Annotated[float | None, Meta(description="Mean score in percent; null with no visits.")]


class ModuleCoverage(Wire, kw_only=True):
    """How much of the school's roster had completed one module by the window's end."""

    module_id: str
    completed: Annotated[int, Meta(description="Roster employees with a live completion by then.")]
    share: Annotated[float | None, Meta(description="completed / roster (0-1); null with no roster.")]


class Figures(Wire, kw_only=True):
    """Every figure of one school over one window (a period, or before/after training)."""

    start: Annotated[date, Meta(description="First day of the window, in the district's time zone.")]
    end: Annotated[date, Meta(description="The day after the window's last day (exclusive).")]
    feedback: FeedbackFigures
    dialogues: DialogueFigures
    shoppers: Annotated[list[ShopperFigures], Meta(description="One per channel: phone, email, visit.")]
    coverage: Annotated[
        list[ModuleCoverage], Meta(description="One per module of the course, in course order.")
    ]


class SchoolTrend(Wire, kw_only=True):
    school_id: uuid.UUID
    code: str
    name: str
    roster: Annotated[
        int,
        Meta(
            description="Active (or on leave) employees on the HR roster whose school code is the "
            "school's code: the coverage's denominator (the roster as it is now)."
        ),
    ]
    periods: list[Figures]


class ImpactTrends(Wire, kw_only=True):
    """Per school and per period: the service figures beside the training coverage."""

    period: PeriodUnit
    time_zone: Annotated[str, Meta(description="The district's time zone the periods are cut in.")]
    start: date
    end: Annotated[date, Meta(description="The day after the last period (exclusive).")]
    as_of: Annotated[datetime, Meta(description="When the figures were read (ages of open dialogues).")]
    modules: list[str]
    caution: str = CAUTION
    schools: list[SchoolTrend]


class SchoolBeforeAfter(Wire, kw_only=True):
    school_id: uuid.UUID
    code: str
    name: str
    roster: int
    trained: Annotated[int, Meta(description="Roster employees who have completed the training now.")]
    training_date: Annotated[
        date | None,
        Meta(
            description="The first day (district time) on which `threshold_percent` of the roster "
            "had completed the training; null if the school has not got there (or has no roster)."
        ),
    ]
    training_date_set: Annotated[
        bool,
        Meta(
            description="True when `training_date` is the day HR set for the school "
            "(`setImpactTrainingDate`), which overrides the computed one; false when computed."
        ),
    ] = False
    before: Annotated[Figures | None, Meta(description="The `days` days before the training date.")]
    after: Annotated[
        Figures | None,
        Meta(description="The `days` days from the training date on (partial while they run)."),
    ]


class ImpactBeforeAfter(Wire, kw_only=True):
    """Per school: the figures of equal windows before and after its training date."""

    threshold_percent: int
    module: Annotated[
        str | None,
        Meta(description="The module that counts as the training; null: every module of the course."),
    ]
    days: int
    time_zone: str
    as_of: datetime
    modules: list[str]
    caution: str = CAUTION
    schools: list[SchoolBeforeAfter]


class TrainingDateSet(Wire, kw_only=True):
    """The day a school was trained, as HR records it by hand."""

    training_on: Annotated[
        date | None,
        Meta(
            description="The day (district time) the school's training took place; it replaces "
            "the date computed from the roster's completions in before/after. Null: computed again."
        ),
    ]


class SchoolTrainingDate(Wire, kw_only=True):
    """A school's training date as HR set it (null: computed from the roster)."""

    school_id: uuid.UUID
    code: str
    name: str
    training_on: date | None
