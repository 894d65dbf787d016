"""The exit-interview guide, the family survey and the secret-shopper rubrics as content:
`instruments/exit-interview.yaml`, `family-survey.yaml` and `secret-shopper.yaml` in the content
folder (the shipped ones when a folder has none), decoded strictly, checked (ids unique, the
figures' questions present) by `frontoffice content check` and `serve`, and read once per process."""

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import msgspec

from api.settings import SHIPPED_CONTENT
from schemas.measures import (
    CHANNELS,
    ChoiceQuestion,
    ExitInterviewGuide,
    FamilySurvey,
    Question,
    ScaleQuestion,
    SecretShopperRubrics,
)

EXIT_FILE = Path("instruments") / "exit-interview.yaml"
SHOPPER_FILE = Path("instruments") / "secret-shopper.yaml"
SURVEY_FILE = Path("instruments") / "family-survey.yaml"

T = TypeVar("T", ExitInterviewGuide, SecretShopperRubrics, FamilySurvey)


class MeasureFileError(Exception):
    """An instrument's file is missing or breaks a rule; the message names the file and the `$.path`."""


def _decode(path: Path, kind: type[T]) -> T:
    try:
        return msgspec.yaml.decode(path.read_bytes(), type=kind)
    except FileNotFoundError:
        raise MeasureFileError(f"{path}: the file is missing") from None
    except msgspec.DecodeError as exc:  # ValidationError too, with its `$.path`
        raise MeasureFileError(f"{path}: {exc}") from None


def _twice(ids: list[str]) -> list[str]:
    return sorted({i for i in ids if ids.count(i) > 1})


def _question_problems(questions: list[Question]) -> list[str]:
    """What is wrong with a list of questions: ids twice, options twice, a scale upside down."""
    problems: list[str] = []
    if twice := _twice([q.id for q in questions]):
        problems.append(f"$.questions: ids listed twice: {', '.join(twice)}")
    for i, q in enumerate(questions):
        if isinstance(q, ChoiceQuestion) and (twice := _twice([o.id for o in q.options])):
            problems.append(f"$.questions[{i}].options: ids listed twice: {', '.join(twice)}")
        if isinstance(q, ScaleQuestion) and q.min >= q.max:
            problems.append(f"$.questions[{i}].max: must be above `min` ({q.min})")
    return problems


def _has_score(questions: list[Question]) -> bool:
    score = next((q for q in questions if q.id == "score"), None)
    return isinstance(score, ScaleQuestion) and (score.min, score.max) == (0, 10)


def read_exit_guide(content_dir: Path) -> ExitInterviewGuide:
    """The guide under `content_dir`, or MeasureFileError saying what is wrong with it."""
    path = content_dir / EXIT_FILE
    guide = _decode(path, ExitInterviewGuide)
    problems = _question_problems(guide.questions)
    reasons = next((q for q in guide.questions if q.id == "reasons"), None)
    # The figures count `reasons` and average `score`: a guide without them can't be summed up.
    if not isinstance(reasons, ChoiceQuestion):
        problems.append("$.questions: needs a `choice` question with id `reasons`")
    if not _has_score(guide.questions):
        problems.append("$.questions: needs a `scale` question with id `score`, from 0 to 10")
    if problems:
        raise MeasureFileError(f"{path}: " + "; ".join(problems))
    return guide


def read_family_survey(content_dir: Path) -> FamilySurvey:
    """The family survey under `content_dir`, or MeasureFileError saying what is wrong with it."""
    path = content_dir / SURVEY_FILE
    survey = _decode(path, FamilySurvey)
    problems = _question_problems(survey.questions)
    # The figures average `score`, as the card's and the exit interview's are.
    if not _has_score(survey.questions):
        problems.append("$.questions: needs a `scale` question with id `score`, from 0 to 10")
    if problems:
        raise MeasureFileError(f"{path}: " + "; ".join(problems))
    return survey


def read_rubrics(content_dir: Path) -> SecretShopperRubrics:
    """The rubrics under `content_dir`, or MeasureFileError saying what is wrong with them."""
    path = content_dir / SHOPPER_FILE
    rubrics = _decode(path, SecretShopperRubrics)
    for channel in CHANNELS:
        ids = [c.id for c in getattr(rubrics.channels, channel).criteria]
        if twice := _twice(ids):
            raise MeasureFileError(
                f"{path}: $.channels.{channel}.criteria: ids listed twice: {', '.join(twice)}"
            )
    return rubrics


def check_measures(content_dir: Path) -> list[str]:
    """Each instrument file's problems, for the files `content_dir` has (a folder without one
    uses the shipped file)."""
    found: list[str] = []
    readers: tuple[tuple[Path, Callable[[Path], object]], ...] = (
        (EXIT_FILE, read_exit_guide),
        (SHOPPER_FILE, read_rubrics),
        (SURVEY_FILE, read_family_survey),
    )
    for name, read in readers:
        if not (content_dir / name).exists():
            continue
        try:
            read(content_dir)
        except MeasureFileError as exc:
            found.append(str(exc))
    return found


def _folder(content_dir: Path, name: Path) -> Path:
    return content_dir if (content_dir / name).exists() else SHIPPED_CONTENT


@functools.cache
def exit_guide_at(content_dir: Path) -> ExitInterviewGuide:
    """The guide under `content_dir` (or the shipped one), read once per process."""
    return read_exit_guide(_folder(content_dir, EXIT_FILE))


@functools.cache
def rubrics_at(content_dir: Path) -> SecretShopperRubrics:
    """The rubrics under `content_dir` (or the shipped ones), read once per process."""
    return read_rubrics(_folder(content_dir, SHOPPER_FILE))


@functools.cache
def family_survey_at(content_dir: Path) -> FamilySurvey:
    """The family survey under `content_dir` (or the shipped one), read once per process."""
    return read_family_survey(_folder(content_dir, SURVEY_FILE))
