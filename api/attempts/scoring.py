"""Checking answers against their items, and marking the items and forms that have a right answer.

`check_answer` turns a raw JSON answer into its item type's value (see `schemas/progress.py`) and
refuses what does not fit the item, raising `AnswerError`; `score_item` gives one item's credit;
`mark` marks a whole form by its response policy (once, whatever is shown of it later: what is
shown is api/attempts/review.py's) and `band_feedback` picks the overall feedback for a score.
Everything here is pure: no database, no clock, no I/O.
"""

import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Any, TypeGuard, TypeVar, assert_never

import msgspec

from api.content.loader import SCORABLE_ITEMS
from api.content.scenarios import PathError, walk
from api.content.translation import TextEntryInLanguage
from schemas.content import (
    ChoiceItem,
    ClassifyItem,
    ExtendedTextItem,
    Form,
    Item,
    ListItem,
    MatrixItem,
    OrderItem,
    RatingItem,
    Scale,
    ScenarioItem,
    TableItem,
    TextEntryItem,
)

# A fixed row of a table item is named in its answer row under this key (see `TableAnswer`).
ROW_KEY = "row"

# The types of `schemas/progress.py` without their `Annotated` descriptions: msgspec converts to
# either, and plain types are what callers can name in annotations.
_ANSWER_TYPES: dict[type[Any], type] = {
    ChoiceItem: list[str],
    ClassifyItem: dict[str, str],
    OrderItem: list[str],
    TextEntryItem: str,
    ExtendedTextItem: str,
    ListItem: list[str],
    RatingItem: int,
    MatrixItem: dict[str, int],
    TableItem: list[dict[str, str]],
    ScenarioItem: list[str],
}

# What each item type's answer looks like, for messages about a wrong shape.
_SHAPES: dict[type[Any], str] = {
    ChoiceItem: "a list of option ids",
    ClassifyItem: "an object mapping entry ids to category ids",
    OrderItem: "a list of all its entry ids in order",
    TextEntryItem: "a string",
    ExtendedTextItem: "a string",
    ListItem: "a list of strings",
    RatingItem: "an integer on its scale",
    MatrixItem: "an object mapping statement ids to integers on its scale",
    TableItem: "a list of rows, each an object mapping column ids to strings",
    ScenarioItem: "a list of the choice ids taken, from the start node to an ending",
}

T = TypeVar("T")
Scorable = ChoiceItem | ClassifyItem | OrderItem | TextEntryItem | ScenarioItem

# How far below its pass mark an unsafe scenario ending keeps a form (see `mark`).
UNSAFE_MARGIN = 0.01

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class AnswerError(ValueError):
    """Raised when an answer does not fit its item: a wrong JSON shape, an unknown id, too long.

    `path_suffix` locates the fault inside the item's answer, in `$`-path syntax without the `$`:
    empty for the whole value, `[2]` for a list element, `.q1` for an object member. A caller
    reporting on `$.answers.<item>` appends it; `item` is that item's id. `message` says what is
    wrong and what to do, in words an integrator can pass on.
    """

    def __init__(self, path_suffix: str, message: str, *, item: str = "") -> None:
        super().__init__(message)
        self.path_suffix = path_suffix
        self.message = message
        self.item = item


# --- Converting and checking answers --------------------------------------------------------


def answer_type(item: Item) -> type:
    """The Python type an answer to `item` converts to (`list[str]` for a choice item, ...)."""
    return _ANSWER_TYPES[type(item)]


def check_answer(item: Item, value: object) -> object:
    """`value`, a decoded JSON answer to `item`, converted to `answer_type(item)` and checked.

    Checks what is there, not completeness: a draft may leave a classify entry unplaced or a
    matrix statement unrated. The exceptions are the order item, whose answer is always the
    whole list rearranged, and the list item, whose blank entries are dropped (and the rest
    stripped) in the value returned. Raises AnswerError for anything that does not fit.
    """
    match item:
        case ChoiceItem():
            return _check_choice(item, _convert(item, value, list[str]))
        case ClassifyItem():
            return _check_classify(item, _convert_object(item, value, str))
        case OrderItem():
            return _check_order(item, _convert(item, value, list[str]))
        case TextEntryItem():
            return _convert(item, value, str)
        case ExtendedTextItem():
            return _check_extended_text(item, _convert(item, value, str))
        case ListItem():
            return _check_list(item, _convert(item, value, list[str]))
        case RatingItem():
            rating = _convert(item, value, int)
            _check_on_scale(item, item.scale, rating, "")
            return rating
        case MatrixItem():
            return _check_matrix(item, _convert_object(item, value, int))
        case TableItem():
            return _check_table(item, _convert(item, value, list[dict[str, object]]))
        case ScenarioItem():
            return _check_scenario(item, _convert(item, value, list[str]))
        case _:
            assert_never(item)


