"""Learner views hold no answer key: proved per item type, per field name and per module."""

import itertools
import typing
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from msgspec import inspect

import schemas.content as authoring
from api.content.views import (
    course_view,
    facilitator_module,
    learner_completion,
    learner_form,
    learner_item,
    learner_module,
    module_summary,
    presentation_order,
)
from schemas.base import Wire
from schemas.content import (
    Activity,
    AllOf,
    AnyOf,
    AttemptPolicy,
    Category,
    ChoiceItem,
    ChoiceOption,
    ClassifyEntry,
    ClassifyItem,
    Column,
    Course,
    ExtendedTextItem,
    Form,
    FormSubmitted,
    Handout,
    Item,
    ListItem,
    MatrixItem,
    Module,
    OrderEntry,
    OrderItem,
    QuizPassed,
    RatingItem,
    ReferenceEntry,
    ResponsePolicy,
    Row,
    Scale,
    ScaleLabel,
    ScoreBand,
    ScriptStep,
    Statement,
    TableItem,
    TextEntryItem,
)
from schemas.content_views import (
    CourseView,
    FormKind,
    LearnerItem,
    LearnerModule,
    LearnerOrderItem,
    ModuleSummary,
    Requirement,
    RequirementGroup,
)

SCALE = Scale(labels=[ScaleLabel(value=1, label="Never"), ScaleLabel(value=5, label="Always")])


def secret_items() -> list[tuple[Item, list[str]]]:
    """One authoring item of each type, with the answer-key strings a learner must never see.

    Every answer key, feedback text and reference entry is a distinctive string, so finding it
    in an encoded view means it leaked.
    """
    return [
        (
            ChoiceItem(
                id="choice",
                prompt="Which greeting is best?",
                options=[
                    ChoiceOption(
                        id="warm", text="Good morning", feedback="SECRET-choice-right", correct=True
                    ),
                    ChoiceOption(id="cold", text="Next", feedback="SECRET-choice-wrong"),
                ],
            ),
            ["SECRET-choice-right", "SECRET-choice-wrong"],
        ),
        (
            ClassifyItem(
                id="classify",
                prompt="Sort these people.",
                categories=[
                    Category(id="internal", label="Internal"),
                    Category(id="external", label="External"),
                ],
                entries=[
                    ClassifyEntry(
                        id="parent",
                        text="A parent",
                        category="external",
                        feedback="SECRET-classify-parent",
                    ),
                    ClassifyEntry(
                        id="teacher",
                        text="A teacher",
                        category="internal",
                        feedback="SECRET-classify-teacher",
                    ),
                ],
            ),
            ["SECRET-classify-parent", "SECRET-classify-teacher"],
        ),
        (
            OrderItem(
                id="order",
                prompt="Put the steps in order.",
                entries=[
                    OrderEntry(id="greet", text="Greet"),
                    OrderEntry(id="listen", text="Listen"),
                    OrderEntry(id="act", text="Act"),
                    OrderEntry(id="follow", text="Follow up"),
                ],
                feedback="SECRET-order-why",
            ),
            ["SECRET-order-why"],
        ),
        (
            TextEntryItem(
                id="text-entry",
                prompt="Who is our customer?",
                accepted=["SECRET-accepted-one", "SECRET-accepted-two"],
                feedback_correct="SECRET-text-right",
                feedback_incorrect="SECRET-text-wrong",
            ),
            [
                "SECRET-accepted-one",
                "SECRET-accepted-two",
                "SECRET-text-right",
                "SECRET-text-wrong",
            ],
        ),
        (ExtendedTextItem(id="extended", prompt="What did you learn?"), []),
        (
            ListItem(
                id="list",
                prompt="List our customers.",
                reference=[
                    ReferenceEntry(text="SECRET-reference-parents", synonyms=["SECRET-synonym-families"])
                ],
            ),
            ["SECRET-reference-parents", "SECRET-synonym-families"],
        ),
        (RatingItem(id="rating", prompt="Rate the module.", scale=SCALE), []),
        (
            MatrixItem(
                id="matrix",
                prompt="How often?",
                scale=SCALE,
                statements=[Statement(id="greet", text="I greet")],
            ),
            [],
        ),
        (
            TableItem(
                id="table",
                prompt="Your plan.",
                columns=[Column(id="what", label="What")],
                rows=[Row(id="first", label="First")],
            ),
            [],
        ),
        (
            # Only the start node: later nodes, where choices lead, feedback and endings stay home.
            authoring.ScenarioItem(
                id="scenario",
                prompt="The phone rings.",
                start="ring",
                nodes=[
                    authoring.ScenarioNode(
                        id="ring",
                        text="Who is it?",
                        choices=[
                            authoring.ScenarioChoice(
                                id="ask", text="Ask", feedback="SECRET-scenario-feedback", next="secret-next"
                            )
                        ],
                    ),
                    authoring.ScenarioNode(
                        id="secret-next",
                        text="SECRET-scenario-node",
                        choices=[
                            authoring.ScenarioChoice(
                                id="end", text="End", feedback="Done.", next="secret-end"
                            )
                        ],
                    ),
                ],
                endings=[
                    authoring.ScenarioEnding(
                        id="secret-end", title="SECRET-ending-title", text="SECRET-ending-text", score=1
                    )
                ],
            ),
            [
                "SECRET-scenario-feedback",
                "SECRET-scenario-node",
                "secret-next",
                "SECRET-ending-title",
                "SECRET-ending-text",
            ],
        ),
    ]


