"""Measures of service beyond the feedback card: the exit-interview guide, the family survey
and the secret-shopper rubrics as content (decoded strictly from `content/instruments/`:
`exit-interview.yaml`, `family-survey.yaml`, `secret-shopper.yaml`), what staff record against
them, the figures read back, and the per-school switches that turn each instrument on or off."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import Meta

from schemas.base import Wire
from schemas.feedback import Honeypot, Language, Localized

ItemId = Annotated[str, Meta(pattern="^[a-z][a-z_]{0,39}$")]
Channel = Literal["phone", "email", "visit"]
CHANNELS: tuple[Channel, ...] = ("phone", "email", "visit")

# --- the exit-interview guide (content) ------------------------------------------------------


class Option(Wire, kw_only=True):
    id: ItemId
    label: Localized


class ChoiceQuestion(Wire, tag="choice", tag_field="type", kw_only=True):
    """Pick one option, or several when `multiple`; answered with the option ids."""

    id: ItemId
    prompt: Localized
    options: Annotated[list[Option], Meta(min_length=2, max_length=30)]
    multiple: bool = False
    required: bool = True


class ScaleQuestion(Wire, tag="scale", tag_field="type", kw_only=True):
    """A whole number from `min` to `max`, its ends labelled."""

    id: ItemId
    prompt: Localized
    min: Annotated[int, Meta(ge=0, le=10)]
    max: Annotated[int, Meta(ge=1, le=10)]
    low: Localized
    high: Localized
    required: bool = True


class TextQuestion(Wire, tag="text", tag_field="type", kw_only=True):
    """Free text, up to `max_length` characters."""

    id: ItemId
    prompt: Localized
    max_length: Annotated[int, Meta(ge=1, le=4000)]
    required: bool = False


Question = ChoiceQuestion | ScaleQuestion | TextQuestion


class ExitInterviewGuide(Wire, kw_only=True):
    """The questions staff ask a family who is leaving. `reasons` (a choice) and `score` (a
    0-10 scale) must be among them: the figures count the one and average the other."""

    id: Literal["exit-interview"]
    version: Annotated[int, Meta(ge=1)]
    title: Localized
    intro: Localized
    questions: Annotated[list[Question], Meta(min_length=1, max_length=40)]


# --- the family survey (content) -------------------------------------------------------------


class FamilySurvey(Wire, kw_only=True):
    """The survey a family answers about the service the school gives them, from the same kinds
    of question as the exit-interview guide. A 0-10 `score` must be among them: the figures
    average it (and every other scale, and count each choice's options)."""

    id: Literal["family-survey"]
    version: Annotated[int, Meta(ge=1)]
    title: Localized
    intro: Localized
    questions: Annotated[list[Question], Meta(min_length=1, max_length=40)]


# --- the secret-shopper rubrics (content) ----------------------------------------------------


class YesNoCriterion(Wire, tag="yes_no", tag_field="type", kw_only=True):
    """Earns its points when answered true."""

    id: ItemId
    prompt: Localized
    points: Annotated[int, Meta(ge=1, le=100)]
    required: bool = True


class ScaleCriterion(Wire, tag="scale", tag_field="type", kw_only=True):
    """A rating from 1 to 5: 1 earns nothing, 5 every point, in even steps between; it passes
    at `pass_at` or above."""

    id: ItemId
    prompt: Localized
    points: Annotated[int, Meta(ge=1, le=100)]
    pass_at: Annotated[int, Meta(ge=1, le=5)] = 4
    required: bool = True


class NumberCriterion(Wire, tag="number", tag_field="type", kw_only=True):
    """A count or a time (rings, seconds on hold, hours to a reply): earns its points when it
    is at most `target` (or at least, with `at_least`)."""

    id: ItemId
    prompt: Localized
    unit: Localized
    target: Annotated[int, Meta(ge=0)]
    at_least: bool = False
    points: Annotated[int, Meta(ge=1, le=100)]
    required: bool = True


Criterion = YesNoCriterion | ScaleCriterion | NumberCriterion


class Rubric(Wire, kw_only=True):
    """What an evaluator checks on one channel. A criterion that is not `required` may be
    answered null (it did not come up: no hold, no follow-up promised) and then counts neither
    way."""

    title: Localized
    criteria: Annotated[list[Criterion], Meta(min_length=1, max_length=40)]


class Rubrics(Wire, kw_only=True):
    phone: Rubric
    email: Rubric
    visit: Rubric


class SecretShopperRubrics(Wire, kw_only=True):
    """One rubric per channel; a visit scores the points it earned out of those it could."""

    id: Literal["secret-shopper"]
    version: Annotated[int, Meta(ge=1)]
    title: Localized
    intro: Localized
    channels: Rubrics


# --- recording (measures:write) --------------------------------------------------------------

ExitAnswer = int | str | list[str]
ShopperAnswer = bool | int | None


class ExitInterviewCreate(Wire, kw_only=True):
    """An exit interview staff held with a family, answers keyed by the guide's question ids."""

    school_id: Annotated[uuid.UUID, Meta(description="The school's feedback `id`.")]
    held_on: date
    interviewer: Annotated[str, Meta(min_length=1, max_length=200)]
    language: Language = "en"
    answers: Annotated[
        dict[str, ExitAnswer],
        Meta(
            description="By question id: an option id (or a list of them for a `multiple` choice), "
            "a whole number for a scale, text for a text question."
        ),
    ]


class ExitInterviewView(Wire, kw_only=True):
    id: uuid.UUID
    school_id: uuid.UUID
    school_code: str
    held_on: date
    interviewer: str
    language: Language
    instrument_version: int
    answers: dict[str, ExitAnswer]
    recorded_at: datetime


class ShopperVisitCreate(Wire, kw_only=True):
    """A secret shopper's call, email or visit, answered criterion by criterion."""

    school_id: Annotated[uuid.UUID, Meta(description="The school's feedback `id`.")]
    channel: Channel
    evaluator: Annotated[str, Meta(min_length=1, max_length=200)]
    visited_at: Annotated[datetime, Meta(tz=True, description="When, with its UTC offset.")]
    answers: Annotated[
        dict[str, ShopperAnswer],
        Meta(
            description="By criterion id of the channel's rubric: true/false, a 1-5 rating, or a "
            "whole number (rings, seconds, hours); null when a criterion that is not required "
            "did not come up."
        ),
    ]
    notes: Annotated[str, Meta(max_length=2000)] = ""


class ShopperVisitView(Wire, kw_only=True):
    id: uuid.UUID
    school_id: uuid.UUID
    school_code: str
    channel: Channel
    evaluator: str
    visited_at: Annotated[datetime, Meta(tz=True, description="When, with its UTC offset.")]
    instrument_version: int
    answers: dict[str, ShopperAnswer]
    passed: Annotated[dict[str, bool], Meta(description="Each answered criterion: met or not.")]
    points: float
    possible: int
    score: Annotated[float, Meta(description="Points earned out of those possible, in percent (0-100).")]
    notes: str
    recorded_at: datetime


class FamilySurveyCreate(Wire, kw_only=True):
    """A family's survey, entered by staff from paper or a phone call; anonymous: no family is named."""

    school_id: Annotated[uuid.UUID, Meta(description="The school's feedback `id`.")]
    answered_on: date
    language: Language = "en"
    answers: Annotated[
        dict[str, ExitAnswer],
        Meta(
            description="By question id: an option id (or a list of them for a `multiple` choice), "
            "a whole number for a scale, text for a text question."
        ),
    ]


class FamilySurveyAnswer(Wire, kw_only=True):
    """A family's own answers to the family survey, sent from the school's public survey page;
    anonymous. Counted once per device per school a day."""

    language: Language = "en"
    answers: Annotated[
        dict[str, ExitAnswer],
        Meta(
            description="By question id: an option id (or a list of them for a `multiple` choice), "
            "a whole number for a scale, text for a text question. Questions left out are skipped."
        ),
    ]
    website: Honeypot = ""


class FamilySurveyView(Wire, kw_only=True):
    id: uuid.UUID
    school_id: uuid.UUID
    school_code: str
    answered_on: date
    language: Language
    instrument_version: int
    answers: dict[str, ExitAnswer]
    recorded_at: datetime


# --- the figures (feedback:read) -------------------------------------------------------------


class CriterionFigures(Wire, kw_only=True):
    criterion: str
    answered: int
    pass_rate: Annotated[float | None, Meta(description="Share of answered visits that met it, 0 to 1.")]


class ChannelFigures(Wire, kw_only=True):
    channel: Channel
    visits: int
    mean_score: Annotated[float | None, Meta(description="Mean visit score, in percent.")]
    criteria: list[CriterionFigures]


class ShopperSchoolFigures(Wire, kw_only=True):
    school_id: uuid.UUID
    code: str
    name: str
    channels: list[ChannelFigures]


class ShopperSummary(Wire, kw_only=True):
    """Per school with visits, per channel visited: visits, mean score, each criterion's pass rate."""

    schools: list[ShopperSchoolFigures]


class ReasonCount(Wire, kw_only=True):
    reason: str
    count: int


class ExitSchoolFigures(Wire, kw_only=True):
    school_id: uuid.UUID
    code: str
    name: str
    count: int
    mean_score: Annotated[float | None, Meta(description="Mean of the 0-10 `score` answers.")]
    top_reasons: Annotated[list[ReasonCount], Meta(description="Reasons for leaving, most given first.")]


class ExitInterviewSummary(Wire, kw_only=True):
    """Per school with interviews: how many, the mean score, the reasons most given."""

    schools: list[ExitSchoolFigures]


class ScaleMean(Wire, kw_only=True):
    question: str
    answered: int
    mean: Annotated[float | None, Meta(description="Mean of the answers given; null with none.")]


class OptionCount(Wire, kw_only=True):
    question: str
    option: str
    count: int


class SurveySchoolFigures(Wire, kw_only=True):
    school_id: uuid.UUID
    code: str
    name: str
    count: int
    mean_score: Annotated[float | None, Meta(description="Mean of the 0-10 `score` answers.")]
    scales: Annotated[list[ScaleMean], Meta(description="Every other scale question, in the survey's order.")]
    options: Annotated[
        list[OptionCount], Meta(description="How often each option of each choice question was picked.")
    ]


class FamilySurveySummary(Wire, kw_only=True):
    """Per school with surveys: how many, the mean 0-10 score, each scale's mean, each option's count."""

    schools: list[SurveySchoolFigures]