def _fail(item: Item, path_suffix: str, message: str) -> AnswerError:
    return AnswerError(path_suffix, message, item=item.id)


def _convert(item: Item, value: object, target: type[T], path_prefix: str = "") -> T:
    try:
        return msgspec.convert(value, target)
    except msgspec.ValidationError as exc:
        # msgspec says "Expected `array`, got `str` - at `$[0]`": keep its words, move the path.
        what, _, where = str(exc).partition(" - at `")
        suffix = path_prefix + where.removesuffix("`").removeprefix("$")
        raise _fail(
            item, suffix, f"{what}: item `{item.id}` takes {_SHAPES[type(item)]} as its answer."
        ) from None


def _convert_object(item: Item, value: object, value_type: type[T]) -> dict[str, T]:
    try:  # whole, when it fits
        return msgspec.convert(value, dict[str, value_type])  # type: ignore[valid-type]
    except msgspec.ValidationError:
        pass
    # Else member by member, to name the bad one: msgspec names a bad member `$[...]`, not by key.
    members = _convert(item, value, dict[str, object])
    return {key: _convert(item, member, value_type, _member(key)) for key, member in members.items()}


def _member(key: str) -> str:
    """The path suffix of an object member: `.id` for an id, `["..."]` for anything else."""
    if _ID.match(key):
        return f".{key}"
    return f"[{msgspec.json.encode(key).decode()}]"


def _names(values: Sequence[str]) -> str:
    return ", ".join(f"`{value}`" for value in values)


def _check_choice(item: ChoiceItem, chosen: list[str]) -> list[str]:
    ids = [option.id for option in item.options]
    _check_ids(item, chosen, ids, "option")
    if len(chosen) > 1 and not item.multiple:
        raise _fail(
            item,
            "",
            f"Item `{item.id}` takes one option and the answer chooses {len(chosen)}: choose one "
            f"of {_names(ids)}.",
        )
    return chosen


def _check_ids(item: Item, given: list[str], ids: list[str], what: str) -> None:
    """Every id in `given` is one of `ids`, and none is given twice."""
    seen: set[str] = set()
    for index, value in enumerate(given):
        if value not in ids:
            raise _fail(
                item,
                f"[{index}]",
                f"`{value}` is not an {what} of item `{item.id}`: choose from {_names(ids)}.",
            )
        if value in seen:
            raise _fail(
                item, f"[{index}]", f"{what.capitalize()} `{value}` is given twice: give each {what} once."
            )
        seen.add(value)


def _check_classify(item: ClassifyItem, placed: dict[str, str]) -> dict[str, str]:
    entries = [entry.id for entry in item.entries]
    categories = [category.id for category in item.categories]
    for entry, category in placed.items():
        if entry not in entries:
            raise _fail(
                item,
                _member(entry),
                f"`{entry}` is not an entry of item `{item.id}`: place entries from {_names(entries)}.",
            )
        if category not in categories:
            raise _fail(
                item,
                _member(entry),
                f"`{category}` is not a category of item `{item.id}`: choose from {_names(categories)}.",
            )
    return placed


def _check_order(item: OrderItem, order: list[str]) -> list[str]:
    entries = [entry.id for entry in item.entries]
    _check_ids(item, order, entries, "entry")
    if len(order) != len(entries):
        missing = [entry for entry in entries if entry not in order]
        raise _fail(
            item,
            "",
            f"The answer to item `{item.id}` must list all {len(entries)} entries in some order; "
            f"it lacks {_names(missing)}.",
        )
    return order


def _check_extended_text(item: ExtendedTextItem, text: str) -> str:
    if len(text) > item.max_length:
        raise _fail(
            item,
            "",
            f"The answer to item `{item.id}` is {len(text)} characters long; the most it may be is "
            f"{item.max_length}: shorten it.",
        )
    return text


