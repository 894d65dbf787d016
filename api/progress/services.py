"""Learner progress: learners and their tokens, attempts at forms, scoring on submit, and the
completion record (with its outbox events) written in the same transaction as the submit.

Exactly-once is held by the database, not by checks in Python: attempt numbers are unique
per learner and form, a submit is a conditional update from `draft`, a live completion is
unique per learner and module, and a submit writes only if the learner's progress version is
still the one it decided on (api/progress/submit.py).
"""

import random
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import msgspec
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.content.catalog import Catalog, Entry
from api.db import Sessions
from api.errors import Conflict, InvalidInput, NotFound
from api.models import Attempt, Completion, Learner, utcnow
from api.outbox.emit import emit
from api.progress import submit as submitting
from api.progress import tokens
from api.progress.lists import compare_list
from api.progress.rules import Standing, counted_attempt, is_met, requirements
from api.progress.scoring import AnswerError, Marking, band_feedback, check_answer, mark
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
from schemas.events import AttemptSubmitted, CompletionRecorded, CompletionVoided, FormSubmitted, LearnerRef
from schemas.problem import FieldError
from schemas.progress import (
    AttemptView,
    CompletionView,
    LearnerProfile,
    LearnerToken,
    LearnerView,
    ModuleProgress,
    SubmitResult,
    Transcript,
)


def learner_view(row: Learner) -> LearnerView:
    return LearnerView(
        id=row.id,
        external_id=row.external_id,
        name=row.name,
        email=row.email,
        employee_id=row.employee_id,
        school=row.school,
        role=row.role,
    )


def learner_ref(row: Learner) -> LearnerRef:
    """The learner as events name them (the same fields as the API's view)."""
    return LearnerRef(**msgspec.structs.asdict(learner_view(row)))


def completion_view(row: Completion) -> CompletionView:
    return CompletionView(
        id=row.id,
        learner_id=row.learner_id,
        module_id=row.module_id,
        module_version=row.module_version,
        score=row.score,
        passed=row.passed,
        started_at=row.started_at,
        completed_at=row.completed_at,
        credit_minutes=row.credit_minutes,
        certificate_code=row.certificate_code,
        voided_at=row.voided_at,
        void_reason=row.void_reason,
    )


def _same_answers(given: dict[str, Any], stored: dict[str, Any]) -> bool:
    """Whether a repeated submit's checked answers are the ones recorded (as JSON values)."""
    return msgspec.json.encode(given, order="sorted") == msgspec.json.encode(stored, order="sorted")


class LearnerService:
    """A district's learners: created or updated from a profile, and given tokens."""

    def __init__(self, sessions: Sessions, district_id: uuid.UUID) -> None:
        self.sessions = sessions
        self.district_id = district_id

    async def upsert(self, profile: LearnerProfile) -> LearnerView:
        for _ in range(2):  # a concurrent first upsert of the same learner: the second try updates
            try:
                async with self.sessions.begin() as session:
                    row = (
                        await session.execute(
                            select(Learner).where(
                                Learner.district_id == self.district_id,
                                Learner.external_id == profile.external_id,
                            )
                        )
                    ).scalar_one_or_none()
                    if row is None:
                        row = Learner(district_id=self.district_id, external_id=profile.external_id)
                        session.add(row)
                    for field in ("name", "email", "employee_id", "school", "role"):
                        setattr(row, field, getattr(profile, field))
                    row.updated_at = utcnow()
                    await session.flush()
                    return learner_view(row)
            except IntegrityError:
                continue
        raise Conflict("The learner was being created by another request at the same moment; try again.")

    async def token(
        self,
        profile: LearnerProfile,
        cohort: str,
        ttl_minutes: int,
        key: str,
        facilitator: bool = False,
    ) -> LearnerToken:
        learner = await self.upsert(profile)
        token, expires = tokens.issue(
            key, self.district_id, learner.id, cohort, timedelta(minutes=ttl_minutes), facilitator
        )
        return LearnerToken(token=token, expires_at=expires, learner=learner)

    async def get(self, learner_id: uuid.UUID) -> LearnerView:
        async with self.sessions() as session:
            row = await session.get(Learner, learner_id)
        if row is None or row.district_id != self.district_id:
            raise NotFound("No such learner in this district.")
        return learner_view(row)


