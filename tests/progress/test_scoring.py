"""Checking answers, scoring items and marking forms: built-in items, then the real course."""

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from api.attempts.review import results
from api.attempts.scoring import (
    AnswerError,
    answer_type,
    band_feedback,
    check_answer,
    is_scorable,
    mark,
    score_item,
)
from api.content.loader import CourseBundle, load_course
from api.content.translation import apply_translation
from schemas.content import (
    Category,
    ChoiceItem,
    ChoiceOption,
    ClassifyEntry,
    ClassifyItem,
    Column,
    ExtendedTextItem,
    Form,
    Item,
    ListItem,
    MatrixItem,
    OrderEntry,
    OrderItem,
    RatingItem,
    ResponsePolicy,
    Row,
    Scale,
    ScaleLabel,
    ScoreBand,
    Statement,
    TableItem,
    TextEntryItem,
)
from schemas.progress import ItemResult

CONTENT = Path(__file__).resolve().parents[2] / "content"


# --- Items to test with ---------------------------------------------------------------------


def mark_form(
    marked_form: Form, answers: dict[str, object], *, show_feedback: bool, show_correct: bool
) -> tuple[float | None, list[ItemResult]]:
    """The form's score and what a learner is shown of it, as a submit gives them."""
    marking = mark(marked_form, answers)
    return marking.score, results(
        marking, marked_form, show_feedback=show_feedback, show_correct=show_correct
    )


def choice(*, multiple: bool = False, item_id: str = "q1", points: float = 1.0) -> ChoiceItem:
    """Options a, b, c, d; a is right, and b too when `multiple`; c and d are wrong."""
    return ChoiceItem(
        id=item_id,
        prompt="Pick.",
        multiple=multiple,
        points=points,
        options=[
            ChoiceOption(id="a", text="A", feedback="fa", correct=True),
            ChoiceOption(id="b", text="B", feedback="fb", correct=multiple),
            ChoiceOption(id="c", text="C", feedback="fc"),
            ChoiceOption(id="d", text="D", feedback="fd"),
        ],
    )


def classify() -> ClassifyItem:
    return ClassifyItem(
        id="sort",
        prompt="Sort.",
        categories=[Category(id="in", label="Internal"), Category(id="out", label="External")],
        entries=[
            ClassifyEntry(id="teacher", text="A teacher", category="in", feedback="f-teacher"),
            ClassifyEntry(id="parent", text="A parent", category="out", feedback="f-parent"),
            ClassifyEntry(id="student", text="A student", category="in", feedback="f-student"),
            ClassifyEntry(id="vendor", text="A vendor", category="out", feedback="f-vendor"),
        ],
    )


def order(count: int = 5) -> OrderItem:
    return OrderItem(
        id="steps",
        prompt="Order.",
        entries=[OrderEntry(id=letter, text=letter.upper()) for letter in "abcdefgh"[:count]],
        feedback="f-order",
    )


def text_entry(*accepted: str, max_typos: int = 1, case_sensitive: bool = False) -> TextEntryItem:
    return TextEntryItem(
        id="word",
        prompt="Type it.",
        accepted=list(accepted),
        feedback_correct="f-right",
        feedback_incorrect="f-wrong",
        max_typos=max_typos,
        case_sensitive=case_sensitive,
    )


SCALE = Scale(labels=[ScaleLabel(value=1, label="Low"), ScaleLabel(value=5, label="High")])


def matrix() -> MatrixItem:
    return MatrixItem(
        id="grid",
        prompt="Rate.",
        scale=SCALE,
        statements=[Statement(id="s1", text="One"), Statement(id="s2", text="Two")],
    )


def table(*, fixed_rows: bool = False) -> TableItem:
    return TableItem(
        id="plan",
        prompt="Plan.",
        columns=[Column(id="what", label="What", max_length=10), Column(id="when", label="When")],
        rows=[Row(id="r1", label="First"), Row(id="r2", label="Second")] if fixed_rows else [],
        max_rows=2,
    )


def form(
    *items: Item,
    scoring: Literal["none", "completion", "automatic"] = "automatic",
    bands: list[ScoreBand] | None = None,
) -> Form:
    return Form(
        id="check",
        kind="knowledge_check",
        title="Check",
        instructions="Answer.",
        items=list(items),
        policy=ResponsePolicy(scoring=scoring, score_bands=bands or []),
    )


