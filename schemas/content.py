"""The content model: a course, its modules, their forms and items, as authors write them.

These Structs are the *authoring* view: they hold answer keys, correct responses and feedback,
so they are only ever served to facilitators. Learner views are separate types in
`schemas/content_views.py`. Every prose field is Markdown. Files under `content/` decode into
these Structs strictly (unknown fields are errors) and items are a tagged union on `type`.
Every item type maps to a QTI 3 interaction, named in its docstring.
"""

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.base import Wire
from schemas.feedback import Localized

Id = Annotated[
    str,
    Meta(
        pattern=r"^[a-z0-9][a-z0-9-]{0,63}$",
        description="Stable identifier: lowercase letters, digits and hyphens; never reused.",
    ),
]
# The media type marks Markdown fields for the JSON Schema (editors) and for the HTML renderer,
# which finds them through msgspec.inspect.
Markdown = Annotated[
    str,
    Meta(
        description="Markdown text (CommonMark); no raw HTML.",
        extra_json_schema={"contentMediaType": "text/markdown"},
    ),
]
Minutes = Annotated[float, Meta(ge=0, le=600, description="Duration in minutes.")]
Fraction = Annotated[float, Meta(ge=0, le=1, description="A fraction from 0 to 1.")]


# --- Course -------------------------------------------------------------------------------


class Course(Wire, kw_only=True):
    """A course: an ordered list of modules for one audience."""

    id: Id
    title: Annotated[str, Meta(description="Course title as learners see it.")]
    description: Annotated[Markdown, Meta(description="What the course is and who it is for.")]
    audience: Annotated[list[str], Meta(description="Job roles the course is written for.")]
    modules: Annotated[list[Id], Meta(description="Module ids in the order they are taken.")]


# --- Facilitator script, materials, activities ---------------------------------------------


class ScriptStep(Wire, kw_only=True):
    """One step of the facilitator's script for the in-person workshop."""

    kind: Annotated[
        Literal["say", "do", "ask", "capture"],
        Meta(
            description="say: words to the room; do: an action; ask: a question to the room; "
            "capture: record answers (on a flipchart, in the group view)."
        ),
    ]
    minutes: Annotated[Minutes, Meta(description="Time the step takes.")]
    text: Annotated[Markdown, Meta(description="What the facilitator says or does.")]
    activity: Annotated[Id | None, Meta(description="The activity this step runs, if any.")] = None


class Material(Wire, kw_only=True):
    """Something the session needs: a worksheet, a handout, a flipchart, a form."""

    title: Annotated[str, Meta(description="Name of the material.")]
    kind: Annotated[
        Literal["worksheet", "handout", "flipchart", "form", "supplies"],
        Meta(description="What sort of material it is."),
    ]
    ref: Annotated[Id | None, Meta(description="The form or handout id this material is, if it is one.")] = (
        None
    )


class Handout(Wire, kw_only=True):
    """A reading the learner keeps: Markdown, served as Markdown and as sanitized HTML."""

    id: Id
    title: Annotated[str, Meta(description="Handout title.")]
    body: Annotated[Markdown, Meta(description="The handout text.")]


class Activity(Wire, kw_only=True):
    """One step of the module as a learner works through it."""

    id: Id
    title: Annotated[str, Meta(description="Activity title.")]
    minutes: Annotated[Minutes, Meta(description="Time the activity takes.")]
    instructions: Annotated[Markdown, Meta(description="What the learner does, in plain words.")]
    mode: Annotated[
        Literal["both", "facilitated", "self_paced"],
        Meta(description="Which delivery mode runs this activity."),
    ] = "both"
    form: Annotated[Id | None, Meta(description="The form the learner fills in, if any.")] = None
    handout: Annotated[Id | None, Meta(description="The handout the learner reads, if any.")] = None


# --- Completion rules ---------------------------------------------------------------------


class FormSubmitted(Wire, tag="form_submitted", kw_only=True):
    """Met when the learner has submitted the form."""

    form: Annotated[Id, Meta(description="The form that must be submitted.")]