def _check_list(item: ListItem, entries: list[str]) -> list[str]:
    # Blank entries are the empty boxes of a form, not answers: dropped before counting.
    kept = [(index, entry.strip()) for index, entry in enumerate(entries) if entry.strip()]
    if len(kept) > item.max_entries:
        raise _fail(
            item,
            "",
            f"The answer to item `{item.id}` has {len(kept)} entries; the most it may have is "
            f"{item.max_entries}: remove {len(kept) - item.max_entries}.",
        )
    for index, entry in kept:
        if len(entry) > item.max_entry_length:
            raise _fail(
                item,
                f"[{index}]",
                f"Entry {index + 1} of item `{item.id}` is {len(entry)} characters long; the most an "
                f"entry may be is {item.max_entry_length}: shorten it or split it in two.",
            )
    return [entry for _, entry in kept]


def _check_on_scale(item: RatingItem | MatrixItem, scale: Scale, value: int, path_suffix: str) -> None:
    if not scale.min <= value <= scale.max:
        raise _fail(
            item,
            path_suffix,
            f"{value} is off the scale of item `{item.id}`: give a whole number from {scale.min} "
            f"to {scale.max}.",
        )


def _check_matrix(item: MatrixItem, ratings: dict[str, int]) -> dict[str, int]:
    statements = [statement.id for statement in item.statements]
    for statement, rating in ratings.items():
        if statement not in statements:
            raise _fail(
                item,
                _member(statement),
                f"`{statement}` is not a statement of item `{item.id}`: rate statements from "
                f"{_names(statements)}.",
            )
        _check_on_scale(item, item.scale, rating, _member(statement))
    return ratings


def _check_table(item: TableItem, rows: list[dict[str, object]]) -> list[dict[str, str]]:
    if len(rows) > item.max_rows:
        raise _fail(
            item,
            "",
            f"The answer to item `{item.id}` has {len(rows)} rows; the most it may have is "
            f"{item.max_rows}: remove {len(rows) - item.max_rows}.",
        )
    columns = {column.id: column for column in item.columns}
    row_ids = [row.id for row in item.rows]
    seen_rows: set[str] = set()
    checked: list[dict[str, str]] = []
    for index, raw in enumerate(rows):
        row = {key: _convert(item, cell, str, f"[{index}]{_member(key)}") for key, cell in raw.items()}
        if row_ids:
            _check_fixed_row(item, row, index, row_ids, seen_rows)
        for key, cell in row.items():
            if key == ROW_KEY and row_ids:
                continue
            column = columns.get(key)
            if column is None:
                raise _fail(
                    item,
                    f"[{index}]{_member(key)}",
                    f"`{key}` is not a column of item `{item.id}`: fill in columns from "
                    f"{_names(list(columns))}.",
                )
            if len(cell) > column.max_length:
                raise _fail(
                    item,
                    f"[{index}]{_member(key)}",
                    f"The `{key}` cell of row {index + 1} of item `{item.id}` is {len(cell)} characters "
                    f"long; the most it may be is {column.max_length}: shorten it.",
                )
        checked.append(row)
    return checked


def _check_fixed_row(
    item: TableItem, row: dict[str, str], index: int, row_ids: list[str], seen: set[str]
) -> None:
    """A row of a table with fixed rows names one of them under `row`, each row at most once."""
    row_id = row.get(ROW_KEY)
    if row_id is None:
        raise _fail(
            item,
            f"[{index}]",
            f"Row {index + 1} of item `{item.id}` does not say which row it is: add `{ROW_KEY}` with "
            f"one of {_names(row_ids)}.",
        )
    if row_id not in row_ids:
        raise _fail(
            item,
            f"[{index}].{ROW_KEY}",
            f"`{row_id}` is not a row of item `{item.id}`: use one of {_names(row_ids)}.",
        )
    if row_id in seen:
        raise _fail(item, f"[{index}].{ROW_KEY}", f"Row `{row_id}` is given twice: give each row once.")
    seen.add(row_id)


def _check_scenario(item: ScenarioItem, path: list[str]) -> list[str]:
    # Only a whole path is an answer: the player walks the graph with the step route and saves
    # the path once it reaches an ending, so a half-walked scenario is never stored or scored.
    try:
        walk(item, path, complete=True)
    except PathError as exc:
        raise _fail(item, f"[{exc.index}]" if exc.index < len(path) else "", exc.message) from None
    return path


# --- Scoring items --------------------------------------------------------------------------


