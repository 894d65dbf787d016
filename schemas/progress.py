"""Payloads of learner progress: learners and tokens, answers, attempts, results, progress."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from msgspec import Meta

from schemas.base import Wire

# --- Answers: the value each item type takes -----------------------------------------------
# An attempt's `answers` maps item id to a value of the shape its item type takes. They are
# checked against the item on the server: a wrong shape is a 422 naming `$.answers.<item>`.

ChoiceAnswer = Annotated[list[str], Meta(description="choice: the chosen option ids.")]
ClassifyAnswer = Annotated[dict[str, str], Meta(description="classify: entry id to category id.")]
OrderAnswer = Annotated[list[str], Meta(description="order: entry ids in the learner's order.")]
TextAnswer = Annotated[str, Meta(description="text_entry and extended_text: the text.")]
ListAnswer = Annotated[list[str], Meta(description="list: the learner's entries.")]
RatingAnswer = Annotated[int, Meta(description="rating: the chosen point of the scale.")]
MatrixAnswer = Annotated[dict[str, int], Meta(description="matrix: statement id to scale point.")]
TableAnswer = Annotated[
    list[dict[str, str]],
    Meta(description="table: rows, each column id to text; fixed rows carry their id as `row`."),
]
# Any JSON value on the wire (msgspec unions take one list and one dict type at most); the
# server converts each to its item's type above, so a wrong shape is named precisely.
AnswerValue = Annotated[
    Any,
    Meta(
        description="By item type: choice and order: list of ids; classify: {entry: category}; "
        "text_entry, extended_text: text; list: list of texts; rating: integer; "
        "matrix: {statement: integer}; table: list of {column: text} rows; scenario: the "
        "choice ids taken, from the start node to an ending."
    ),
]


# --- Scoring results ---------------------------------------------------------------------


class FeedbackNote(Wire, kw_only=True):
    """One feedback text and what it is about, so a client can show it beside its option."""

    text: Annotated[str, Meta(description="The feedback (Markdown), as in the item's `feedback`.")]
    about: Annotated[
        Literal["item", "option", "entry", "choice", "ending"],
        Meta(
            description="What `id` names: an option of a choice item, an entry of a classify item, "
            "a choice taken in a scenario or the ending it reached; `item` for the whole item."
        ),
    ]
    id: Annotated[str | None, Meta(description="The option, entry, choice or ending id.")] = None
    chosen: Annotated[
        bool | None, Meta(description="option: the learner chose it; entry: the learner placed it.")
    ] = None
    correct: Annotated[
        bool | None,
        Meta(
            description="option: it is a right option; entry: placed in its right category; "
            "item or ending: full credit."
        ),
    ] = None


class ItemResult(Wire, kw_only=True):
    """How one answered item was marked, and what the learner may be shown about it."""

    item: str
    score: Annotated[float, Meta(ge=0, le=1, description="Credit for the item, 0 to 1.")]
    points: Annotated[float, Meta(description="The item's weight in the form's score.")]
    correct: Annotated[bool, Meta(description="Full credit.")]
    feedback: Annotated[list[str], Meta(description="Feedback texts (Markdown), per the form's policy.")] = []
    correct_answer: Annotated[
        AnswerValue | None, Meta(description="The right answer, when the policy shows it.")
    ] = None
    notes: Annotated[
        list[FeedbackNote],
        Meta(
            description="The texts of `feedback`, in the same order, each with the option or entry "
            "it is about."
        ),
    ] = []


class ListComparison(Wire, kw_only=True):
    """A learner's list compared with the reference list."""

    item: str
    matched: Annotated[list[str], Meta(description="Reference entries the learner named.")]
    missed: Annotated[list[str], Meta(description="Reference entries the learner did not name.")]
    extra: Annotated[list[str], Meta(description="What the learner named that the reference lacks.")]


class CombinedEntry(Wire, kw_only=True):
    """One answer of a group's combined list (the flipchart), with how many named it."""

    label: Annotated[str, Meta(description="The reference wording, or the most common wording.")]
    count: Annotated[int, Meta(description="How many learners named it.")]
    in_reference: bool


# --- Learners and tokens -------------------------------------------------------------------


class LearnerProfile(Wire, kw_only=True):
    """A learner as a district system describes them."""

    external_id: Annotated[
        str, Meta(min_length=1, max_length=200, description="The learner's id in the calling system.")
    ]
    name: Annotated[str, Meta(max_length=200)] = ""
    email: Annotated[str, Meta(max_length=320)] = ""
    employee_id: Annotated[str, Meta(max_length=100, description="HR's employee id.")] = ""
    school: Annotated[str, Meta(max_length=200, description="School or site.")] = ""
    role: Annotated[str, Meta(max_length=100, description="Job role: secretary, bus driver...")] = ""