class QuizPassed(Wire, tag="quiz_passed", kw_only=True):
    """Met when the learner's counted score on the form reaches `min_score`."""

    form: Annotated[Id, Meta(description="The knowledge check that must be passed.")]
    min_score: Annotated[Fraction, Meta(description="Lowest passing score, from 0 to 1.")]


class Attended(Wire, tag="attended", kw_only=True):
    """Met when a facilitator has confirmed the learner attended a live workshop of the module
    (the workshop mode's requirement: the room did the activities together)."""


ATTENDANCE = "attendance"
"""What a requirement to attend names in place of a form."""


class AllOf(Wire, tag="all_of", kw_only=True):
    """Met when every condition is met."""

    conditions: "list[Condition]"


class AnyOf(Wire, tag="any_of", kw_only=True):
    """Met when at least one condition is met."""

    conditions: "list[Condition]"


Condition = FormSubmitted | QuizPassed | Attended | AllOf | AnyOf


# --- Items (QTI 3 interactions) -------------------------------------------------------------


class ChoiceOption(Wire, kw_only=True):
    """One option of a choice item."""

    id: Id
    text: Annotated[Markdown, Meta(description="The option as the learner reads it.")]
    feedback: Annotated[Markdown, Meta(description="Why this option is right or wrong; shown after submit.")]
    correct: Annotated[bool, Meta(description="Whether choosing it is right.")] = False


class ChoiceItem(Wire, tag="choice", kw_only=True):
    """Pick one or several options (QTI choiceInteraction). Every option carries feedback."""

    id: Id
    prompt: Annotated[Markdown, Meta(description="The question.")]
    multiple: Annotated[bool, Meta(description="Whether several options may be chosen.")] = False
    options: Annotated[list[ChoiceOption], Meta(min_length=2)]
    shuffle: Annotated[bool, Meta(description="Whether options are shown in random order.")] = True
    points: Annotated[float, Meta(gt=0, description="Weight of the item in the score.")] = 1.0


class Category(Wire, kw_only=True):
    """A category of a classify item."""

    id: Id
    label: Annotated[str, Meta(description="Category name as the learner reads it.")]


class ClassifyEntry(Wire, kw_only=True):
    """A thing to sort, with the category it belongs in."""

    id: Id
    text: Annotated[Markdown, Meta(description="The thing to sort.")]
    category: Annotated[Id, Meta(description="Id of the right category.")]
    feedback: Annotated[Markdown, Meta(description="Why it belongs there; shown after submit.")]


class ClassifyItem(Wire, tag="classify", kw_only=True):
    """Sort entries into categories (QTI matchInteraction, one category per entry)."""

    id: Id
    prompt: Markdown
    categories: Annotated[list[Category], Meta(min_length=2)]
    entries: Annotated[list[ClassifyEntry], Meta(min_length=1)]
    points: Annotated[float, Meta(gt=0)] = 1.0


class OrderEntry(Wire, kw_only=True):
    """An entry of an order item; entries are listed in the right order."""

    id: Id
    text: Markdown


class OrderItem(Wire, tag="order", kw_only=True):
    """Put entries in the right order (QTI orderInteraction); authored in the right order."""

    id: Id
    prompt: Markdown
    entries: Annotated[list[OrderEntry], Meta(min_length=2)]
    feedback: Annotated[Markdown, Meta(description="Why this order; shown after submit.")]
    points: Annotated[float, Meta(gt=0)] = 1.0


class TextEntryItem(Wire, tag="text_entry", kw_only=True):
    """A short typed answer (QTI textEntryInteraction)."""

    id: Id
    prompt: Markdown
    accepted: Annotated[list[str], Meta(min_length=1, description="Answers counted right.")]
    feedback_correct: Markdown
    feedback_incorrect: Markdown
    case_sensitive: bool = False
    max_typos: Annotated[
        int, Meta(ge=0, le=3, description="Spelling leniency: edits allowed per answer.")
    ] = 1
    points: Annotated[float, Meta(gt=0)] = 1.0


class ExtendedTextItem(Wire, tag="extended_text", kw_only=True):
    """A written answer of some length (QTI extendedTextInteraction)."""

    id: Id
    prompt: Markdown
    required: bool = True
    min_length: Annotated[int, Meta(ge=0, description="Fewest characters.")] = 0
    max_length: Annotated[int, Meta(ge=1, le=20000, description="Most characters.")] = 2000