def refused(item: Item, value: object) -> AnswerError:
    with pytest.raises(AnswerError) as caught:
        check_answer(item, value)
    assert caught.value.item == item.id
    return caught.value


# --- answer_type and check_answer ----------------------------------------------------------


def test_answer_type_per_item_type() -> None:
    assert answer_type(choice()) == list[str]
    assert answer_type(classify()) == dict[str, str]
    assert answer_type(order()) == list[str]
    assert answer_type(text_entry("x")) is str
    assert answer_type(ExtendedTextItem(id="essay", prompt="Write.")) is str
    assert answer_type(ListItem(id="names", prompt="List.")) == list[str]
    assert answer_type(RatingItem(id="stars", prompt="Rate.", scale=SCALE)) is int
    assert answer_type(matrix()) == dict[str, int]
    assert answer_type(table()) == list[dict[str, str]]


def test_a_wrong_shape_keeps_msgspecs_words_and_names_the_shape() -> None:
    error = refused(choice(), "a")
    assert error.path_suffix == ""
    assert error.message.startswith("Expected `array`, got `str`")
    assert "a list of option ids" in error.message


def test_a_wrong_element_is_located() -> None:
    assert refused(choice(multiple=True), ["a", 3]).path_suffix == "[1]"
    assert refused(classify(), {"teacher": 1}).path_suffix == ".teacher"
    assert refused(classify(), {"Not An Id": 1}).path_suffix == '["Not An Id"]'
    assert refused(table(), [{"what": "x"}, {"when": None}]).path_suffix == "[1].when"


def test_choice_refuses_unknown_and_repeated_options_and_too_many() -> None:
    error = refused(choice(), ["z"])
    assert error.path_suffix == "[0]"
    assert error.message == "`z` is not an option of item `q1`: choose from `a`, `b`, `c`, `d`."
    assert refused(choice(multiple=True), ["a", "b", "a"]).path_suffix == "[2]"
    assert "takes one option" in refused(choice(), ["a", "c"]).message
    assert check_answer(choice(multiple=True), ["a", "c"]) == ["a", "c"]
    assert check_answer(choice(), []) == []


def test_classify_takes_a_partial_answer_but_no_unknown_ids() -> None:
    assert check_answer(classify(), {"teacher": "in"}) == {"teacher": "in"}
    assert refused(classify(), {"janitor": "in"}).path_suffix == ".janitor"
    error = refused(classify(), {"teacher": "inside"})
    assert error.path_suffix == ".teacher"
    assert "choose from `in`, `out`" in error.message


def test_order_must_be_a_permutation_of_the_entries() -> None:
    assert check_answer(order(3), ["c", "a", "b"]) == ["c", "a", "b"]
    assert "lacks `c`" in refused(order(3), ["b", "a"]).message
    assert refused(order(3), ["a", "a", "b"]).path_suffix == "[1]"
    assert refused(order(3), ["a", "b", "z"]).path_suffix == "[2]"


def test_texts_have_their_limits() -> None:
    essay = ExtendedTextItem(id="essay", prompt="Write.", max_length=10)
    assert check_answer(essay, "x" * 10) == "x" * 10
    assert "11 characters" in refused(essay, "x" * 11).message
    assert check_answer(text_entry("x"), "anything") == "anything"
    assert refused(text_entry("x"), 12).message.startswith("Expected `str`, got `int`")


def test_list_drops_blank_entries_before_counting() -> None:
    names = ListItem(id="names", prompt="List.", max_entries=2, max_entry_length=5)
    assert check_answer(names, [" one ", "", "  ", "two"]) == ["one", "two"]
    assert "3 entries" in refused(names, ["a", "b", "c"]).message
    assert refused(names, ["", "toolong"]).path_suffix == "[1]"


def test_ratings_stay_on_the_scale() -> None:
    stars = RatingItem(id="stars", prompt="Rate.", scale=SCALE)
    assert check_answer(stars, 5) == 5
    assert refused(stars, 6).message == "6 is off the scale of item `stars`: give a whole number from 1 to 5."
    assert refused(stars, True).message.startswith("Expected `int`, got `bool`")
    assert check_answer(matrix(), {"s1": 2}) == {"s1": 2}
    assert refused(matrix(), {"s1": 2, "s2": 0}).path_suffix == ".s2"
    assert refused(matrix(), {"s3": 2}).path_suffix == ".s3"


