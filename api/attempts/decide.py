"""What a submit decides, with no I/O: check the answers (each converted to its item's type,
every misfit named), mark them (score, pass), and apply the module's completion rule (which
attempts count, whether a completion is due and what it records), then the events to emit.
api/attempts/services.py reads and writes around it (api/attempts/submit.py)."""

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import msgspec

from api.attempts import submit as submitting
from api.attempts.rules import Standing, counted_attempt, is_met
from api.attempts.scoring import AnswerError, Marking, check_answer, mark
from api.errors import InvalidInput
from api.models import utcnow
from schemas.content import (
    ChoiceItem,
    ClassifyItem,
    ExtendedTextItem,
    Form,
    Item,
    ListItem,
    MatrixItem,
    Module,
    OrderItem,
    RatingItem,
    ScenarioItem,
    TableItem,
    TextEntryItem,
)
from schemas.events import AttemptSubmitted, CompletionRecorded, CompletionRescored, FormSubmitted, LearnerRef
from schemas.problem import FieldError
from schemas.progress import (
    CompletionView,
)


def same_answers(given: dict[str, Any], stored: dict[str, Any]) -> bool:
    """Whether a repeated submit's checked answers are the ones recorded (as JSON values)."""
    return msgspec.json.encode(given, order="sorted") == msgspec.json.encode(stored, order="sorted")


def required(item: Item) -> bool:
    """Whether a submit needs an answer to the item."""
    if isinstance(item, (ChoiceItem, ClassifyItem, OrderItem, TextEntryItem, ScenarioItem)):
        return True
    if isinstance(item, (ExtendedTextItem, RatingItem, MatrixItem)):
        return item.required
    if isinstance(item, ListItem):
        return item.min_entries > 0
    assert isinstance(item, TableItem)
    return item.min_rows > 0


def empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


class Submitted(Protocol):
    @property
    def form_id(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def score(self) -> float | None: ...


class Attempted(Submitted, Protocol):
    """An attempt as its view shows it: a stored row, or a submission just decided."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def module_id(self) -> str: ...
    @property
    def module_version(self) -> str: ...
    @property
    def item_order(self) -> list[str]: ...
    @property
    def answers(self) -> dict[str, Any]: ...
    @property
    def passed(self) -> bool | None: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def saved_at(self) -> datetime: ...
    @property
    def submitted_at(self) -> datetime | None: ...


def standing_of(module: Module, rows: Sequence[Submitted], attended: bool = False) -> Standing:
    """What a learner's attempts at a module's forms (and a confirmed attendance at a live
    workshop of it) count for against its completion rule."""
    submitted = [r for r in rows if r.status == "submitted"]
    scores: dict[str, float] = {}
    for form in module.forms:
        scored = [r for r in submitted if r.form_id == form.id and r.score is not None]
        if scored:
            pick = counted_attempt(scored, form.policy.attempts.counted)
            assert pick.score is not None
            scores[form.id] = pick.score
    return Standing(submitted=frozenset(r.form_id for r in submitted), scores=scores, attended=attended)


class Kept(NamedTuple):
    """What a module's knowledge checks give its completion: the kept score (the mean of each
    check's counted attempt: its policy says first, latest or highest), whether every check is
    passed, and how many attempts were made at them. None and None for a module without checks."""

    score: float | None
    passed: bool | None
    attempts: int


def kept(module: Module, standing: Standing, rows: Sequence[Submitted]) -> Kept:
    quiz_forms = [f for f in module.forms if f.kind == "knowledge_check"]
    quiz_scores = [standing.scores[f.id] for f in quiz_forms if f.id in standing.scores]
    passed = None
    if quiz_forms:
        passed = all(
            f.id in standing.scores and standing.scores[f.id] + 1e-9 >= (f.policy.pass_mark or 0.0)
            for f in quiz_forms
        )
    ids = {f.id for f in quiz_forms}
    return Kept(
        score=sum(quiz_scores) / len(quiz_scores) if quiz_scores else None,
        passed=passed,
        attempts=sum(1 for r in rows if r.form_id in ids and r.status == "submitted"),
    )


def completion_due(
    learner_id: uuid.UUID,
    module: Module,
    module_version: str,
    rows: Sequence[Attempted],
    now: datetime,
    attended: bool = False,
) -> tuple[CompletionView, int] | None:
    """The completion to record when the learner's attempts at `module` (of `module_version`,
    none live yet) and their attendance meet its rule, with its attempts at the checks; else
    None."""
    standing = standing_of(module, rows, attended)
    if not is_met(module.completion, standing):
        return None
    result = kept(module, standing, rows)
    view = CompletionView(
        id=uuid.uuid4(),
        learner_id=learner_id,
        module_id=module.id,
        module_version=module_version,
        score=result.score,
        passed=result.passed,
        # A rule met by attendance alone has no attempt to date the start by.
        started_at=min((r.started_at for r in rows), default=now),
        completed_at=now,
        credit_minutes=module.minutes,
        certificate_code=secrets.token_hex(8).upper(),
    )
    return view, result.attempts


def completion_row(completion: CompletionView, attempts: int) -> dict[str, Any]:
    """The completions columns a submit sets, besides the district, learner and times."""
    return {
        "id": completion.id,
        "module_id": completion.module_id,
        "module_version": completion.module_version,
        "score": completion.score,
        "passed": completion.passed,
        "attempts": attempts,
        "started_at": completion.started_at,
        "credit_minutes": completion.credit_minutes,
        "certificate_code": completion.certificate_code,
    }


def checked(form: Form, answers: dict[str, Any]) -> dict[str, Any]:
    """Answers converted to their items' types; every misfit named in one 422."""
    items = {item.id: item for item in form.items}
    errors: list[FieldError] = []
    checked: dict[str, Any] = {}
    for item_id, value in answers.items():
        if item_id not in items:
            message = f"form {form.id!r} has no item {item_id!r}; its items are {', '.join(items)}"
            errors.append(FieldError(field=f"$.answers.{item_id}", message=message))
        elif value is not None:
            try:
                checked[item_id] = msgspec.to_builtins(check_answer(items[item_id], value))
            except AnswerError as exc:
                errors.append(FieldError(field=f"$.answers.{item_id}{exc.path_suffix}", message=exc.message))
    if errors:
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise InvalidInput(f"Some answers do not fit their questions: {detail}", errors=errors)
    return checked