class ReferenceEntry(Wire, kw_only=True):
    """An answer the reference list holds, with the other ways people say it."""

    text: str
    synonyms: Annotated[list[str], Meta(description="Other wordings that count as this.")] = []


class ListItem(Wire, tag="list", kw_only=True):
    """The learner's own list, compared afterwards with a reference list and the group's."""

    id: Id
    prompt: Markdown
    min_entries: Annotated[int, Meta(ge=0)] = 1
    max_entries: Annotated[int, Meta(ge=1, le=100)] = 30
    max_entry_length: Annotated[int, Meta(ge=1, le=500)] = 120
    reference: Annotated[
        list[ReferenceEntry], Meta(description="The reference list shown after submit.")
    ] = []


class ScaleLabel(Wire, kw_only=True):
    """A label for one point of a scale."""

    value: int
    label: str


class Scale(Wire, kw_only=True):
    """A numeric scale with labels."""

    labels: Annotated[list[ScaleLabel], Meta(description="Labels, at least for both ends.")]
    min: int = 1
    max: int = 5


class RatingItem(Wire, tag="rating", kw_only=True):
    """One rating on a labelled scale (QTI sliderInteraction / choice on a Likert scale)."""

    id: Id
    prompt: Markdown
    scale: Scale
    required: bool = True


class Statement(Wire, kw_only=True):
    """One row of a matrix item."""

    id: Id
    text: Markdown


class MatrixItem(Wire, tag="matrix", kw_only=True):
    """Several statements rated on one scale (QTI matchInteraction as a grid)."""

    id: Id
    prompt: Markdown
    scale: Scale
    statements: Annotated[list[Statement], Meta(min_length=1)]
    required: bool = True


class Column(Wire, kw_only=True):
    """A named column of a table item."""

    id: Id
    label: str
    max_length: Annotated[int, Meta(ge=1, le=2000)] = 500


class Row(Wire, kw_only=True):
    """A fixed, labelled row of a table item."""

    id: Id
    label: str


class TableItem(Wire, tag="table", kw_only=True):
    """Rows and named columns the learner fills in (a chart, an action plan)."""

    id: Id
    prompt: Markdown
    columns: Annotated[list[Column], Meta(min_length=1)]
    rows: Annotated[list[Row], Meta(description="Fixed rows; empty means the learner adds rows.")] = []
    min_rows: Annotated[int, Meta(ge=0)] = 1
    max_rows: Annotated[int, Meta(ge=1, le=100)] = 20


# --- Branching scenarios ----------------------------------------------------------------------


class ScenarioChoice(Wire, kw_only=True):
    """One thing the learner may do at a node; it leads to another node or to an ending."""

    id: Annotated[Id, Meta(description="Unique within its node; a learner's path is these ids.")]
    text: Annotated[Markdown, Meta(description="What the learner does or says.")]
    feedback: Annotated[Markdown, Meta(description="What this choice did and why; shown after taking it.")]
    next: Annotated[Id, Meta(description="The node or ending this choice leads to.")]


class ScenarioNode(Wire, kw_only=True):
    """One moment of the situation: what happens, and what the learner may do next."""

    id: Annotated[Id, Meta(description="Unique among the scenario's nodes and endings.")]
    text: Annotated[Markdown, Meta(description="What happens now, as the learner sees it.")]
    choices: Annotated[list[ScenarioChoice], Meta(min_length=1)]


class ScenarioEnding(Wire, kw_only=True):
    """How the situation ends, and the credit that ending earns."""

    id: Annotated[Id, Meta(description="Unique among the scenario's nodes and endings.")]
    title: Annotated[str, Meta(description="The outcome in a few words.")]
    text: Annotated[Markdown, Meta(description="What came of the learner's choices, and why.")]
    score: Annotated[Fraction, Meta(description="Credit for reaching this ending, from 0 to 1.")]
    safe: Annotated[
        bool,
        Meta(
            description="false: the path put a student or a student's information at risk; such an "
            "ending keeps the whole form below its pass mark, whatever else is right."
        ),
    ] = True