def is_scorable(item: Item) -> TypeGuard[Scorable]:
    """Whether `item` has a right answer, so that `score_item` can score it.

    Narrower than the loader's SCORABLE_ITEMS: a choice item with no correct option is an
    opinion ("my strongest skill") and has nothing to mark.
    """
    if isinstance(item, ChoiceItem):
        return any(option.correct for option in item.options)
    return isinstance(item, SCORABLE_ITEMS)


def score_item(item: Item, answer: object | None) -> tuple[float, bool]:
    """The credit, from 0 to 1, that `answer` earns on `item`, and whether it is full credit.

    `answer` is a raw JSON answer (it goes through `check_answer`, so AnswerError is raised for
    one that does not fit) or None when the item was not answered, which scores 0. Only items
    with a right answer are scored (choice with a correct option, classify, order, text_entry);
    any other raises ValueError. The rules:

    - choice, single: 1 if the chosen option is correct, else 0.
    - choice, multiple: (right options chosen - wrong options chosen) / number of right
      options, floored at 0; so choosing every option earns nothing.
    - classify: the fraction of entries placed in their right category; unplaced is wrong.
    - order: the fraction of the n-1 adjacent pairs of the right order that are adjacent, and
      in that order, in the answer. Moving one entry breaks at most three pairs; a reversed
      list keeps none.
    - text_entry: 1 if the normalized answer equals a normalized accepted answer, or is within
      `max_typos` edits (Damerau-Levenshtein: insert, delete, substitute, swap two neighbours)
      of one at least 4 characters long, else 0. Normalizing strips surrounding whitespace and
      punctuation, collapses inner whitespace, applies NFKC, drops accents ("informacion"
      matches "información") and casefolds unless the item is case sensitive. A text entry
      marked for one language (TextEntryInLanguage) also takes another language's answers,
      exactly: never with a typo.
    - scenario: the `score` of the ending the path reaches; full credit only at a safe ending
      that scores 1.
    """
    if not is_scorable(item):
        raise ValueError(f"Item `{item.id}` has no right answer to score.")
    return _credit(item, None if answer is None else check_answer(item, answer))


def _credit(item: Item, answer: object | None) -> tuple[float, bool]:
    """The credit of an answer already through `check_answer` (None when there is none)."""
    if answer is None:
        return 0.0, False
    if isinstance(item, ChoiceItem) and isinstance(answer, list):
        return _choice_credit(item, answer)
    if isinstance(item, ClassifyItem) and isinstance(answer, dict):
        right = sum(answer.get(entry.id) == entry.category for entry in item.entries)
        return right / len(item.entries), right == len(item.entries)
    if isinstance(item, OrderItem) and isinstance(answer, list):
        return _order_credit(item, answer)
    if isinstance(item, TextEntryItem) and isinstance(answer, str):
        right = _text_matches(item, answer)
        return float(right), right
    if isinstance(item, ScenarioItem) and isinstance(answer, list):
        ending = walk(item, answer, complete=True).ending
        assert ending is not None  # a complete walk ends at an ending
        return ending.score, ending.score >= 1.0 and ending.safe
    raise ValueError(f"Item `{item.id}` has no right answer to score.")


def _choice_credit(item: ChoiceItem, chosen: list[str]) -> tuple[float, bool]:
    right = {option.id for option in item.options if option.correct}
    hits = len(right.intersection(chosen))
    misses = len(set(chosen) - right)
    if not item.multiple:
        return float(hits == 1), hits == 1
    credit = max(0, hits - misses) / len(right)
    return credit, hits == len(right) and misses == 0


def _order_credit(item: OrderItem, order: list[str]) -> tuple[float, bool]:
    position = {entry: index for index, entry in enumerate(order)}
    right = [entry.id for entry in item.entries]
    pairs = list(itertools.pairwise(right))
    kept = sum(position[second] == position[first] + 1 for first, second in pairs)
    return kept / len(pairs), kept == len(pairs)


@functools.lru_cache(maxsize=4096)  # an item's accepted answers are normalized at every submit
def _normalize_text(text: str, *, case_sensitive: bool = False) -> str:
    """`text` as a text-entry answer is compared: NFKC, no accents, casefolded unless
    `case_sensitive`, inner whitespace collapsed, surrounding whitespace and punctuation gone."""
    text = unicodedata.normalize("NFKC", text)
    if not case_sensitive:
        # Before dropping accents: casefolding can itself produce combining marks ("İ").
        text = text.casefold()
    text = "".join(char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char))
    text = " ".join(unicodedata.normalize("NFC", text).split())
    start, end = 0, len(text)
    while start < end and _surrounding(text[start]):
        start += 1
    while end > start and _surrounding(text[end - 1]):
        end -= 1
    return text[start:end]