def test_table_rows_columns_and_cells() -> None:
    assert check_answer(table(), [{"what": "Call", "when": "Monday"}]) == [{"what": "Call", "when": "Monday"}]
    assert "3 rows" in refused(table(), [{}, {}, {}]).message
    assert refused(table(), [{"who": "me"}]).path_suffix == "[0].who"
    assert refused(table(), [{"what": "x" * 11}]).path_suffix == "[0].what"
    assert refused(table(), [{"what": "x", "row": "r1"}]).path_suffix == "[0].row"


def test_table_fixed_rows_carry_their_id() -> None:
    fixed = table(fixed_rows=True)
    assert check_answer(fixed, [{"row": "r2", "what": "x"}]) == [{"row": "r2", "what": "x"}]
    assert "does not say which row" in refused(fixed, [{"what": "x"}]).message
    assert refused(fixed, [{"row": "r3"}]).path_suffix == "[0].row"
    assert "given twice" in refused(fixed, [{"row": "r1"}, {"row": "r1"}]).message


# --- score_item -----------------------------------------------------------------------------


def test_single_choice_is_right_or_wrong() -> None:
    assert score_item(choice(), ["a"]) == (1.0, True)
    assert score_item(choice(), ["c"]) == (0.0, False)
    assert score_item(choice(), []) == (0.0, False)
    assert score_item(choice(), None) == (0.0, False)


@pytest.mark.parametrize(
    ("chosen", "credit"),
    [
        (["a", "b"], 1.0),
        (["a"], 0.5),
        (["a", "b", "c"], 0.5),
        (["a", "c"], 0.0),
        (["a", "c", "d"], 0.0),
        (["a", "b", "c", "d"], 0.0),
        ([], 0.0),
    ],
)
def test_multiple_choice_takes_off_a_wrong_option_for_each_right_one(
    chosen: list[str], credit: float
) -> None:
    assert score_item(choice(multiple=True), chosen) == (credit, credit == 1.0)


def test_classify_credits_each_entry_in_its_category() -> None:
    assert score_item(classify(), {"teacher": "in", "parent": "out", "student": "in", "vendor": "out"}) == (
        1.0,
        True,
    )
    assert score_item(classify(), {"teacher": "in", "parent": "in", "student": "in"}) == (0.5, False)
    assert score_item(classify(), {}) == (0.0, False)


@pytest.mark.parametrize(
    ("answer", "credit"),
    [
        ("abcde", 1.0),
        ("edcba", 0.0),
        ("eabcd", 0.75),  # the last entry moved to the front: one pair broken
        ("bcdea", 0.75),
        ("acdbe", 0.25),  # b moved two places: three pairs broken
        ("bacde", 0.5),
        ("cdeab", 0.75),
    ],
)
def test_order_credits_the_adjacent_pairs_kept(answer: str, credit: float) -> None:
    assert score_item(order(), list(answer)) == (credit, credit == 1.0)


def test_order_swapping_the_middle_two_of_four_keeps_no_pair() -> None:
    # The rule's hard edge: every pair touches the swapped entries, so this scores as reversed.
    assert score_item(order(4), ["a", "c", "b", "d"]) == (0.0, False)


def test_order_of_two_is_all_or_nothing() -> None:
    assert score_item(order(2), ["a", "b"]) == (1.0, True)
    assert score_item(order(2), ["b", "a"]) == (0.0, False)


@pytest.mark.parametrize(
    "typed",
    [
        "external",
        "  External. ",
        "EXTERNAL",
        "«external»",
        "externel",
        "extrenal",
        "exteral",
        "ｅｘｔｅｒｎａｌ",
    ],
)
def test_text_entry_forgives_case_spacing_punctuation_and_one_typo(typed: str) -> None:
    assert score_item(text_entry("external"), typed) == (1.0, True)


@pytest.mark.parametrize("typed", ["internal", "extrnl", "", "   ", "...", "external service"])
def test_text_entry_refuses_other_words(typed: str) -> None:
    assert score_item(text_entry("external"), typed) == (0.0, False)


def test_text_entry_ignores_accents_and_collapses_inner_spaces() -> None:
    assert score_item(text_entry("información"), "informacion") == (1.0, True)
    assert score_item(text_entry("informacion"), "Información") == (1.0, True)
    assert score_item(text_entry("first contact"), "first    contact") == (1.0, True)


def test_text_entry_allows_no_typo_in_a_short_answer() -> None:
    assert score_item(text_entry("cat"), "cat") == (1.0, True)
    assert score_item(text_entry("cat"), "car") == (0.0, False)
    assert score_item(text_entry("info", "cat"), "inf") == (1.0, True)