def _required(item: Item) -> bool:
    """Whether a submit needs an answer to the item."""
    if isinstance(item, (ChoiceItem, ClassifyItem, OrderItem, TextEntryItem, ScenarioItem)):
        return True
    if isinstance(item, (ExtendedTextItem, RatingItem, MatrixItem)):
        return item.required
    if isinstance(item, ListItem):
        return item.min_entries > 0
    assert isinstance(item, TableItem)
    return item.min_rows > 0


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _form_in(entry: Entry, form_id: str) -> Form:
    form = next((f for f in entry.module.forms if f.id == form_id), None)
    if form is None:
        raise NotFound(f"Module {entry.module.id!r} has no form {form_id!r}.")
    return form


_STANDING = (Attempt.form_id, Attempt.number, Attempt.status, Attempt.score, Attempt.started_at)
_LIVE_COMPLETION = select(*(getattr(Completion, field) for field in CompletionView.__struct_fields__)).where(
    Completion.learner_id == bindparam("learner_id"),
    Completion.module_id == bindparam("module_id"),
    Completion.voided_at.is_(None),
)
# How often a submit reads again before it gives up: each time, another device's submit (or a
# void) of the same learner wrote in between, or the connection was lost.
_SUBMIT_TRIES = 10


class _Submitted(Protocol):
    @property
    def form_id(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def score(self) -> float | None: ...


class _Attempted(_Submitted, Protocol):
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


def _standing(module: Module, rows: Sequence[_Submitted]) -> Standing:
    """What a learner's attempts at a module's forms count for against its completion rule."""
    submitted = [r for r in rows if r.status == "submitted"]
    scores: dict[str, float] = {}
    for form in module.forms:
        scored = [r for r in submitted if r.form_id == form.id and r.score is not None]
        if scored:
            pick = counted_attempt(scored, form.policy.attempts.counted)
            assert pick.score is not None
            scores[form.id] = pick.score
    return Standing(submitted=frozenset(r.form_id for r in submitted), scores=scores)


def _completion_due(
    learner_id: uuid.UUID, module: Module, submission: _Attempted, rows: Sequence[_Attempted], now: datetime
) -> CompletionView | None:
    """The completion to record when the learner's attempts at `module` (`submission` among them,
    none live yet) meet its rule, else None."""
    standing = _standing(module, rows)
    if not is_met(module.completion, standing):
        return None
    quiz_forms = [f for f in module.forms if f.kind == "knowledge_check"]
    quiz_scores = [standing.scores[f.id] for f in quiz_forms if f.id in standing.scores]
    passed = None
    if quiz_forms:
        passed = all(
            f.id in standing.scores and standing.scores[f.id] + 1e-9 >= (f.policy.pass_mark or 0.0)
            for f in quiz_forms
        )
    return CompletionView(
        id=uuid.uuid4(),
        learner_id=learner_id,
        module_id=module.id,
        module_version=submission.module_version,
        score=sum(quiz_scores) / len(quiz_scores) if quiz_scores else None,
        passed=passed,
        started_at=min(r.started_at for r in rows),
        completed_at=now,
        credit_minutes=module.minutes,
        certificate_code=secrets.token_hex(8).upper(),
    )


def _completion_row(completion: CompletionView, rows: Sequence[_Attempted], module: Module) -> dict[str, Any]:
    """The completions columns a submit sets, besides the district, learner and times."""
    quiz_forms = {f.id for f in module.forms if f.kind == "knowledge_check"}
    return {
        "id": completion.id,
        "module_id": completion.module_id,
        "module_version": completion.module_version,
        "score": completion.score,
        "passed": completion.passed,
        "attempts": sum(1 for r in rows if r.form_id in quiz_forms and r.status == "submitted"),
        "started_at": completion.started_at,
        "credit_minutes": completion.credit_minutes,
        "certificate_code": completion.certificate_code,
    }


class ProgressService:
    """One learner's work: attempts, submits, progress and transcript."""

    def __init__(
        self,
        sessions: Sessions,
        catalog: Catalog,
        district_id: uuid.UUID,
        learner_id: uuid.UUID,
        cohort: str = "",
    ) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.district_id = district_id
        self.learner_id = learner_id
        self.cohort = cohort

    # --- reading ---------------------------------------------------------------------------

    async def _form(self, module_id: str, form_id: str, version: str | None = None) -> tuple[Entry, Form]:
        entry = await self.catalog.entry(module_id, version)
        return entry, _form_in(entry, form_id)

    async def _attempt_row(self, session: AsyncSession, attempt_id: uuid.UUID) -> Attempt:
        row = await session.get(Attempt, attempt_id)
        # Another learner's attempt is simply not found: ids never confirm what others did.
        if row is None or row.learner_id != self.learner_id or row.district_id != self.district_id:
            raise NotFound(f"No attempt {attempt_id} of yours.")
        return row

    async def _submitted(self, session: AsyncSession, module_id: str, form_id: str) -> list[Attempt]:
        return list(
            (
                await session.execute(
                    select(Attempt)
                    .where(
                        Attempt.learner_id == self.learner_id,
                        Attempt.module_id == module_id,
                        Attempt.form_id == form_id,
                        Attempt.status == "submitted",
                    )
                    .order_by(Attempt.number)
                )
            ).scalars()
        )

    async def view(self, row: Attempt) -> AttemptView:
        entry, form = await self._form(row.module_id, row.form_id, row.module_version)
        async with self.sessions() as session:
            used = len(await self._submitted(session, row.module_id, row.form_id))
        return self._view(row, entry, form, used)

    def _view(
        self, row: _Attempted, entry: Entry, form: Form, used: int, marking: Marking | None = None
    ) -> AttemptView:
        """The attempt as its learner sees it; `marking` is its answers' marking when the caller
        has it already (a submit scores once)."""
        policy = form.policy
        left = None if policy.attempts.max_attempts is None else max(policy.attempts.max_attempts - used, 0)
        view = AttemptView(
            id=row.id,
            module_id=row.module_id,
            module_version=row.module_version,
            form_id=row.form_id,
            number=row.number,
            status=row.status,  # type: ignore[arg-type]
            item_order=list(row.item_order),
            answers=dict(row.answers),
            started_at=row.started_at,
            saved_at=row.saved_at,
            submitted_at=row.submitted_at,
            attempts_left=left,
        )
        if row.status != "submitted":
            return view
        last = left == 0
        show_feedback = policy.attempts.feedback == "after_submit" or (
            policy.attempts.feedback == "after_last_attempt" and (last or bool(row.passed))
        )
        rule = policy.attempts.correct_answers
        show_correct = (
            rule == "after_submit"
            or (rule == "after_pass" and bool(row.passed))
            or (rule == "after_last_attempt" and (last or bool(row.passed)))
        )
        if marking is None:
            marking = mark(self.catalog.scoring_form(entry, form), row.answers)
        items = marking.results(show_feedback=show_feedback, show_correct=show_correct)
        view.score, view.passed, view.items = row.score, row.passed, items
        view.feedback = band_feedback(form, row.score) if show_feedback else None
        view.lists = [
            compare_list(item, row.answers.get(item.id) or [])
            for item in form.items
            if isinstance(item, ListItem) and item.reference
        ]
        return view

    async def attempt(self, attempt_id: uuid.UUID) -> AttemptView:
        async with self.sessions() as session:
            row = await self._attempt_row(session, attempt_id)
        return await self.view(row)

    async def attempts(self, module_id: str, form_id: str) -> list[AttemptView]:
        await self._form(module_id, form_id)
        async with self.sessions() as session:
            query = (
                select(Attempt)
                .where(
                    Attempt.learner_id == self.learner_id,
                    Attempt.module_id == module_id,
                    Attempt.form_id == form_id,
                )
                .order_by(Attempt.number)
            )
            rows = list((await session.execute(query)).scalars())
        used = sum(1 for row in rows if row.status == "submitted")
        views = []
        for row in rows:
            entry, form = await self._form(row.module_id, row.form_id, row.module_version)
            views.append(self._view(row, entry, form, used))
        return views

    async def start(self, module_id: str, form_id: str) -> tuple[AttemptView, bool]:
        """The open draft of this form, or a new attempt pinned to the current version.

        Returns the attempt and whether it was created.
        """
        entry, form = await self._form(module_id, form_id)
        for _ in range(3):
            try:
                async with self.sessions.begin() as session:
                    query = select(Attempt).where(
                        Attempt.learner_id == self.learner_id,
                        Attempt.module_id == module_id,
                        Attempt.form_id == form_id,
                    )
                    rows = list((await session.execute(query)).scalars())
                    draft = next((r for r in rows if r.status == "draft"), None)
                    if draft is None:
                        row = self._new_attempt(entry, form, rows)
                        session.add(row)
                        await session.flush()
                used = sum(1 for r in rows if r.status == "submitted")
                if draft is not None:  # the draft may be pinned to an older version
                    pinned, pinned_form = await self._form(module_id, form_id, draft.module_version)
                    return self._view(draft, pinned, pinned_form, used), False
                return self._view(row, entry, form, used), True
            except IntegrityError:
                continue  # another device started the same attempt: take theirs on the next pass
        raise Conflict("Another device is starting this attempt at the same moment; try again.")

    def _new_attempt(self, entry: Entry, form: Form, rows: list[Attempt]) -> Attempt:
        """The next attempt at `form`, pinned to `entry`'s version, in a fresh item order."""
        limit = form.policy.attempts.max_attempts
        if limit is not None and len(rows) >= limit:
            raise InvalidInput(f"You have used all {limit} attempt(s) at {form.id!r}; no more are allowed.")
        order = [item.id for item in form.items]
        if form.policy.attempts.shuffle:
            random.SystemRandom().shuffle(order)
        now = utcnow()
        return Attempt(
            district_id=self.district_id,
            learner_id=self.learner_id,
            module_id=entry.module.id,
            module_version=entry.version,
            form_id=form.id,
            number=max((r.number for r in rows), default=0) + 1,
            status="draft",
            item_order=order,
            answers={},
            cohort=self.cohort,
            started_at=now,
            saved_at=now,
        )

    def _checked(self, form: Form, answers: dict[str, Any]) -> dict[str, Any]:
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
                    errors.append(
                        FieldError(field=f"$.answers.{item_id}{exc.path_suffix}", message=exc.message)
                    )
        if errors:
            detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
            raise InvalidInput(f"Some answers do not fit their questions: {detail}", errors=errors)
        return checked

    async def _pinned(self, attempt_id: uuid.UUID) -> tuple[Entry, Form]:
        """The module version and form an attempt was started on. Read before any write
        transaction: on SQLite a second session inside one would wait on the first."""
        async with self.sessions() as session:
            row = await self._attempt_row(session, attempt_id)
        return await self._form(row.module_id, row.form_id, row.module_version)

    async def save(self, attempt_id: uuid.UUID, answers: dict[str, Any]) -> AttemptView:
        entry, form = await self._pinned(attempt_id)
        checked = self._checked(form, answers)
        async with self.sessions.begin() as session:
            row = await self._attempt_row(session, attempt_id)
            if row.status != "draft":
                raise Conflict("This attempt has been submitted; submitted answers cannot change.")
            row.answers, row.saved_at = checked, utcnow()
            used = len(await self._submitted(session, row.module_id, row.form_id))
        return self._view(row, entry, form, used)

    async def submit(self, attempt_id: uuid.UUID, answers: dict[str, Any] | None) -> SubmitResult:
        """Score the attempt, move it from draft to submitted, and record the module's completion
        when its rule is now met, with their events: read, decide, write (api/progress/submit.py).

        A submit reads again when its write found that another submit (or a void) of the same
        learner came in between, or when its connection was lost (a restarted database): the
        next read finds out what the lost write did."""
        for _ in range(_SUBMIT_TRIES):
            try:
                result, missing = await self._try_submit(attempt_id, answers)
            except submitting.ConnectionLost:
                continue  # the pool has thrown the dead connection away; the next is fresh
            if result is not None:
                return result
            if missing is not None:  # the catalog reads the database on a miss: never in the unit
                await self._form(*missing)
        raise Conflict("This learner's work kept changing while the attempt was submitted; try again.")

    async def _try_submit(
        self, attempt_id: uuid.UUID, answers: dict[str, Any] | None
    ) -> tuple[SubmitResult | None, tuple[str, str, str] | None]:
        """One read and, for a draft, one write. Returns the result; or None and the module
        version (module, form, version) to load first when the catalog has not cached it; or None
        twice to read again (the learner's progress moved on before the write, or a completion
        the read did not see was live)."""
        async with submitting.unit(self.sessions) as unit:
            seen = await unit.read(self.district_id, self.learner_id, attempt_id)
            if seen is None:  # another learner's attempt is simply not found
                raise NotFound(f"No attempt {attempt_id} of yours.")
            target = next(a for a in seen.attempts if a.id == attempt_id)
            entry = self.catalog.cached(target.module_id, target.module_version)
            if entry is None:
                return None, (target.module_id, target.form_id, target.module_version)
            form = _form_in(entry, target.form_id)
            used = sum(1 for a in seen.attempts if a.form_id == form.id and a.status == "submitted")
            if target.status != "draft":  # a repeat submit (two devices, a retry) gets the one there is
                if answers is not None and not _same_answers(self._checked(form, answers), target.answers):
                    raise Conflict(
                        "This attempt was already submitted with other answers, and submitted answers "
                        "cannot change; start a new attempt to answer again."
                    )
                return SubmitResult(attempt=self._view(target, entry, form, used), completion=seen.live), None
            decided, submission, marking, completion = self._decide(seen, target, entry, form, answers)
            recorded = await unit.write(decided)
        if recorded is None or (completion is not None and not recorded):
            return None, None
        view = self._view(submission, entry, form, used + 1, marking)  # this draft is now submitted too
        return SubmitResult(attempt=view, completion=completion or seen.live), None

    def _decide(
        self,
        seen: submitting.Seen,
        target: submitting.SeenAttempt,
        entry: Entry,
        form: Form,
        answers: dict[str, Any] | None,
    ) -> tuple[submitting.Decided, submitting.SeenAttempt, Marking, CompletionView | None]:
        """What submitting `target` writes: the submission, its event, and the completion (with its
        event) when the module's rule is met by it and none is live. Refuses bad answers before
        anything is written."""
        final = self._checked(form, answers if answers is not None else target.answers)
        missing = [item.id for item in form.items if _required(item) and _empty(final.get(item.id))]
        if missing:
            raise InvalidInput(
                f"Answer every required question before submitting; missing: {', '.join(missing)}.",
                errors=[FieldError(field=f"$.answers.{m}", message="an answer is required") for m in missing],
            )
        marking = mark(self.catalog.scoring_form(entry, form), final, checked=True)
        score, pass_mark = marking.score, form.policy.pass_mark
        passed = None if score is None or pass_mark is None else score + 1e-9 >= pass_mark
        now = utcnow()
        submission = target._replace(
            status="submitted", answers=final, score=score, passed=passed, saved_at=now, submitted_at=now
        )
        learner = LearnerRef(id=self.learner_id, **seen.learner)
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
        completion = None
        if seen.live is None:
            completion = _completion_due(self.learner_id, entry.module, submission, rows, now)
        if completion is not None:
            recorded = CompletionRecorded(
                completion_id=completion.id,
                learner=learner,
                module_id=completion.module_id,
                module_version=completion.module_version,
                module_title=entry.module.title,
                score=completion.score,
                passed=completion.passed,
                started_at=completion.started_at,
                completed_at=now,
                credit_minutes=completion.credit_minutes,
                certificate_code=completion.certificate_code,
            )
            events.append(submitting.Event.of(recorded, with_completion=True))
        decided = submitting.Decided(
            district_id=self.district_id,
            learner_id=self.learner_id,
            seen_version=seen.progress_version,
            attempt_id=submission.id,
            answers=final,
            score=score,
            passed=passed,
            now=now,
            completion=None if completion is None else _completion_row(completion, rows, entry.module),
            events=events,
        )
        return decided, submission, marking, completion

    async def _live(self, session: AsyncSession, module_id: str) -> CompletionView | None:
        row = (
            await session.execute(
                select(Completion).where(
                    Completion.learner_id == self.learner_id,
                    Completion.module_id == module_id,
                    Completion.voided_at.is_(None),
                )
            )
        ).scalar_one_or_none()
        return completion_view(row) if row else None

    # --- progress ----------------------------------------------------------------------------

    async def progress(self) -> list[ModuleProgress]:
        course = await self.catalog.course()
        modules = [(await self.catalog.entry(module_id)).module for module_id in course.modules]
        out: list[ModuleProgress] = []
        async with self.sessions() as session:
            for module in modules:
                query = select(*_STANDING).where(
                    Attempt.learner_id == self.learner_id, Attempt.module_id == module.id
                )
                rows = (await session.execute(query)).all()
                standing = _standing(module, rows)
                live = await self._live(session, module.id)
                status = "completed" if live else ("in_progress" if rows else "not_started")
                out.append(
                    ModuleProgress(
                        module_id=module.id,
                        status=status,  # type: ignore[arg-type]
                        requirements=requirements(module.completion, standing),
                        completion=live,
                    )
                )
        return out

    async def transcript(self) -> Transcript:
        async with self.sessions() as session:
            learner = await session.get(Learner, self.learner_id)
            if learner is None:
                raise NotFound("No such learner.")
            rows = list(
                (
                    await session.execute(
                        select(Completion)
                        .where(Completion.learner_id == self.learner_id)
                        .order_by(Completion.completed_at)
                    )
                ).scalars()
            )
        completions = [completion_view(r) for r in rows]
        total = sum(r.credit_minutes for r in rows if r.voided_at is None)
        return Transcript(learner=learner_view(learner), completions=completions, total_credit_minutes=total)


async def void_completion(
    sessions: Sessions, district_id: uuid.UUID, completion_id: uuid.UUID, reason: str, by: uuid.UUID | None
) -> CompletionView:
    """Void a completion (never delete it): the reason and who voided it are recorded."""
    async with sessions.begin() as session:
        row = await session.get(Completion, completion_id)
        if row is None or row.district_id != district_id:
            raise NotFound(f"No completion {completion_id} in this district.")
        if row.voided_at is not None:
            raise Conflict("This completion is already voided.")
        # A submit that read the voided record as live must not write on that reading. The
        # learner's row first, as a submit takes it, so that the two never wait for each other.
        await session.execute(
            update(Learner)
            .where(Learner.id == row.learner_id)
            .values(progress_version=Learner.progress_version + 1)
            .execution_options(synchronize_session=False)
        )
        now = utcnow()
        row.voided_at, row.void_reason, row.voided_by, row.updated_at = now, reason, by, now
        learner = await session.get(Learner, row.learner_id)
        assert learner is not None
        await emit(
            session,
            district_id,
            CompletionVoided(
                completion_id=row.id,
                learner=learner_ref(learner),
                module_id=row.module_id,
                reason=reason,
                voided_at=now,
            ),
            now,
        )
        return completion_view(row)