class ScenarioItem(Wire, tag="scenario", kw_only=True):
    """A situation that unfolds over several nodes (QTI has no branching interaction: a chain of
    choiceInteractions with adaptive feedback). The answer is the path: the choice ids taken
    from `start` to an ending. Learners are served only the start node; each next node comes
    from the server once they choose."""

    id: Id
    prompt: Annotated[Markdown, Meta(description="The setting: who, where, when.")]
    role: Annotated[
        Literal["front_office", "bus_driver", "cafeteria", "custodian", "any"],
        Meta(description="The staff role whose day this is."),
    ] = "front_office"
    start: Annotated[Id, Meta(description="The node the situation starts at.")]
    nodes: Annotated[list[ScenarioNode], Meta(min_length=1)]
    endings: Annotated[list[ScenarioEnding], Meta(description="Where paths end; at least one.")] = []
    points: Annotated[float, Meta(gt=0)] = 1.0


Item = (
    ChoiceItem
    | ClassifyItem
    | OrderItem
    | TextEntryItem
    | ExtendedTextItem
    | ListItem
    | RatingItem
    | MatrixItem
    | TableItem
    | ScenarioItem
)


# --- Forms and their response policy --------------------------------------------------------


class AttemptPolicy(Wire, kw_only=True):
    """How many times a form may be attempted and what the learner sees after each."""

    max_attempts: Annotated[int | None, Meta(description="Most attempts; null: no limit.")] = 1
    counted: Annotated[
        Literal["highest", "latest", "first"], Meta(description="Which attempt's score counts.")
    ] = "highest"
    shuffle: Annotated[bool, Meta(description="Shuffle item order per attempt.")] = False
    feedback: Annotated[
        Literal["never", "after_submit", "after_last_attempt"],
        Meta(description="When per-item feedback is shown."),
    ] = "after_submit"
    correct_answers: Annotated[
        Literal["never", "after_submit", "after_pass", "after_last_attempt"],
        Meta(description="When the correct answers are shown."),
    ] = "after_submit"


class ScoreBand(Wire, kw_only=True):
    """Overall feedback for scores from `min` (inclusive) up to the next band."""

    min: Fraction
    feedback: Markdown


class ResponsePolicy(Wire, kw_only=True):
    """What a form's responses mean: scored or not, who sees them, how often it may be tried."""

    scoring: Annotated[
        Literal["none", "completion", "automatic"],
        Meta(description="none: not scored; completion: full marks on submit; automatic: scored."),
    ] = "none"
    pass_mark: Annotated[
        Fraction | None, Meta(description="Score needed to pass when scored automatically.")
    ] = None
    identity: Annotated[
        Literal["identified", "anonymous"],
        Meta(description="anonymous: results are only ever shown aggregated, without names."),
    ] = "identified"
    visible_to: Annotated[
        list[Literal["learner", "facilitator", "district"]],
        Meta(description="Who may see an individual's answers."),
    ] = msgspec.field(default_factory=lambda: ["learner"])
    min_group_size: Annotated[
        int, Meta(ge=1, description="Fewest respondents before aggregates are shown.")
    ] = 5
    attempts: AttemptPolicy = msgspec.field(default_factory=AttemptPolicy)
    score_bands: Annotated[
        list[ScoreBand], Meta(description="Overall feedback by score, lowest band first.")
    ] = []


class Form(Wire, kw_only=True):
    """A worksheet, knowledge check, self-assessment or reflection; they differ by policy."""

    id: Id
    kind: Annotated[
        Literal["worksheet", "knowledge_check", "self_assessment", "reflection"],
        Meta(description="What the form is for."),
    ]
    title: str
    instructions: Markdown
    items: Annotated[list[Item], Meta(min_length=1)]
    policy: ResponsePolicy = msgspec.field(default_factory=ResponsePolicy)


# --- Module ------------------------------------------------------------------------------


