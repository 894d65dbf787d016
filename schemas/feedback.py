"""Family feedback: the feedback card as content (`FeedbackCard`, decoded strictly from
`content/instruments/feedback-card.yaml`), a family's answer as posted to a school's public
link, the schools' links and which instruments each uses, and the figures read back (per
school: count, mean, distribution, resolved-on-contact rate, by reason)."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta

from schemas.base import Wire

Language = Literal["en", "es"]
LANGUAGES: tuple[Language, ...] = ("en", "es")

# --- the instrument (content) ----------------------------------------------------------------


Honeypot = Annotated[
    str,
    Meta(
        max_length=200,
        description="Leave empty. A field people never see (a honeypot): a form that fills it in is refused.",
    ),
]
"""The public forms' trap field: people never see it, scripts fill it in."""


class Localized(Wire, kw_only=True):
    """A text in every language the card ships in."""

    en: Annotated[str, Meta(min_length=1)]
    es: Annotated[str, Meta(min_length=1)]

    def in_(self, language: Language) -> str:
        return self.es if language == "es" else self.en


ReasonId = Annotated[str, Meta(pattern="^[a-z][a-z_]{0,39}$")]


class ReasonOption(Wire, kw_only=True):
    id: ReasonId
    label: Localized


class ScoreQuestion(Wire, kw_only=True):
    prompt: Localized
    low: Localized
    high: Localized


class ReasonQuestion(Wire, kw_only=True):
    prompt: Localized
    options: Annotated[list[ReasonOption], Meta(min_length=1, max_length=30)]


class YesNoQuestion(Wire, kw_only=True):
    prompt: Localized
    yes: Localized
    no: Localized


class CommentQuestion(Wire, kw_only=True):
    prompt: Localized
    max_length: Annotated[int, Meta(ge=1, le=4000)]


class ContactQuestion(Wire, kw_only=True):
    prompt: Localized
    name: Localized
    phone: Localized
    email: Localized
    consent: Localized


class FeedbackCard(Wire, kw_only=True):
    """The family feedback card: a 0-10 score, the reason for the contact, whether it was
    resolved on that contact, an optional comment and an optional way to be contacted."""

    id: Literal["feedback-card"]
    version: Annotated[int, Meta(ge=1)]
    title: Localized
    intro: Localized
    score: ScoreQuestion
    reason: ReasonQuestion
    resolved: YesNoQuestion
    comment: CommentQuestion
    contact: ContactQuestion
    submit: Localized
    thanks: Localized


class ReasonLabel(Wire, kw_only=True):
    id: ReasonId
    label: str


class FeedbackCardLabels(Wire, kw_only=True):
    """The card in one language as staff read it, to name what families answered (a
    dialogue's `reason` is one of these ids)."""

    language: Language
    version: int
    title: str
    reasons: list[ReasonLabel]


# --- a family's answer (public) --------------------------------------------------------------

COMMENT_MAX = 1000
"""The longest comment a family may send (the card's `comment.max_length` may be lower)."""


class FeedbackContact(Wire, kw_only=True):
    """How a family asks to be contacted: a name and a phone or an email, with their consent."""

    name: Annotated[str, Meta(min_length=1, max_length=200)]
    phone: Annotated[str, Meta(max_length=40, pattern=r"^[0-9+().\- ]*$")] = ""
    email: Annotated[str, Meta(max_length=320, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")] = ""
    consent: Annotated[bool, Meta(description="Must be true: contact details are kept only with consent.")]


class FeedbackAnswer(Wire, kw_only=True):
    """One family's answer to a school's feedback card."""

    score: Annotated[int, Meta(ge=0, le=10, description="0 (very poorly) to 10 (very well).")]
    reason: Annotated[ReasonId, Meta(description="One of the card's reasons, e.g. `enrollment`.")]
    resolved: Annotated[bool, Meta(description="Whether it was taken care of on this contact.")]
    comment: Annotated[
        str,
        Meta(max_length=COMMENT_MAX, description="Kept as plain text; never shown as HTML."),
    ] = ""
    contact: FeedbackContact | None = None
    language: Language = "en"
    website: Honeypot = ""


class FeedbackReceipt(Wire, kw_only=True):
    """What a family is told: whether this answer counted (one per device per school per day)."""

    counted: Annotated[
        bool,
        Meta(
            description="False when this device (or address) already answered for this school "
            "today: the first answer of the day is the one that counts, and nothing was written."
        ),
    ]
    message: str


# --- per-school instrument switches (admin) -------------------------------------------------------------

InstrumentName = Literal[
    "card", "exit_interview", "shopper_phone", "shopper_email", "shopper_visit", "family_survey"
]


class InstrumentSwitches(Wire, kw_only=True):
    """Which instruments a school uses: true is on. Every one is on until switched off."""

    card: Annotated[bool, Meta(description="The family feedback card (the public page and answers).")]
    exit_interview: bool
    shopper_phone: bool
    shopper_email: bool
    shopper_visit: bool
    # Added after the others: a client that does not send it leaves the survey on.
    family_survey: Annotated[bool, Meta(description="The family survey (staff enter its answers).")] = True


# --- schools and their links (admin) ---------------------------------------------------------

SchoolCode = Annotated[str, Meta(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")]


class FeedbackSchoolCreate(Wire, kw_only=True):
    """A school to collect feedback for: its code (as the roster's `school_code`) and name."""

    code: SchoolCode
    name: Annotated[str, Meta(min_length=1, max_length=200)]


class FeedbackSchoolView(Wire, kw_only=True):
    """A school's feedback link."""

    id: uuid.UUID
    code: str
    name: str
    token: Annotated[str, Meta(description="The link's secret part: `/feedback/{token}`.")]
    link: Annotated[str, Meta(description="The public page families open (the QR card points here).")]
    open: bool
    created_at: datetime
    closed_at: datetime | None
    instruments: Annotated[
        InstrumentSwitches,
        Meta(description="Which instruments the school uses (switch them with PUT .../instruments)."),
    ]


# --- the figures (feedback:read) -------------------------------------------------------------


class ReasonFigures(Wire, kw_only=True):
    """A school's answers for one reason."""

    reason: str
    count: int
    mean_score: float | None
    distribution: Annotated[list[int], Meta(min_length=11, max_length=11)]
    resolved_rate: Annotated[float | None, Meta(description="Share answered yes, 0 to 1.")]


class SchoolFigures(Wire, kw_only=True):
    """A school's counted answers."""

    school_id: uuid.UUID
    code: str
    name: str
    open: bool
    count: int
    mean_score: Annotated[float | None, Meta(description="Mean of the 0-10 scores; null with no answers.")]
    distribution: Annotated[
        list[int], Meta(min_length=11, max_length=11, description="How many answers gave 0, 1, … 10.")
    ]
    resolved_rate: Annotated[
        float | None, Meta(description="Share of answers resolved on that contact, 0 to 1.")
    ]
    by_reason: list[ReasonFigures]


class FeedbackSummary(Wire, kw_only=True):
    """Every school of the district with a feedback link, and its figures over all its answers."""

    instrument_version: int
    schools: list[SchoolFigures]


class SummaryRow(Wire, kw_only=True):
    """A line of the summary's CSV: a school's figures over every reason (`reason` empty), or
    for one reason."""

    school_code: str
    school_name: str
    reason: str
    count: int
    mean_score: float | None
    resolved_rate: float | None
    score_0: int
    score_1: int
    score_2: int
    score_3: int
    score_4: int
    score_5: int
    score_6: int
    score_7: int
    score_8: int
    score_9: int
    score_10: int
