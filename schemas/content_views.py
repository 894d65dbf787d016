"""What learners and course listings are served: views of the content that hold no answer keys.

The authoring Structs of `schemas/content.py` carry correct answers, feedback and reference
lists. These are separate types with none of those fields, so no answer key can reach a learner
however a view is built; `api/content/views.py` builds them. Each learner item keeps the `type`
tag of its authoring item. Facilitators are served `FacilitatorModule`: the authoring module
itself, answers and script included, plus the version it was published as.
"""

from typing import Annotated, Literal

from msgspec import Meta

from schemas.base import Wire
from schemas.content import Fraction, Id, Markdown, Minutes, Module

FormKind = Literal["worksheet", "knowledge_check", "self_assessment", "reflection"]
Version = Annotated[str, Meta(description="The published version of the module.")]


# --- Items ---------------------------------------------------------------------------------------


class LearnerOption(Wire, kw_only=True):
    """An option of a choice item; whether it is right is not said."""

    id: Id
    text: Markdown


class LearnerChoiceItem(Wire, tag="choice", kw_only=True):
    """Pick one option, or several when `multiple`."""

    id: Id
    prompt: Markdown
    multiple: bool
    options: list[LearnerOption]
    shuffle: Annotated[bool, Meta(description="Show the options in random order.")]
    points: float


class LearnerCategory(Wire, kw_only=True):
    """A category of a classify item."""

    id: Id
    label: str


class LearnerEntry(Wire, kw_only=True):
    """A thing to sort or to put in order; where it belongs is not said."""

    id: Id
    text: Markdown


class LearnerClassifyItem(Wire, tag="classify", kw_only=True):
    """Sort each entry into one category."""

    id: Id
    prompt: Markdown
    categories: list[LearnerCategory]
    entries: Annotated[
        list[LearnerEntry],
        Meta(description="In a fixed mixed order: authors tend to list them by category."),
    ]
    points: float


class LearnerOrderItem(Wire, tag="order", kw_only=True):
    """Put the entries in the right order."""

    id: Id
    prompt: Markdown
    entries: Annotated[
        list[LearnerEntry],
        Meta(description="In a fixed order that is never the right one."),
    ]
    points: float


class LearnerTextEntryItem(Wire, tag="text_entry", kw_only=True):
    """A short typed answer."""

    id: Id
    prompt: Markdown
    points: float


class LearnerExtendedTextItem(Wire, tag="extended_text", kw_only=True):
    """A written answer of some length."""

    id: Id
    prompt: Markdown
    required: bool
    min_length: int
    max_length: int


class LearnerListItem(Wire, tag="list", kw_only=True):
    """The learner's own list of short entries."""

    id: Id
    prompt: Markdown
    min_entries: int
    max_entries: int
    max_entry_length: int


class LearnerScaleLabel(Wire, kw_only=True):
    """A label for one point of a scale."""

    value: int
    label: str


class LearnerScale(Wire, kw_only=True):
    """A numeric scale from `min` to `max` with labels."""

    labels: list[LearnerScaleLabel]
    min: int
    max: int


class LearnerRatingItem(Wire, tag="rating", kw_only=True):
    """One rating on a labelled scale."""

    id: Id
    prompt: Markdown
    scale: LearnerScale
    required: bool


class LearnerStatement(Wire, kw_only=True):
    """One row of a matrix item."""

    id: Id
    text: Markdown


class LearnerMatrixItem(Wire, tag="matrix", kw_only=True):
    """Several statements, each rated on one scale."""

    id: Id
    prompt: Markdown
    scale: LearnerScale
    statements: list[LearnerStatement]
    required: bool


class LearnerColumn(Wire, kw_only=True):
    """A named column of a table item."""

    id: Id
    label: str
    max_length: int


class LearnerRow(Wire, kw_only=True):
    """A fixed, labelled row of a table item."""

    id: Id
    label: str


class LearnerTableItem(Wire, tag="table", kw_only=True):
    """Rows and named columns to fill in; no fixed `rows` means the learner adds rows."""

    id: Id
    prompt: Markdown
    columns: list[LearnerColumn]
    rows: list[LearnerRow]
    min_rows: int
    max_rows: int


class LearnerScenarioChoice(Wire, kw_only=True):
    """A choice at a scenario node; where it leads and its feedback come only once taken."""

    id: Id
    text: Markdown


class LearnerScenarioNode(Wire, kw_only=True):
    """The one node of a scenario a learner is at: what happens, and what they may do."""

    id: Id
    text: Markdown
    choices: list[LearnerScenarioChoice]


