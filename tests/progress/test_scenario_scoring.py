"""Scoring branching scenarios without the API: the ending's credit, the unsafe-ending cap on a
form's score, and the rules every shipped scenario keeps (a safe full-credit path, an unsafe one,
each role covered)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.attempts.review import results
from api.attempts.scoring import AnswerError, check_answer, mark, score_item
from api.content.loader import CourseBundle, load_course
from api.content.scenarios import walk
from schemas.content import (
    ChoiceItem,
    ChoiceOption,
    Form,
    ResponsePolicy,
    ScenarioChoice,
    ScenarioEnding,
    ScenarioItem,
    ScenarioNode,
)
from tests.conftest import CONTENT_DIR


def scenario() -> ScenarioItem:
    return ScenarioItem(
        id="call",
        prompt="The phone rings.",
        start="ring",
        nodes=[
            ScenarioNode(
                id="ring",
                text="Someone asks where a student is.",
                choices=[
                    ScenarioChoice(id="tell", text="Tell.", feedback="Unsafe.", next="told"),
                    ScenarioChoice(id="check", text="Check.", feedback="Safe.", next="checked"),
                    ScenarioChoice(id="hang-up", text="Hang up.", feedback="Curt.", next="curt"),
                ],
            )
        ],
        endings=[
            ScenarioEnding(id="checked", title="Safe", text="Verified.", score=1),
            ScenarioEnding(id="curt", title="Curt", text="Safe, unkind.", score=0.5),
            ScenarioEnding(id="told", title="Told", text="A stranger knows.", score=0, safe=False),
        ],
    )


def choice(item_id: str) -> ChoiceItem:
    return ChoiceItem(
        id=item_id,
        prompt="Pick.",
        options=[
            ChoiceOption(id="a", text="A", feedback="Yes.", correct=True),
            ChoiceOption(id="b", text="B", feedback="No."),
        ],
    )


def test_the_ending_reached_is_the_credit() -> None:
    assert score_item(scenario(), ["check"]) == (1.0, True)
    assert score_item(scenario(), ["hang-up"]) == (0.5, False)
    assert score_item(scenario(), ["tell"]) == (0.0, False)
    assert score_item(scenario(), None) == (0.0, False)


@pytest.mark.parametrize(
    ("answer", "suffix"), [([], ""), (["nope"], "[0]"), (["check", "again"], "[1]"), ("check", "")]
)
def test_only_a_whole_walkable_path_is_an_answer(answer: object, suffix: str) -> None:
    with pytest.raises(AnswerError) as raised:
        check_answer(scenario(), answer)
    assert raised.value.item == "call" and raised.value.path_suffix == suffix


def test_an_unsafe_ending_keeps_the_form_below_its_pass_mark() -> None:
    form = Form(
        id="practice",
        kind="worksheet",
        title="Practice",
        instructions="Go.",
        items=[choice("q1"), choice("q2"), choice("q3"), scenario()],
        policy=ResponsePolicy(scoring="automatic", pass_mark=0.6),
    )
    right = {"q1": ["a"], "q2": ["a"], "q3": ["a"]}
    # Three of four right would pass (0.75 >= 0.6), but the fourth was unsafe: capped under 0.6.
    unsafe = mark(form, {**right, "call": ["tell"]})
    assert unsafe.score == pytest.approx(0.59)
    # The same credit earned safely (a curt but safe ending) is not capped.
    assert mark(form, {**right, "call": ["hang-up"]}).score == pytest.approx(0.875)
    # Feedback retells only the path taken, with its ending; never the best path.
    shown = results(unsafe, form, show_feedback=True, show_correct=True)
    told = next(r for r in shown if r.item == "call")
    assert told.feedback == ["Unsafe.", "**Told**\n\nA stranger knows."] and told.correct_answer is None


# --- The shipped course -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def course() -> CourseBundle:
    return load_course(Path(CONTENT_DIR))


def scenarios(course: CourseBundle) -> Iterator[ScenarioItem]:
    for module in course.modules:
        for form in module.forms:
            yield from (item for item in form.items if isinstance(item, ScenarioItem))


def paths(item: ScenarioItem) -> Iterator[list[str]]:
    """Every path from the start to an ending (the shipped graphs have no loops)."""
    nodes = {node.id: node for node in item.nodes}

    def go(node_id: str, path: list[str]) -> Iterator[list[str]]:
        for option in nodes[node_id].choices:
            if option.next in nodes:
                yield from go(option.next, [*path, option.id])
            else:
                yield [*path, option.id]

    yield from go(item.start, [])


def test_every_shipped_scenario_has_a_safe_and_an_unsafe_path(course: CourseBundle) -> None:
    found = list(scenarios(course))
    assert len(found) >= 6
    for item in found:
        endings = [walk(item, path, complete=True).ending for path in paths(item)]
        assert any(e is not None and e.safe and e.score == 1 for e in endings), item.id
        assert any(e is not None and not e.safe for e in endings), item.id
        # An unsafe ending never earns credit: the lesson is that it does not count.
        assert all(e is None or e.safe or e.score == 0 for e in endings), item.id


def test_the_shipped_scenarios_cover_the_other_roles(course: CourseBundle) -> None:
    roles = {item.role for item in scenarios(course)}
    assert {"front_office", "bus_driver", "cafeteria", "custodian"} <= roles


def test_every_module_holds_a_scenario_and_counts_its_minutes(course: CourseBundle) -> None:
    for module in course.modules:
        practice = [f for f in module.forms if any(isinstance(i, ScenarioItem) for i in f.items)]
        assert practice, module.id
        activities = [a for a in module.activities if a.form in {f.id for f in practice}]
        assert activities and all(a.minutes >= 2 * len(practice[0].items) for a in activities), module.id
        assert module.minutes == sum(a.minutes for a in module.activities), module.id
        assert module.minutes == sum(step.minutes for step in module.facilitator_script), module.id
