"""Answers checked against their instrument, and a visit's score: no I/O.

A visit scores the points its answered criteria earned out of those they could earn, in percent:
a yes/no earns its points for yes, a number for meeting its target, a 1-5 rating a share in even
steps (1 nothing, 5 all). A criterion that is not required and answered null counts neither way.
"""

from collections.abc import Mapping, Sequence

import msgspec

from api.errors import InvalidInput
from schemas.measures import (
    ChoiceQuestion,
    ExitAnswer,
    ExitInterviewGuide,
    FamilySurvey,
    NumberCriterion,
    Question,
    Rubric,
    ScaleCriterion,
    ScaleQuestion,
    ShopperAnswer,
    TextQuestion,
    YesNoCriterion,
)
from schemas.problem import FieldError


class Scored(msgspec.Struct, frozen=True):
    """What a visit earned: each answered criterion met or not, points out of possible, percent."""

    passed: dict[str, bool]
    points: float
    possible: int
    score: float


def _refuse(what: str, errors: list[FieldError]) -> None:
    if errors:
        raise InvalidInput(
            f"The answers break the {what}: " + "; ".join(f"{e.field} {e.message}" for e in errors),
            errors=errors,
        )


def _unknown(answers: Mapping[str, object], known: set[str], what: str) -> list[FieldError]:
    return [
        FieldError(field=f"$.answers.{key}", message=f"is not a {what}; leave it out")
        for key in answers
        if key not in known
    ]


def check_exit_answers(guide: ExitInterviewGuide, answers: Mapping[str, ExitAnswer]) -> None:
    """InvalidInput naming `$.answers.<id>` for every answer the guide does not allow."""
    check_answers(guide.questions, answers, f"guide (version {guide.version})", "exit-interview guide")


def check_survey_answers(survey: FamilySurvey, answers: Mapping[str, ExitAnswer]) -> None:
    """InvalidInput naming `$.answers.<id>` for every answer the family survey does not allow."""
    check_answers(survey.questions, answers, f"survey (version {survey.version})", "family survey")


def check_answers(
    questions: Sequence[Question], answers: Mapping[str, ExitAnswer], of: str, what: str
) -> None:
    """InvalidInput naming `$.answers.<id>` for every answer `questions` do not allow."""
    errors = _unknown(answers, {q.id for q in questions}, f"question of the {of}")
    for q in questions:
        field = f"$.answers.{q.id}"
        value = answers.get(q.id)
        if value is None:
            if q.required:
                errors.append(FieldError(field=field, message="is required"))
            continue
        if isinstance(q, ChoiceQuestion):
            ids = [o.id for o in q.options]
            picked = value if isinstance(value, list) else [value]
            if q.multiple != isinstance(value, list) or isinstance(value, int):
                shape = "a list of option ids" if q.multiple else "one option id"
                errors.append(FieldError(field=field, message=f"must be {shape}"))
            elif not picked or len(set(picked)) != len(picked) or not set(picked) <= set(ids):
                errors.append(FieldError(field=field, message=f"must pick from {', '.join(ids)}, each once"))
        elif isinstance(q, ScaleQuestion):
            if type(value) is not int or not q.min <= value <= q.max:
                errors.append(
                    FieldError(field=field, message=f"must be a whole number from {q.min} to {q.max}")
                )
        elif isinstance(q, TextQuestion) and (not isinstance(value, str) or len(value) > q.max_length):
            errors.append(
                FieldError(field=field, message=f"must be text of at most {q.max_length} characters")
            )
    _refuse(what, errors)


def score_visit(rubric: Rubric, answers: Mapping[str, ShopperAnswer]) -> Scored:
    """The visit's score, or InvalidInput naming `$.answers.<id>` for every answer the rubric does
    not allow."""
    errors = _unknown(answers, {c.id for c in rubric.criteria}, "criterion of this channel's rubric")
    passed: dict[str, bool] = {}
    points = 0.0
    possible = 0
    for c in rubric.criteria:
        field = f"$.answers.{c.id}"
        value = answers.get(c.id)
        if value is None:
            if c.required:
                errors.append(FieldError(field=field, message="is required"))
            continue
        # bool is an int in Python; the types below keep true apart from 1.
        if isinstance(c, YesNoCriterion):
            if type(value) is not bool:
                errors.append(FieldError(field=field, message="must be true or false"))
                continue
            earned, met = (float(c.points) if value else 0.0), value
        elif isinstance(c, ScaleCriterion):
            if type(value) is not int or not 1 <= value <= 5:
                errors.append(FieldError(field=field, message="must be a rating from 1 to 5"))
                continue
            earned, met = c.points * (value - 1) / 4, value >= c.pass_at
        else:
            assert isinstance(c, NumberCriterion)
            if type(value) is not int or value < 0:
                errors.append(
                    FieldError(field=field, message=f"must be a whole number of {c.unit.en}, 0 or more")
                )
                continue
            met = value >= c.target if c.at_least else value <= c.target
            earned = float(c.points) if met else 0.0
        passed[c.id] = met
        points += earned
        possible += c.points
    if not errors and possible == 0:
        errors.append(FieldError(field="$.answers", message="must answer at least one criterion"))
    _refuse("rubric", errors)
    return Scored(passed=passed, points=points, possible=possible, score=round(100 * points / possible, 1))