class Module(Wire, kw_only=True):
    """One module of about twenty minutes of professional development, both delivery modes."""

    id: Id
    title: str
    summary: Annotated[Markdown, Meta(description="One paragraph on what the module covers.")]
    goals: Annotated[list[str], Meta(min_length=1, description="What the learner will be able to do.")]
    minutes: Annotated[Minutes, Meta(description="Estimated minutes: the professional-development credit.")]
    facilitator_script: Annotated[
        list[ScriptStep], Meta(min_length=1, description="The workshop, step by step.")
    ]
    learner_instructions: Annotated[Markdown, Meta(description="How a staff member works through it alone.")]
    activities: Annotated[list[Activity], Meta(min_length=1)]
    forms: Annotated[list[Form], Meta(min_length=1)]
    completion: Annotated[Condition, Meta(description="When the module counts as complete.")]
    materials: list[Material] = []
    handouts: list[Handout] = []


class Translation(Wire, kw_only=True):
    """A translation of one module: `strings` maps a path in the English module to its text."""

    module: Id
    locale: Annotated[str, Meta(pattern=r"^[a-z]{2}$", description="Two-letter language code.")]
    strings: Annotated[
        dict[str, str],
        Meta(description="Path in the English module (as `check` prints it) to translated text."),
    ]


class CourseTranslation(Wire, kw_only=True):
    """A translation of the course itself (`translations/<locale>/course.yaml`): `strings` maps a
    path in course.yaml (`title`, `description`, `audience[0]`) to its text."""

    course: Id
    locale: Annotated[str, Meta(pattern=r"^[a-z]{2}$", description="Two-letter language code.")]
    strings: Annotated[
        dict[str, str],
        Meta(description="Path in course.yaml (as `check` prints it) to translated text."),
    ]


# --- Workshop agendas and the job aid (texts in English and Spanish, as the instruments') ----


class AgendaBlock(Wire, kw_only=True):
    """One block of a workshop's agenda: a welcome, a module, a break, a transition or a close."""

    kind: Annotated[
        Literal["welcome", "module", "break", "transition", "close"],
        Meta(description="What the block is; a `module` block runs that module's script."),
    ]
    minutes: Annotated[
        Minutes,
        Meta(
            description="Time the block takes. For a module block, the minutes of the script steps "
            "it keeps (the checker adds them up)."
        ),
    ]
    module: Annotated[Id | None, Meta(description="The module a `module` block runs.")] = None
    leave_out: Annotated[
        list[Id],
        Meta(
            description="Activities of the module whose script steps this agenda leaves out of the "
            "room (participants do them on their own afterwards)."
        ),
    ] = []
    title: Annotated[
        Localized | None, Meta(description="The block's name; a module block takes the module's title.")
    ] = None
    text: Annotated[
        Localized | None,
        Meta(description="What the facilitator does in this block (Markdown); a module block's is optional."),
    ] = None


class Agenda(Wire, kw_only=True):
    """A workshop of one or more modules, timed block by block (`content/agendas/<id>.yaml`).
    An agenda of one module is derived from its script and never written."""

    id: Id
    title: Annotated[Localized, Meta(description="The agenda's name as the packet prints it.")]
    summary: Annotated[Localized, Meta(description="Who it is for and how it runs (Markdown).")]
    minutes: Annotated[Minutes, Meta(description="The whole workshop; the blocks must add up to it.")]
    blocks: Annotated[list[AgendaBlock], Meta(min_length=1)]


class StandardLine(Wire, kw_only=True):
    """One promise of the service standard, as the job aid says it in one line."""

    name: Localized
    text: Localized


class Contact(Wire, kw_only=True):
    """A line of the who-to-call list: a situation and whom to call about it."""

    need: Annotated[Localized, Meta(description="The situation, as staff meet it.")]
    who: Annotated[Localized, Meta(description="The person or office to call.")]


class JobAid(Wire, kw_only=True):
    """The one-page job aid by the phone (`content/job-aid.yaml`): the service standard in its
    order, and who to call for what, with room to write each number."""

    title: Localized
    standard_intro: Localized
    standard: Annotated[list[StandardLine], Meta(min_length=1, description="In priority order.")]
    contacts_intro: Localized
    contacts: Annotated[list[Contact], Meta(min_length=1, max_length=14)]
    footer: Annotated[Localized, Meta(description="A last line: the district's own rules come first.")]