def test_text_entry_typos_are_the_items_to_set() -> None:
    assert score_item(text_entry("contact", max_typos=0), "contcat") == (0.0, False)
    assert score_item(text_entry("contact", max_typos=2), "cntcat") == (1.0, True)
    assert score_item(text_entry("contact", max_typos=1), "cntcat") == (0.0, False)


def test_text_entry_case_sensitive() -> None:
    assert score_item(text_entry("NaCl", case_sensitive=True, max_typos=0), "NaCl") == (1.0, True)
    assert score_item(text_entry("NaCl", case_sensitive=True, max_typos=0), "nacl") == (0.0, False)


def test_text_entry_gives_a_long_answer_no_time() -> None:
    assert score_item(text_entry("external"), "external " * 100_000) == (0.0, False)


def test_only_items_with_a_right_answer_are_scored() -> None:
    with pytest.raises(ValueError, match="no right answer"):
        score_item(matrix(), {"s1": 1})
    opinion = ChoiceItem(
        id="best",
        prompt="Your best skill?",
        options=[ChoiceOption(id="a", text="A", feedback="."), ChoiceOption(id="b", text="B", feedback=".")],
    )
    with pytest.raises(ValueError, match="no right answer"):
        score_item(opinion, ["a"])
    assert not is_scorable(opinion)
    assert not is_scorable(matrix())
    assert all(is_scorable(item) for item in (choice(), classify(), order(), text_entry("x")))


def test_score_item_checks_the_answer() -> None:
    with pytest.raises(AnswerError):
        score_item(choice(), ["z"])


# --- mark_form and band_feedback ---------------------------------------------------------------


def test_mark_form_weighs_items_by_points_and_skips_unscored_ones() -> None:
    essay = ExtendedTextItem(id="essay", prompt="Write.")
    score, results = mark_form(
        form(choice(item_id="q1", points=1), choice(item_id="q2", points=3), essay),
        {"q1": ["a"], "q2": ["c"], "essay": 12},
        show_feedback=False,
        show_correct=False,
    )
    assert score == 0.25
    assert [(r.item, r.score, r.points, r.correct) for r in results] == [
        ("q1", 1.0, 1.0, True),
        ("q2", 0.0, 3.0, False),
    ]
    assert all(r.feedback == [] and r.correct_answer is None for r in results)


def test_mark_form_counts_unanswered_items_as_zero() -> None:
    score, results = mark_form(
        form(choice(item_id="q1"), choice(item_id="q2")),
        {"q1": ["a"], "q2": None},
        show_feedback=False,
        show_correct=False,
    )
    assert score == 0.5
    assert [r.score for r in results] == [1.0, 0.0]


def test_a_score_exactly_at_the_pass_mark_is_not_a_hair_below() -> None:
    # 0.1 + 0.7 is 0.7999999999999999 in floating point.
    items = [
        choice(item_id="q1", points=0.1),
        choice(item_id="q2", points=0.2),
        choice(item_id="q3", points=0.7),
    ]
    score, _ = mark_form(
        form(*items), {"q1": ["a"], "q2": ["c"], "q3": ["a"]}, show_feedback=False, show_correct=False
    )
    assert score == 0.8


def test_marking_checked_answers_skips_no_mark_and_shows_per_policy() -> None:
    items = (choice(item_id="q1"), choice(item_id="q2", points=3))
    raw: dict[str, object] = {"q1": ["a"], "q2": ["c"]}
    checked: dict[str, object] = {
        key: check_answer(item, raw[key]) for key, item in zip(raw, items, strict=True)
    }
    marked = mark(form(*items), raw)
    assert mark(form(*items), checked, checked=True) == marked
    for show_feedback in (False, True):
        for show_correct in (False, True):
            policy = {"show_feedback": show_feedback, "show_correct": show_correct}
            assert (marked.score, results(marked, form(*items), **policy)) == mark_form(
                form(*items), raw, **policy
            )


def test_mark_form_by_scoring_policy() -> None:
    assert mark_form(
        form(choice(), scoring="none"), {"q1": ["a"]}, show_feedback=True, show_correct=True
    ) == (
        None,
        [],
    )
    assert mark_form(form(choice(), scoring="completion"), {}, show_feedback=True, show_correct=True) == (
        1.0,
        [],
    )
    essay = ExtendedTextItem(id="essay", prompt="Write.")
    assert mark_form(form(essay), {"essay": "Hi"}, show_feedback=True, show_correct=True) == (None, [])