def _surrounding(char: str) -> bool:
    """Whether `char` is punctuation or space, which a typed answer may carry around it."""
    return char.isspace() or unicodedata.category(char).startswith("P")


def _text_matches(item: TextEntryItem, answer: str) -> bool:
    given = _normalize_text(answer, case_sensitive=item.case_sensitive)
    if not given:
        return False
    # Another language's answers count exactly, never through a typo: a near miss of a word in
    # a language the learner is not working in is most likely a different word of their own.
    for other in item.elsewhere if isinstance(item, TextEntryInLanguage) else []:
        if given == _normalize_text(other, case_sensitive=item.case_sensitive):
            return True
    for accepted in item.accepted:
        wanted = _normalize_text(accepted, case_sensitive=item.case_sensitive)
        if given == wanted:
            return True
        # One typo in a three-letter word makes it another word ("cat", "car"): exact match only.
        if len(wanted) >= 4 and _within_edits(given, wanted, item.max_typos):
            return True
    return False


def _within_edits(a: str, b: str, limit: int) -> bool:
    """Whether the Damerau-Levenshtein (optimal string alignment) distance of a and b is <= limit."""
    # Each edit changes the length by at most one; checking it first also keeps a long answer
    # from costing len(a) * len(b) steps (b is an accepted answer, which an author keeps short).
    if abs(len(a) - len(b)) > limit:
        return False
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)] <= limit


# --- Marking forms --------------------------------------------------------------------------


class Marking(msgspec.Struct, frozen=True):
    """A form's answers marked once: its score, and each scored item's checked answer and credit,
    from which api/attempts/review.py shows results as a policy allows."""

    score: float | None
    marks: list[tuple[Scorable, object | None, float, bool]]  # item, answer, credit, full


def mark(form: Form, answers: dict[str, object], *, checked: bool = False) -> Marking:
    """The form marked by its `scoring` policy.

    - `automatic`: the score is the points-weighted mean credit of the items with a right
      answer (None when there are none), unanswered items counting 0. A scenario that reached
      an unsafe ending keeps the score below the form's pass mark: safety is not averaged away
      by other right answers.
    - `completion`: 1.0 and no marks: submitting is what counts.
    - `none`: None and no marks.

    `answers` maps item id to a raw JSON answer; an answer that does not fit its item raises
    AnswerError (with `item` set). Answers to unscored items are not looked at. With `checked`,
    the answers are ones `check_answer` gave already (a scored item's answer is plain JSON data
    after it), and are not checked again.
    """
    scoring = form.policy.scoring
    if scoring == "none":
        return Marking(None, [])
    if scoring == "completion":
        return Marking(1.0, [])
    marks: list[tuple[Scorable, object | None, float, bool]] = []
    for item in form.items:
        if not is_scorable(item):
            continue
        raw = answers.get(item.id)
        answer = raw if raw is None or checked else check_answer(item, raw)
        credit, full = _credit(item, answer)
        marks.append((item, answer, credit, full))
    if not marks:
        return Marking(None, [])
    total = math.fsum(item.points for item, _, _, _ in marks)
    earned = math.fsum(credit * item.points for item, _, credit, _ in marks)
    # Rounded so that a score that is exactly the pass mark on paper (4 of 5) is not 0.7999...
    score = min(1.0, round(earned / total, 9))
    pass_mark = form.policy.pass_mark
    if pass_mark is not None and any(_unsafe(item, answer) for item, answer, _, _ in marks):
        score = min(score, max(0.0, round(pass_mark - UNSAFE_MARGIN, 9)))
    return Marking(score, marks)


def _unsafe(item: Scorable, answer: object | None) -> bool:
    """Whether `answer` (checked) took scenario `item` to an ending marked unsafe."""
    if not isinstance(item, ScenarioItem) or not isinstance(answer, list):
        return False
    ending = walk(item, answer, complete=True).ending
    return ending is not None and not ending.safe


def band_feedback(form: Form, score: float | None) -> str | None:
    """The feedback of the highest score band of `form` whose `min` is at most `score`.

    None when there is no score or no band reaches down to it.
    """
    if score is None:
        return None
    reached = [band for band in form.policy.score_bands if band.min <= score]
    if not reached:
        return None
    return max(reached, key=lambda band: band.min).feedback