class LearnerTokenRequest(Wire, kw_only=True):
    """A request for a learner token; the profile is created or updated."""

    learner: LearnerProfile
    cohort: Annotated[
        str, Meta(max_length=100, description="A label to group learners by (a workshop, a term).")
    ] = ""
    ttl_minutes: Annotated[int, Meta(ge=5, le=1440, description="Lifetime of the token.")] = 480
    facilitator: Annotated[
        bool,
        Meta(
            description="An instructor's token: it may also read the facilitator view and the "
            "group's reports. The calling key must hold `content:facilitate`."
        ),
    ] = False


class LearnerView(Wire, kw_only=True):
    """A learner of the district."""

    id: uuid.UUID
    external_id: str
    name: str
    email: str
    employee_id: str
    school: str
    role: str


class LearnerToken(Wire, kw_only=True):
    """A learner token: send it as `Authorization: Bearer <token>`. It carries no answers."""

    token: str
    expires_at: datetime
    learner: LearnerView


# --- Attempts ------------------------------------------------------------------------------


class AnswersSave(Wire, kw_only=True):
    """Draft answers; they replace the draft's answers whole (autosave)."""

    answers: dict[str, AnswerValue]


class AttemptSubmit(Wire, kw_only=True):
    """Submit an attempt, optionally with its final answers (else the saved draft's)."""

    answers: dict[str, AnswerValue] | None = None


class AttemptView(Wire, kw_only=True):
    """An attempt at a form: a draft being filled in, or submitted and (if scored) marked."""

    id: uuid.UUID
    module_id: str
    module_version: str
    form_id: str
    number: Annotated[int, Meta(description="1 for the first attempt at this form.")]
    status: Literal["draft", "submitted"]
    item_order: Annotated[list[str], Meta(description="Item ids in the order to show them.")]
    answers: dict[str, AnswerValue]
    started_at: datetime
    saved_at: datetime
    submitted_at: datetime | None = None
    score: Annotated[float | None, Meta(description="0 to 1, for scored forms once submitted.")] = None
    passed: bool | None = None
    items: Annotated[list[ItemResult], Meta(description="Per-item marks and feedback, per policy.")] = []
    feedback: Annotated[str | None, Meta(description="Overall feedback for the score's band.")] = None
    lists: Annotated[list[ListComparison], Meta(description="List answers against the reference.")] = []
    attempts_left: int | None = None


# --- Completions and progress --------------------------------------------------------------


class CompletionView(Wire, kw_only=True):
    """A completion record: immutable; an administrator may void it with a reason."""

    id: uuid.UUID
    learner_id: uuid.UUID
    module_id: str
    module_version: str
    score: float | None
    passed: bool | None
    started_at: datetime
    completed_at: datetime
    credit_minutes: float
    certificate_code: str
    voided_at: datetime | None = None
    void_reason: str | None = None


class RequirementStatus(Wire, kw_only=True):
    """One thing a module's completion rule asks for, and whether it is met (`attend`: a live
    workshop of the module, confirmed by its facilitator; `form` is then `attendance`)."""

    form: str
    action: Literal["submit", "pass", "attend"]
    min_score: float | None = None
    met: bool


class ModuleProgress(Wire, kw_only=True):
    """A learner's status in one module."""

    module_id: str
    status: Literal["not_started", "in_progress", "completed"]
    requirements: Annotated[
        list[list[RequirementStatus]], Meta(description="All groups must be met; within a group, any one.")
    ]
    completion: CompletionView | None = None
    due_on: Annotated[
        date | None,
        Meta(description="When HR wants it done (the earliest assignment that applies); null: not assigned."),
    ] = None
    overdue: Annotated[bool, Meta(description="Past its due date and not completed.")] = False


class Transcript(Wire, kw_only=True):
    """Every completion of a learner and the credit they add up to."""

    learner: LearnerView
    completions: list[CompletionView]
    total_credit_minutes: float


class VoidRequest(Wire, kw_only=True):
    """Void a completion; the reason is recorded and the record stays."""

    reason: Annotated[str, Meta(min_length=3, max_length=1000)]


class SubmitResult(Wire, kw_only=True):
    """A submitted attempt, and the completion it recorded if it completed the module."""

    attempt: AttemptView
    completion: CompletionView | None = None