def test_mark_form_names_the_item_of_a_bad_answer() -> None:
    with pytest.raises(AnswerError) as caught:
        mark_form(
            form(choice(item_id="q1"), choice(item_id="q2")),
            {"q2": "a"},
            show_feedback=False,
            show_correct=False,
        )
    assert (caught.value.item, caught.value.path_suffix) == ("q2", "")


def test_choice_feedback_is_for_the_options_chosen_and_then_the_right_ones() -> None:
    item = choice(multiple=True)
    _, [hidden] = mark_form(form(item), {"q1": ["a", "c"]}, show_feedback=True, show_correct=False)
    assert hidden.feedback == ["fa", "fc"]
    assert hidden.correct_answer is None
    _, [shown] = mark_form(form(item), {"q1": ["a", "c"]}, show_feedback=True, show_correct=True)
    assert shown.feedback == ["fa", "fb", "fc"]
    assert shown.correct_answer == ["a", "b"]


def test_classify_feedback_is_for_every_entry_placed_and_unplaced_only_with_answers() -> None:
    answer = {"teacher": "out", "parent": "out", "student": "in"}
    _, [hidden] = mark_form(form(classify()), {"sort": answer}, show_feedback=True, show_correct=False)
    assert hidden.feedback == ["f-teacher", "f-parent", "f-student"]
    _, [shown] = mark_form(form(classify()), {"sort": answer}, show_feedback=True, show_correct=True)
    assert shown.feedback == ["f-teacher", "f-parent", "f-student", "f-vendor"]
    assert shown.correct_answer == {"teacher": "in", "parent": "out", "student": "in", "vendor": "out"}


def test_order_and_text_entry_feedback_and_answers() -> None:
    items = (order(3), text_entry("external", "outside"))
    _, [ordered, typed] = mark_form(
        form(*items), {"steps": ["b", "a", "c"], "word": "externel"}, show_feedback=True, show_correct=True
    )
    assert (ordered.feedback, ordered.correct_answer) == (["f-order"], ["a", "b", "c"])
    assert (typed.feedback, typed.correct_answer) == (["f-right"], "external")
    _, [_, wrong] = mark_form(
        form(*items), {"steps": ["a", "b", "c"]}, show_feedback=True, show_correct=False
    )
    assert (wrong.feedback, wrong.correct_answer) == (["f-wrong"], None)


def test_band_feedback_picks_the_highest_band_reached() -> None:
    bands = [
        ScoreBand(min=0.8, feedback="high"),
        ScoreBand(min=0.0, feedback="low"),
        ScoreBand(min=0.5, feedback="mid"),
    ]
    scored = form(choice(), bands=bands)
    assert band_feedback(scored, 0.0) == "low"
    assert band_feedback(scored, 0.79) == "mid"
    assert band_feedback(scored, 0.8) == "high"
    assert band_feedback(scored, 1.0) == "high"
    assert band_feedback(scored, None) is None
    assert band_feedback(form(choice(), bands=[ScoreBand(min=0.5, feedback="mid")]), 0.2) is None
    assert band_feedback(form(choice()), 1.0) is None


# --- The real course ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def course() -> CourseBundle:
    return load_course(CONTENT)


def knowledge_check_items(course: CourseBundle) -> Iterator[Item]:
    for module in course.modules:
        for checked in module.forms:
            if checked.kind == "knowledge_check":
                yield from checked.items


def all_items(course: CourseBundle) -> Iterator[Item]:
    for module in course.modules:
        for each in module.forms:
            yield from each.items


def test_real_choice_items_score_their_own_answer(course: CourseBundle) -> None:
    items = [item for item in knowledge_check_items(course) if isinstance(item, ChoiceItem)]
    assert items
    for item in items:
        right = [option.id for option in item.options if option.correct]
        wrong = [option.id for option in item.options if not option.correct]
        assert score_item(item, right) == (1.0, True), item.id
        assert score_item(item, wrong if item.multiple else wrong[:1])[0] < 1.0, item.id


def test_real_classify_items_score_their_own_answer(course: CourseBundle) -> None:
    items = [item for item in knowledge_check_items(course) if isinstance(item, ClassifyItem)]
    assert items
    for item in items:
        categories = [category.id for category in item.categories]
        right = {entry.id: entry.category for entry in item.entries}
        swapped = {entry: next(c for c in categories if c != category) for entry, category in right.items()}
        assert score_item(item, right) == (1.0, True), item.id
        assert score_item(item, swapped) == (0.0, False), item.id


