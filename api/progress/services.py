"""Learner progress: learners and their tokens, attempts at forms, scoring on submit, and the
completion record (with its outbox events) written in the same transaction as the submit.

Exactly-once is held by the database, not by checks in Python: attempt numbers are unique
per learner and form, a submit is a conditional update from `draft`, and a live completion
is unique per learner and module.
"""

import random
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.content.catalog import Catalog, Entry
from api.db import Sessions
from api.errors import Conflict, InvalidInput, NotFound
from api.models import Attempt, Completion, Learner, OutboxEvent, utcnow
from api.progress import tokens
from api.progress.lists import compare_list
from api.progress.rules import Standing, counted_attempt, is_met, requirements
from api.progress.scoring import AnswerError, band_feedback, check_answer, mark_form
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

_events = msgspec.json.Encoder()


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


def add_event(session: AsyncSession, district_id: uuid.UUID, event: msgspec.Struct, at: datetime) -> None:
    """Write an event to the outbox, in the caller's transaction."""
    session.add(
        OutboxEvent(
            district_id=district_id,
            type=type(event).type_name,  # type: ignore[attr-defined]
            payload=msgspec.json.decode(_events.encode(event)),
            created_at=at,
        )
    )


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
    if isinstance(item, (ChoiceItem, ClassifyItem, OrderItem, TextEntryItem)):
        return True
    if isinstance(item, (ExtendedTextItem, RatingItem, MatrixItem)):
        return item.required
    if isinstance(item, ListItem):
        return item.min_entries > 0
    assert isinstance(item, TableItem)
    return item.min_rows > 0


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


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
        form = next((f for f in entry.module.forms if f.id == form_id), None)
        if form is None:
            raise NotFound(f"Module {module_id!r} has no form {form_id!r}.")
        return entry, form

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

    def _view(self, row: Attempt, entry: Entry, form: Form, used: int) -> AttemptView:
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
        _, items = mark_form(
            scoring_form(self.catalog, entry, form),
            row.answers,
            show_feedback=show_feedback,
            show_correct=show_correct,
        )
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
        entry, form = await self._pinned(attempt_id)
        async with self.sessions.begin() as session:
            # Submits of one learner take turns (a row lock on PostgreSQL; SQLite's write lock
            # already serializes), so the second of two devices finishing different forms at
            # once sees the first's submission and the completion is recorded, exactly once.
            learner = (
                await session.execute(select(Learner).where(Learner.id == self.learner_id).with_for_update())
            ).scalar_one()
            row = await self._attempt_row(session, attempt_id)
            if row.status == "draft":
                claimed, completion = await self._record_submit(session, row, learner, entry, form, answers)
                if claimed:
                    used = len(await self._submitted(session, row.module_id, row.form_id))
                    return SubmitResult(attempt=self._view(row, entry, form, used), completion=completion)
        # A repeat submit (two devices, a retry) gets the one submission there is.
        async with self.sessions() as session:
            row = await self._attempt_row(session, attempt_id)
            live = await self._live(session, row.module_id)
            used = len(await self._submitted(session, row.module_id, row.form_id))
        return SubmitResult(attempt=self._view(row, entry, form, used), completion=live)

    async def _record_submit(
        self,
        session: AsyncSession,
        row: Attempt,
        learner: Learner,
        entry: Entry,
        form: Form,
        answers: dict[str, Any] | None,
    ) -> tuple[bool, CompletionView | None]:
        """Mark the attempt, move it from draft to submitted, write its event and any completion.

        Returns whether this request made the submission (false: another request did first)
        and the completion it recorded, if any.
        """
        final = self._checked(form, answers if answers is not None else row.answers)
        missing = [item.id for item in form.items if _required(item) and _empty(final.get(item.id))]
        if missing:
            raise InvalidInput(
                f"Answer every required question before submitting; missing: {', '.join(missing)}.",
                errors=[FieldError(field=f"$.answers.{m}", message="an answer is required") for m in missing],
            )
        score, _ = mark_form(
            scoring_form(self.catalog, entry, form), final, show_feedback=False, show_correct=False
        )
        pass_mark = form.policy.pass_mark
        passed = None if score is None or pass_mark is None else score + 1e-9 >= pass_mark
        now = utcnow()
        claimed = await session.execute(
            update(Attempt)
            .where(Attempt.id == row.id, Attempt.status == "draft")
            .values(
                status="submitted", answers=final, score=score, passed=passed, submitted_at=now, saved_at=now
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return False, None  # the other device's submit won; the caller reads its result
        # Keep the loaded row in step with the update (it is read again for the standing).
        row.status, row.answers, row.score, row.passed = "submitted", final, score, passed
        row.submitted_at = row.saved_at = now
        event: msgspec.Struct
        if form.kind == "knowledge_check":
            event = AttemptSubmitted(
                attempt_id=row.id,
                learner=learner_ref(learner),
                module_id=row.module_id,
                module_version=row.module_version,
                form_id=form.id,
                number=row.number,
                score=score,
                passed=passed,
                submitted_at=now,
            )
        else:
            event = FormSubmitted(
                attempt_id=row.id,
                learner=learner_ref(learner),
                module_id=row.module_id,
                module_version=row.module_version,
                form_id=form.id,
                form_kind=form.kind,
                submitted_at=now,
            )
        add_event(session, self.district_id, event, now)
        return True, await self._complete_if_met(session, entry.module, row, learner, now)

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

    async def _standing(self, session: AsyncSession, module: Module) -> tuple[Standing, list[Attempt]]:
        rows = list(
            (
                await session.execute(
                    select(Attempt).where(
                        Attempt.learner_id == self.learner_id, Attempt.module_id == module.id
                    )
                )
            ).scalars()
        )
        submitted = [r for r in rows if r.status == "submitted"]
        scores: dict[str, float] = {}
        for form in module.forms:
            scored = [r for r in submitted if r.form_id == form.id and r.score is not None]
            if scored:
                pick = counted_attempt(scored, form.policy.attempts.counted)
                assert pick.score is not None
                scores[form.id] = pick.score
        return Standing(submitted=frozenset(r.form_id for r in submitted), scores=scores), rows

    async def _complete_if_met(
        self, session: AsyncSession, module: Module, attempt: Attempt, learner: Learner, now: datetime
    ) -> CompletionView | None:
        existing = await self._live(session, module.id)
        if existing is not None:
            return existing
        standing, rows = await self._standing(session, module)
        if not is_met(module.completion, standing):
            return None
        quiz_forms = [f.id for f in module.forms if f.kind == "knowledge_check"]
        quiz_scores = [standing.scores[f] for f in quiz_forms if f in standing.scores]
        score = sum(quiz_scores) / len(quiz_scores) if quiz_scores else None
        passed = None
        if quiz_forms:
            pass_marks = {f.id: f.policy.pass_mark for f in module.forms if f.id in quiz_forms}
            passed = all(
                f in standing.scores and standing.scores[f] + 1e-9 >= (pass_marks[f] or 0.0)
                for f in quiz_forms
            )
        completion = Completion(
            district_id=self.district_id,
            learner_id=self.learner_id,
            module_id=module.id,
            module_version=attempt.module_version,
            score=score,
            passed=passed,
            attempts=sum(1 for r in rows if r.form_id in quiz_forms and r.status == "submitted"),
            started_at=min(r.started_at for r in rows),
            completed_at=now,
            credit_minutes=module.minutes,
            certificate_code=secrets.token_hex(8).upper(),
            updated_at=now,
        )
        try:
            async with session.begin_nested():  # the live-completion index decides a race
                session.add(completion)
        except IntegrityError:
            return await self._live(session, module.id)
        add_event(
            session,
            self.district_id,
            CompletionRecorded(
                completion_id=completion.id,
                learner=learner_ref(learner),
                module_id=module.id,
                module_version=completion.module_version,
                module_title=module.title,
                score=score,
                passed=passed,
                started_at=completion.started_at,
                completed_at=now,
                credit_minutes=module.minutes,
                certificate_code=completion.certificate_code,
            ),
            now,
        )
        return completion_view(completion)

    # --- progress ----------------------------------------------------------------------------

    async def progress(self) -> list[ModuleProgress]:
        course = await self.catalog.course()
        modules = [(await self.catalog.entry(module_id)).module for module_id in course.modules]
        out: list[ModuleProgress] = []
        async with self.sessions() as session:
            for module in modules:
                standing, rows = await self._standing(session, module)
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


def scoring_form(catalog: Catalog, entry: Entry, form: Form) -> Form:
    """The form to mark against: a text answer in any of the module's languages counts, so a
    Spanish-speaking learner typing `información` is marked as right as one typing `information`."""
    if not entry.translations or not any(isinstance(i, TextEntryItem) for i in form.items):
        return form
    accepted: dict[str, list[str]] = {}
    for locale in entry.translations:
        localized = next(f for f in catalog.localized(entry, locale).forms if f.id == form.id)
        for item in localized.items:
            if isinstance(item, TextEntryItem):
                accepted.setdefault(item.id, []).extend(item.accepted)
    items = [
        msgspec.structs.replace(item, accepted=[*item.accepted, *accepted.get(item.id, [])])
        if isinstance(item, TextEntryItem)
        else item
        for item in form.items
    ]
    return msgspec.structs.replace(form, items=items)


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
        now = utcnow()
        row.voided_at, row.void_reason, row.voided_by, row.updated_at = now, reason, by, now
        learner = await session.get(Learner, row.learner_id)
        assert learner is not None
        add_event(
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
