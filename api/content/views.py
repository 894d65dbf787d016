"""Building the served views of a module and the course from the authoring content.

The learner types of `schemas/content_views.py` have no field for an answer key, so each builder
copies the fields a learner needs and nothing else. A translated module is viewed the same way:
apply the translation first, then build the view.
"""

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar, assert_never

import msgspec

from schemas.content import (
    ATTENDANCE,
    AllOf,
    AnyOf,
    Attended,
    ChoiceItem,
    ClassifyItem,
    Condition,
    Course,
    ExtendedTextItem,
    Form,
    FormSubmitted,
    Item,
    ListItem,
    MatrixItem,
    Module,
    OrderItem,
    QuizPassed,
    RatingItem,
    Scale,
    ScenarioItem,
    ScenarioNode,
    TableItem,
    TextEntryItem,
)
from schemas.content_views import (
    CourseView,
    FacilitatorModule,
    LearnerActivity,
    LearnerCategory,
    LearnerChoiceItem,
    LearnerClassifyItem,
    LearnerColumn,
    LearnerCompletion,
    LearnerEntry,
    LearnerExtendedTextItem,
    LearnerForm,
    LearnerHandout,
    LearnerItem,
    LearnerListItem,
    LearnerMaterial,
    LearnerMatrixItem,
    LearnerModule,
    LearnerOption,
    LearnerOrderItem,
    LearnerRatingItem,
    LearnerRow,
    LearnerScale,
    LearnerScaleLabel,
    LearnerScenarioChoice,
    LearnerScenarioItem,
    LearnerScenarioNode,
    LearnerStatement,
    LearnerTableItem,
    LearnerTextEntryItem,
    ModuleSummary,
    Requirement,
    RequirementGroup,
)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


E = TypeVar("E", bound=_HasId)


def presentation_order(item_id: str, entries: Sequence[E]) -> list[E]:
    """`entries` in a fixed mixed order: by a hash of item and entry id, never as authored.

    Fixed, so every learner and every attempt sees the same order and a stored answer can be
    replayed; never the authored order when there are two or more entries, because an order
    item is authored in its right order.
    """
    mixed = sorted(entries, key=lambda entry: hashlib.sha256(f"{item_id}/{entry.id}".encode()).digest())
    if len(mixed) > 1 and [e.id for e in mixed] == [e.id for e in entries]:
        mixed = mixed[1:] + mixed[:1]
    return mixed


def _scale(scale: Scale) -> LearnerScale:
    labels = [LearnerScaleLabel(value=label.value, label=label.label) for label in scale.labels]
    return LearnerScale(labels=labels, min=scale.min, max=scale.max)


def learner_item(item: Item) -> LearnerItem:
    """The learner view of one item: the question without its answer key or feedback."""
    match item:
        case ChoiceItem():
            return LearnerChoiceItem(
                id=item.id,
                prompt=item.prompt,
                multiple=item.multiple,
                options=[LearnerOption(id=o.id, text=o.text) for o in item.options],
                shuffle=item.shuffle,
                points=item.points,
            )
        case ClassifyItem():
            return LearnerClassifyItem(
                id=item.id,
                prompt=item.prompt,
                categories=[LearnerCategory(id=c.id, label=c.label) for c in item.categories],
                entries=[
                    LearnerEntry(id=e.id, text=e.text) for e in presentation_order(item.id, item.entries)
                ],
                points=item.points,
            )
        case OrderItem():
            return LearnerOrderItem(
                id=item.id,
                prompt=item.prompt,
                entries=[
                    LearnerEntry(id=e.id, text=e.text) for e in presentation_order(item.id, item.entries)
                ],
                points=item.points,
            )
        case TextEntryItem():
            return LearnerTextEntryItem(id=item.id, prompt=item.prompt, points=item.points)
        case ExtendedTextItem():
            return LearnerExtendedTextItem(
                id=item.id,
                prompt=item.prompt,
                required=item.required,
                min_length=item.min_length,
                max_length=item.max_length,
            )
        case ListItem():
            return LearnerListItem(
                id=item.id,
                prompt=item.prompt,
                min_entries=item.min_entries,
                max_entries=item.max_entries,
                max_entry_length=item.max_entry_length,
            )
        case RatingItem():
            return LearnerRatingItem(
                id=item.id, prompt=item.prompt, scale=_scale(item.scale), required=item.required
            )
        case MatrixItem():
            return LearnerMatrixItem(
                id=item.id,
                prompt=item.prompt,
                scale=_scale(item.scale),
                statements=[LearnerStatement(id=s.id, text=s.text) for s in item.statements],
                required=item.required,
            )
        case TableItem():
            return LearnerTableItem(
                id=item.id,
                prompt=item.prompt,
                columns=[
                    LearnerColumn(id=c.id, label=c.label, max_length=c.max_length) for c in item.columns
                ],
                rows=[LearnerRow(id=r.id, label=r.label) for r in item.rows],
                min_rows=item.min_rows,
                max_rows=item.max_rows,
            )
        case ScenarioItem():
            # Only the start node: the rest of the graph would show the learner the way ahead.
            start = next(node for node in item.nodes if node.id == item.start)
            return LearnerScenarioItem(
                id=item.id, prompt=item.prompt, role=item.role, start=learner_node(start), points=item.points
            )
        case _:
            assert_never(item)