def test_real_order_items_score_their_own_answer(course: CourseBundle) -> None:
    items = [item for item in knowledge_check_items(course) if isinstance(item, OrderItem)]
    assert items
    for item in items:
        right = [entry.id for entry in item.entries]
        assert score_item(item, right) == (1.0, True), item.id
        assert score_item(item, right[::-1]) == (0.0, False), item.id
        assert 0 < score_item(item, right[1:] + right[:1])[0] < 1, item.id


def test_real_text_entry_items_take_every_accepted_answer_and_no_other_items(course: CourseBundle) -> None:
    items = [item for item in knowledge_check_items(course) if isinstance(item, TextEntryItem)]
    assert items
    for item in items:
        for accepted in item.accepted:
            assert score_item(item, accepted) == (1.0, True), (item.id, accepted)
            assert score_item(item, f" {accepted.upper()}. ") == (1.0, True), (item.id, accepted)
        assert score_item(item, "zzzz") == (0.0, False), item.id
        # One fill-in's word must not pass for another's ("internal" for "external").
        for other in items:
            for accepted in other.accepted:
                if other is not item and accepted not in item.accepted:
                    assert score_item(item, accepted) == (0.0, False), (item.id, accepted)


def test_real_text_entry_items_in_spanish_take_the_spanish_answers(course: CourseBundle) -> None:
    checked = 0
    for (module_id, _), translation in course.translations.items():
        spanish = apply_translation(course.module(module_id), translation.strings)
        for each in spanish.forms:
            for item in each.items:
                if isinstance(item, TextEntryItem):
                    for accepted in item.accepted:
                        assert score_item(item, accepted) == (1.0, True), (item.id, accepted)
                        checked += 1
    assert checked


def test_real_knowledge_checks_mark_full_marks_and_the_top_band(course: CourseBundle) -> None:
    answers: dict[str, object]
    for module in course.modules:
        for checked in module.forms:
            if checked.kind != "knowledge_check":
                continue
            answers = {}
            for item in checked.items:
                if isinstance(item, ChoiceItem):
                    answers[item.id] = [option.id for option in item.options if option.correct]
                elif isinstance(item, ClassifyItem):
                    answers[item.id] = {entry.id: entry.category for entry in item.entries}
                elif isinstance(item, OrderItem):
                    answers[item.id] = [entry.id for entry in item.entries]
                elif isinstance(item, TextEntryItem):
                    answers[item.id] = item.accepted[0]
            score, results = mark_form(checked, answers, show_feedback=True, show_correct=True)
            assert score == 1.0, module.id
            assert len(results) == len(checked.items)
            assert all(result.correct_answer == answers[result.item] for result in results)
            top = max(checked.policy.score_bands, key=lambda band: band.min)
            assert band_feedback(checked, score) == top.feedback
            nothing, _ = mark_form(checked, {}, show_feedback=True, show_correct=True)
            assert nothing == 0.0
            assert band_feedback(checked, nothing) != top.feedback


def test_real_unscored_items_check_answers_of_their_shape(course: CourseBundle) -> None:
    seen: set[type] = set()
    for item in all_items(course):
        if isinstance(item, ExtendedTextItem):
            assert check_answer(item, "A thought.") == "A thought."
            refused(item, "x" * (item.max_length + 1))
        elif isinstance(item, ListItem):
            assert check_answer(item, ["Parents", " ", "bus drivers"]) == ["Parents", "bus drivers"]
            refused(item, ["x"] * (item.max_entries + 1))
        elif isinstance(item, RatingItem):
            assert check_answer(item, item.scale.max) == item.scale.max
            refused(item, item.scale.max + 1)
        elif isinstance(item, MatrixItem):
            ratings = {statement.id: item.scale.min for statement in item.statements}
            assert check_answer(item, ratings) == ratings
            refused(item, {item.statements[0].id: item.scale.min - 1})
        elif isinstance(item, TableItem):
            row: dict[str, str] = {column.id: "Some words" for column in item.columns}
            if item.rows:
                row["row"] = item.rows[0].id
            assert check_answer(item, [row]) == [row]
            refused(item, [row] * (item.max_rows + 1))
        else:
            continue
        seen.add(type(item))
    assert seen == {ExtendedTextItem, ListItem, RatingItem, MatrixItem, TableItem}