class LearnerScenarioItem(Wire, tag="scenario", kw_only=True):
    """A branching scenario: only its start node. POST the path so far to
    `/api/v1/me/attempts/{attempt}/scenarios/{item}` for the next node; the answer is the path."""

    id: Id
    prompt: Markdown
    role: Literal["front_office", "bus_driver", "cafeteria", "custodian", "any"]
    start: LearnerScenarioNode
    points: float


LearnerItem = (
    LearnerChoiceItem
    | LearnerClassifyItem
    | LearnerOrderItem
    | LearnerTextEntryItem
    | LearnerExtendedTextItem
    | LearnerListItem
    | LearnerRatingItem
    | LearnerMatrixItem
    | LearnerTableItem
    | LearnerScenarioItem
)


# --- Forms, activities, completion ----------------------------------------------------------------


class LearnerForm(Wire, kw_only=True):
    """A form to fill in, with the rules of its policy that the learner needs to know."""

    id: Id
    kind: FormKind
    title: str
    instructions: Markdown
    items: list[LearnerItem]
    scoring: Annotated[
        Literal["none", "completion", "automatic"],
        Meta(description="none: not scored; completion: full marks on submit; automatic: marked."),
    ]
    pass_mark: Annotated[Fraction | None, Meta(description="Score needed to pass, if any.")]
    max_attempts: Annotated[int | None, Meta(description="Most attempts; null: no limit.")]
    identity: Annotated[
        Literal["identified", "anonymous"],
        Meta(description="anonymous: answers are only ever shown aggregated, without names."),
    ]
    visible_to: Annotated[
        list[Literal["learner", "facilitator", "district"]],
        Meta(description="Who may see the learner's own answers: said before they answer."),
    ]


class LearnerActivity(Wire, kw_only=True):
    """One step of the module."""

    id: Id
    title: str
    minutes: Minutes
    instructions: Markdown
    mode: Literal["both", "facilitated", "self_paced"]
    form: Id | None
    handout: Id | None


class LearnerHandout(Wire, kw_only=True):
    """A reading the learner keeps."""

    id: Id
    title: str
    body: Markdown


class LearnerMaterial(Wire, kw_only=True):
    """Something the session uses; `ref` names the form or handout it is, if one."""

    title: str
    kind: Literal["worksheet", "handout", "flipchart", "form", "supplies"]
    ref: Id | None


class Requirement(Wire, kw_only=True):
    """One thing that completes a requirement group: submit a form, pass it, or attend a live
    workshop of the module (`form` is then `attendance`)."""

    form: Id
    action: Literal["submit", "pass", "attend"]
    min_score: Annotated[
        Fraction | None, Meta(description="For `pass`: the lowest passing score, 0 to 1.")
    ] = None


class RequirementGroup(Wire, kw_only=True):
    """Met when any one of its requirements is met; most groups hold just one."""

    any_of: list[Requirement]


class LearnerCompletion(Wire, kw_only=True):
    """When the module counts as complete: when every group is met."""

    all_of: list[RequirementGroup]


class LearnerModule(Wire, kw_only=True):
    """A module as a learner takes it: everything to read and fill in, and no answer key."""

    id: Id
    version: Version
    title: str
    summary: Markdown
    goals: list[str]
    minutes: Annotated[Minutes, Meta(description="Professional-development credit, in minutes.")]
    materials: list[LearnerMaterial]
    learner_instructions: Markdown
    activities: list[LearnerActivity]
    handouts: list[LearnerHandout]
    forms: list[LearnerForm]
    completion: LearnerCompletion


# --- Listings and the facilitator view -----------------------------------------------------------


class ModuleSummary(Wire, kw_only=True):
    """A module as a course listing shows it."""

    id: Id
    version: Version
    title: str
    summary: Markdown
    minutes: Minutes
    goals: list[str]
    languages: Annotated[
        list[str],
        Meta(description="The languages the module ships in (`en` first); others fall back to English."),
    ] = []


class CourseView(Wire, kw_only=True):
    """The course as listed: its modules in the order they are taken."""

    id: Id
    title: str
    description: Markdown
    audience: list[str]
    modules: list[ModuleSummary]


class FacilitatorModule(Module, kw_only=True):
    """The authoring module, answer keys and script included, with its published version.

    A subclass rather than a wrapper so facilitators and authors read the same fields in the
    same places; only routes that require the facilitator scope may return it.
    """

    version: Version
