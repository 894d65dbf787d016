"""Completion rules: whether a learner's submitted work meets a module's rule, and which
requirements are still open. Pure functions over what was submitted and scored."""

from collections.abc import Mapping, Sequence
from typing import Literal, Protocol, TypeVar

import msgspec

from schemas.content import ATTENDANCE, AllOf, AnyOf, Attended, Condition, FormSubmitted, QuizPassed
from schemas.progress import RequirementStatus


class _Attempt(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def score(self) -> float | None: ...


A = TypeVar("A", bound=_Attempt)


def counted_attempt(attempts: Sequence[A], counted: Literal["highest", "latest", "first"]) -> A:
    """The attempt whose score counts, as the form's policy says (`attempts` is not empty)."""
    if counted == "highest":
        return max(attempts, key=lambda a: (a.score or 0.0, -a.number))
    if counted == "latest":
        return max(attempts, key=lambda a: a.number)
    return min(attempts, key=lambda a: a.number)


class Standing(msgspec.Struct, frozen=True):
    """A learner's submitted work in one module: forms submitted, counted score per form, and
    whether a facilitator confirmed they attended a live workshop of it."""

    submitted: frozenset[str]
    scores: Mapping[str, float]
    attended: bool = False


def is_met(condition: Condition, standing: Standing) -> bool:
    if isinstance(condition, FormSubmitted):
        return condition.form in standing.submitted
    if isinstance(condition, QuizPassed):
        score = standing.scores.get(condition.form)
        # A small tolerance: 4 of 5 is 0.8 exactly, whatever floating point makes of it.
        return score is not None and score + 1e-9 >= condition.min_score
    if isinstance(condition, Attended):
        return standing.attended
    if isinstance(condition, AllOf):
        return all(is_met(c, standing) for c in condition.conditions)
    assert isinstance(condition, AnyOf)
    return any(is_met(c, standing) for c in condition.conditions)


def _leaf(condition: FormSubmitted | QuizPassed | Attended, standing: Standing) -> RequirementStatus:
    if isinstance(condition, Attended):
        return RequirementStatus(form=ATTENDANCE, action="attend", met=standing.attended)
    if isinstance(condition, FormSubmitted):
        return RequirementStatus(form=condition.form, action="submit", met=is_met(condition, standing))
    return RequirementStatus(
        form=condition.form, action="pass", min_score=condition.min_score, met=is_met(condition, standing)
    )


def requirements(condition: Condition, standing: Standing) -> list[list[RequirementStatus]]:
    """The rule as groups that must all be met, each met by any one of its requirements.

    Nested rules deeper than all-of(any-of(...)) are flattened conservatively: a nested group
    counts as met only as the whole rule says, so the list never claims more than is true.
    """
    if isinstance(condition, (FormSubmitted, QuizPassed, Attended)):
        return [[_leaf(condition, standing)]]
    if isinstance(condition, AnyOf):
        return [[leaf for c in condition.conditions for group in requirements(c, standing) for leaf in group]]
    return [group for c in condition.conditions for group in requirements(c, standing)]