ITEMS = secret_items()
FORBIDDEN_FIELDS = {
    *("correct", "feedback", "accepted", "reference", "category", "synonyms"),
    *("next", "nodes", "endings", "score", "safe"),  # a scenario's graph ahead and its endings' credit
}


def _field_names(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _field_names(value)
    elif isinstance(data, list):
        for element in data:
            yield from _field_names(element)


def assert_no_answer_key(encoded: bytes, secrets: list[str]) -> None:
    text = encoded.decode()
    for secret in secrets:
        assert secret not in text, f"{secret} leaked into {text}"
    for name in _field_names(msgspec.json.decode(encoded)):
        assert name not in FORBIDDEN_FIELDS and not name.startswith("feedback"), name


def test_every_item_type_is_covered() -> None:
    assert {type(item) for item, _ in ITEMS} == set(typing.get_args(Item))


@pytest.mark.parametrize(("item", "secrets"), ITEMS, ids=[item.id for item, _ in ITEMS])
def test_learner_item_holds_no_answer_key(item: Item, secrets: list[str]) -> None:
    authored = msgspec.json.encode(item).decode()
    assert all(secret in authored for secret in secrets)  # the secrets are really there
    view = learner_item(item)
    assert_no_answer_key(msgspec.json.encode(view), secrets)
    assert view.__struct_config__.tag == item.__struct_config__.tag
    assert view.id == item.id


def test_learner_choice_does_not_say_which_option_is_correct() -> None:
    item = ITEMS[0][0]
    assert isinstance(item, ChoiceItem)
    options = msgspec.json.decode(msgspec.json.encode(learner_item(item)))["options"]
    assert options == [{"id": "warm", "text": "Good morning"}, {"id": "cold", "text": "Next"}]


def test_learner_classify_does_not_say_where_entries_belong() -> None:
    item = ITEMS[1][0]
    view = msgspec.json.decode(msgspec.json.encode(learner_item(item)))
    assert all(set(entry) == {"id", "text"} for entry in view["entries"])


def test_learner_order_is_never_the_right_order() -> None:
    item = ITEMS[2][0]
    assert isinstance(item, OrderItem)
    view = learner_item(item)
    assert isinstance(view, LearnerOrderItem)
    shown = [entry.id for entry in view.entries]
    assert sorted(shown) == sorted(entry.id for entry in item.entries)
    assert shown != [entry.id for entry in item.entries]
    assert learner_item(item) == view  # the same order every time


def test_presentation_order_differs_from_authored_for_every_authored_order() -> None:
    entries = [OrderEntry(id=name, text=name) for name in ["a", "b", "c", "d"]]
    for count in range(2, 5):
        for authored in itertools.permutations(entries[:count]):
            shown = presentation_order("steps", list(authored))
            assert [e.id for e in shown] != [e.id for e in authored]
            assert sorted(e.id for e in shown) == sorted(e.id for e in authored)
            assert presentation_order("steps", list(authored)) == shown  # deterministic
    single = [OrderEntry(id="only", text="Only")]
    assert presentation_order("steps", single) == single


# --- The types themselves ---


def _structs(t: inspect.Type, seen: set[type[msgspec.Struct]]) -> None:
    if isinstance(t, inspect.Metadata):
        _structs(t.type, seen)
    elif isinstance(t, inspect.UnionType):
        for member in t.types:
            _structs(member, seen)
    elif isinstance(t, inspect.ListType):
        _structs(t.item_type, seen)
    elif isinstance(t, inspect.StructType) and t.cls not in seen:
        seen.add(t.cls)
        for field in t.fields:
            _structs(field.type, seen)


def learner_types() -> set[type[msgspec.Struct]]:
    seen: set[type[msgspec.Struct]] = set()
    for root in (LearnerModule, ModuleSummary, CourseView):
        _structs(inspect.type_info(root), seen)
    return seen


def test_learner_types_have_no_answer_key_fields() -> None:
    types = learner_types()
    assert len(types) > 20
    for cls in types:
        for name in cls.__struct_fields__:
            assert name not in FORBIDDEN_FIELDS, f"{cls.__name__}.{name}"
            assert not name.startswith("feedback"), f"{cls.__name__}.{name}"
            assert name not in {"facilitator_script", "score_bands"}, f"{cls.__name__}.{name}"


def test_learner_types_are_not_authoring_types() -> None:
    # A learner type that derived from (or was) an authoring type would take on any field later
    # added there, answer keys included.
    authored = {
        value
        for value in vars(authoring).values()
        if isinstance(value, type) and issubclass(value, msgspec.Struct)
    }
    for cls in learner_types():
        assert not any(issubclass(cls, a) for a in authored if a is not Wire), cls


def test_learner_item_tags_match_the_authoring_tags() -> None:
    def tags(union: Any) -> list[str]:
        return [str(t.__struct_config__.tag) for t in typing.get_args(union)]

    assert tags(LearnerItem) == tags(Item)


def test_form_kinds_match_the_authoring_kinds() -> None:
    info = inspect.type_info(Form)
    assert isinstance(info, inspect.StructType)
    kind = next(f.type for f in info.fields if f.name == "kind")
    authored = kind.type if isinstance(kind, inspect.Metadata) else kind
    assert isinstance(authored, inspect.LiteralType)
    assert set(authored.values) == set(typing.get_args(FormKind))


# --- Whole modules ---


def secret_module() -> Module:
    items = [item for item, _ in ITEMS]
    return Module(
        id="intro",
        title="Introduction",
        summary="What service means.",
        goals=["Name our customers."],
        minutes=20,
        facilitator_script=[ScriptStep(kind="say", minutes=2, text="SECRET-script-say")],
        learner_instructions="Work through it.",
        activities=[
            Activity(
                id="start",
                title="Start",
                minutes=5,
                instructions="Begin.",
                form="check",
                handout="notes",
            )
        ],
        forms=[
            Form(
                id="check",
                kind="knowledge_check",
                title="Check",
                instructions="Answer.",
                items=items,
                policy=ResponsePolicy(
                    scoring="automatic",
                    pass_mark=0.8,
                    attempts=AttemptPolicy(max_attempts=3),
                    score_bands=[ScoreBand(min=0, feedback="SECRET-band-low")],
                ),
            ),
            Form(
                id="reflection",
                kind="reflection",
                title="Reflection",
                instructions="Tell us.",
                items=[ExtendedTextItem(id="learned", prompt="What did you learn?")],
            ),
        ],
        completion=AllOf(
            conditions=[QuizPassed(form="check", min_score=0.8), FormSubmitted(form="reflection")]
        ),
        handouts=[Handout(id="notes", title="Notes", body="Everyone is a customer.")],
    )


MODULE_SECRETS = [s for _, secrets in ITEMS for s in secrets] + [
    "SECRET-script-say",
    "SECRET-band-low",
]


def test_learner_module_holds_no_answer_key() -> None:
    module = secret_module()
    view = learner_module(module, "3")
    assert_no_answer_key(msgspec.json.encode(view), MODULE_SECRETS)
    assert view.version == "3"
    assert [form.id for form in view.forms] == ["check", "reflection"]
    assert view.forms[0].pass_mark == 0.8
    assert view.forms[0].max_attempts == 3
    assert [item.id for item in view.forms[0].items] == [item.id for item, _ in ITEMS]


def test_learner_form_keeps_the_policy_a_learner_needs() -> None:
    form = learner_form(secret_module().forms[1])
    assert (form.scoring, form.pass_mark, form.max_attempts, form.identity) == (
        "none",
        None,
        1,
        "identified",
    )
    assert form.visible_to == ["learner"]


def test_completion_as_a_checklist() -> None:
    rule = AllOf(
        conditions=[
            QuizPassed(form="check", min_score=0.8),
            AnyOf(conditions=[FormSubmitted(form="a"), FormSubmitted(form="b")]),
        ]
    )
    assert learner_completion(rule).all_of == [
        RequirementGroup(any_of=[Requirement(form="check", action="pass", min_score=0.8)]),
        RequirementGroup(
            any_of=[Requirement(form="a", action="submit"), Requirement(form="b", action="submit")]
        ),
    ]
    encoded = msgspec.json.decode(msgspec.json.encode(learner_completion(FormSubmitted(form="a"))))
    assert encoded == {"all_of": [{"any_of": [{"form": "a", "action": "submit", "min_score": None}]}]}


def test_summary_and_course_view() -> None:
    module = secret_module()
    summary = module_summary(module, "3")
    assert (summary.id, summary.version, summary.goals) == ("intro", "3", ["Name our customers."])
    assert_no_answer_key(msgspec.json.encode(summary), MODULE_SECRETS)
    course = Course(id="a-plus", title="A+", description="For staff.", audience=["Staff"], modules=["intro"])
    view = course_view(course, [summary])
    assert view.modules == [summary]
    assert (view.id, view.title, view.audience) == ("a-plus", "A+", ["Staff"])


def test_facilitator_module_is_the_authoring_module_with_its_version() -> None:
    module = secret_module()
    view = facilitator_module(module, "3")
    assert isinstance(view, Module)
    assert view.version == "3"
    encoded = msgspec.json.decode(msgspec.json.encode(view))
    assert encoded.pop("version") == "3"
    assert encoded == msgspec.to_builtins(module)  # every answer key is there for facilitators