class Decision(NamedTuple):
    """What a submit decided: the writes, the attempt as now submitted, its marking, and the
    completion it records (None when the rule is not met, or one is live)."""

    decided: submitting.Decided
    submission: submitting.SeenAttempt
    marking: Marking
    completion: CompletionView | None


def decide(
    seen: submitting.Seen,
    target: submitting.SeenAttempt,
    module: Module,
    form: Form,
    scoring_form: Form,
    answers: dict[str, Any] | None,
    *,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
) -> Decision:
    """What submitting `target` writes: the submission, its event, and the completion (with its
    event) when the module's rule is met by it and none is live. Refuses bad answers before
    anything is written."""
    final = checked(form, answers if answers is not None else target.answers)
    missing = [item.id for item in form.items if required(item) and empty(final.get(item.id))]
    if missing:
        raise InvalidInput(
            f"Answer every required question before submitting; missing: {', '.join(missing)}.",
            errors=[FieldError(field=f"$.answers.{m}", message="an answer is required") for m in missing],
        )
    marking = mark(scoring_form, final, checked=True)
    score, pass_mark = marking.score, form.policy.pass_mark
    passed = None if score is None or pass_mark is None else score + 1e-9 >= pass_mark
    now = utcnow()
    submission = target._replace(
        status="submitted", answers=final, score=score, passed=passed, saved_at=now, submitted_at=now
    )
    learner = LearnerRef(id=learner_id, **seen.learner)
    submitted: msgspec.Struct = (
        AttemptSubmitted(
            attempt_id=submission.id,
            learner=learner,
            module_id=submission.module_id,
            module_version=submission.module_version,
            form_id=form.id,
            number=submission.number,
            score=score,
            passed=passed,
            submitted_at=now,
        )
        if form.kind == "knowledge_check"
        else FormSubmitted(
            attempt_id=submission.id,
            learner=learner,
            module_id=submission.module_id,
            module_version=submission.module_version,
            form_id=form.id,
            form_kind=form.kind,
            submitted_at=now,
        )
    )
    events = [submitting.Event.of(submitted)]
    rows = [submission if a.id == target.id else a for a in seen.attempts]
    completion, attempts, rescore = None, 0, None
    if seen.live is None:
        due = completion_due(learner_id, module, submission.module_version, rows, now, seen.attended)
        if due is not None:
            completion, attempts = due
    elif form.kind == "knowledge_check":
        # A check taken again after the module is complete: the record keeps what the check's
        # policy counts (the best score, say), and says how many attempts were made.
        result = kept(module, standing_of(module, rows, seen.attended), rows)
        live = seen.live
        rescore = {"id": live.id, "score": result.score, "passed": result.passed, "attempts": result.attempts}
        if (result.score, result.passed) != (live.score, live.passed):
            rescored = CompletionRescored(
                completion_id=live.id,
                learner=learner,
                module_id=live.module_id,
                module_version=live.module_version,
                module_title=module.title,
                score=result.score,
                passed=result.passed,
                attempts=result.attempts,
                previous_score=live.score,
                rescored_at=now,
            )
            events.append(submitting.Event.of(rescored))
    if completion is not None:
        recorded = CompletionRecorded(
            completion_id=completion.id,
            learner=learner,
            module_id=completion.module_id,
            module_version=completion.module_version,
            module_title=module.title,
            score=completion.score,
            passed=completion.passed,
            started_at=completion.started_at,
            completed_at=now,
            credit_minutes=completion.credit_minutes,
            certificate_code=completion.certificate_code,
        )
        events.append(submitting.Event.of(recorded, with_completion=True))
    decided = submitting.Decided(
        district_id=district_id,
        learner_id=learner_id,
        seen_version=seen.progress_version,
        attempt_id=submission.id,
        answers=final,
        score=score,
        passed=passed,
        now=now,
        completion=None if completion is None else completion_row(completion, attempts),
        rescore=rescore,
        events=events,
    )
    return Decision(decided, submission, marking, completion)