def learner_node(node: ScenarioNode) -> LearnerScenarioNode:
    """A scenario node as a learner at it sees it: its choices without feedback or targets."""
    choices = [LearnerScenarioChoice(id=c.id, text=c.text) for c in node.choices]
    return LearnerScenarioNode(id=node.id, text=node.text, choices=choices)


def learner_form(form: Form) -> LearnerForm:
    """The learner view of a form: its items as learner items and the policy rules they see."""
    policy = form.policy
    return LearnerForm(
        id=form.id,
        kind=form.kind,
        title=form.title,
        instructions=form.instructions,
        items=[learner_item(item) for item in form.items],
        scoring=policy.scoring,
        pass_mark=policy.pass_mark,
        max_attempts=policy.attempts.max_attempts,
        identity=policy.identity,
        visible_to=list(policy.visible_to),
    )


def _groups(condition: Condition) -> list[list[Requirement]]:
    # The rule in conjunctive normal form (all of: any of), which a learner reads as a checklist.
    match condition:
        case FormSubmitted():
            return [[Requirement(form=condition.form, action="submit")]]
        case QuizPassed():
            return [[Requirement(form=condition.form, action="pass", min_score=condition.min_score)]]
        case Attended():
            return [[Requirement(form=ATTENDANCE, action="attend")]]
        case AllOf():
            return [group for child in condition.conditions for group in _groups(child)]
        case AnyOf():
            groups: list[list[Requirement]] = [[]]
            for child in condition.conditions:
                groups = [mine + theirs for mine in groups for theirs in _groups(child)]
            return groups
        case _:
            assert_never(condition)


def _unique(values: Iterable[Requirement]) -> list[Requirement]:
    seen: list[Requirement] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def learner_completion(condition: Condition) -> LearnerCompletion:
    """The completion rule as a checklist: every group must be met, each by any one of its
    requirements."""
    groups: list[RequirementGroup] = []
    for requirements in _groups(condition):
        group = RequirementGroup(any_of=_unique(requirements))
        if group not in groups:
            groups.append(group)
    return LearnerCompletion(all_of=groups)


def learner_module(module: Module, version: str) -> LearnerModule:
    """The module as a learner is served it, without answer keys, feedback or the script."""
    return LearnerModule(
        id=module.id,
        version=version,
        title=module.title,
        summary=module.summary,
        goals=list(module.goals),
        minutes=module.minutes,
        materials=[LearnerMaterial(title=m.title, kind=m.kind, ref=m.ref) for m in module.materials],
        learner_instructions=module.learner_instructions,
        activities=[
            LearnerActivity(
                id=a.id,
                title=a.title,
                minutes=a.minutes,
                instructions=a.instructions,
                mode=a.mode,
                form=a.form,
                handout=a.handout,
            )
            for a in module.activities
        ],
        handouts=[LearnerHandout(id=h.id, title=h.title, body=h.body) for h in module.handouts],
        forms=[learner_form(form) for form in module.forms],
        completion=learner_completion(module.completion),
    )


def module_summary(module: Module, version: str, languages: Iterable[str] = ()) -> ModuleSummary:
    """The module as a course listing shows it."""
    return ModuleSummary(
        id=module.id,
        version=version,
        title=module.title,
        summary=module.summary,
        minutes=module.minutes,
        goals=list(module.goals),
        languages=list(languages),
    )


def course_view(course: Course, modules: Iterable[ModuleSummary]) -> CourseView:
    """The course with the summaries of its modules, given in course order."""
    return CourseView(
        id=course.id,
        title=course.title,
        description=course.description,
        audience=list(course.audience),
        modules=list(modules),
    )


def facilitator_module(module: Module, version: str) -> FacilitatorModule:
    """The authoring module with its version: what a facilitator is served."""
    return FacilitatorModule(version=version, **msgspec.structs.asdict(module))
