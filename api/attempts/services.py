"""Learner progress: learners and their tokens, attempts at forms, scoring on submit, and the
completion record (with its outbox events) written in the same transaction as the submit.

Exactly-once is held by the database, not by checks in Python: attempt numbers are unique
per learner and form, a submit is a conditional update from `draft`, a live completion is
unique per learner and module, and a submit writes only if the learner's progress version is
still the one it decided on (api/attempts/submit.py).
"""

import random
import uuid
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.assignments.services import learner_due
from api.attempts import decide, pace
from api.attempts import submit as submitting
from api.attempts.lists import compare_list
from api.attempts.review import results
from api.attempts.rules import requirements
from api.attempts.scoring import Marking, band_feedback, mark
from api.completions.views import completion_view
from api.content.catalog import Catalog, Entry, negotiate
from api.db import Sessions
from api.errors import Conflict, InvalidInput, NotFound
from api.metrics import Metrics
from api.models import Attempt, Attendance, Completion, utcnow
from schemas.content import (
    Form,
    ListItem,
)
from schemas.progress import (
    AttemptView,
    CompletionView,
    ModuleProgress,
    SubmitResult,
)


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


class _InARoom(Exception):
    """The submit's read found the learner in a live room that holds its pace: ask it first."""


class AttemptService:
    """One learner's work: attempts, submits, progress and transcript."""

    def __init__(
        self,
        sessions: Sessions,
        catalog: Catalog,
        district_id: uuid.UUID,
        learner_id: uuid.UUID,
        cohort: str = "",
        *,
        languages: tuple[str | None, str | None] = (None, None),
        metrics: Metrics | None = None,
    ) -> None:
        self.sessions = sessions
        self.metrics = metrics  # counts the completions recorded
        self.catalog = catalog
        self.district_id = district_id
        self.learner_id = learner_id
        self.cohort = cohort
        self.languages = languages  # `?lang=` and Accept-Language: the learner's language

    def _scoring_form(self, entry: Entry, form: Form) -> Form:
        """The form as it is marked: a text answer gets its typo allowance in the learner's
        language only (another language's answers count on an exact match)."""
        locale = negotiate(*self.languages, entry.locales)
        return self.catalog.scoring_form(entry, form, locale)

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
        self, row: decide.Attempted, entry: Entry, form: Form, used: int, marking: Marking | None = None
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
            marking = mark(self._scoring_form(entry, form), row.answers)
        texts = self._in_language(entry, form)
        items = results(marking, texts, show_feedback=show_feedback, show_correct=show_correct)
        view.score, view.passed, view.items = row.score, row.passed, items
        view.feedback = band_feedback(texts, row.score) if show_feedback else None
        view.lists = [
            compare_list(item, row.answers.get(item.id) or [])
            for item in texts.items
            if isinstance(item, ListItem) and item.reference
        ]
        return view

    def _in_language(self, entry: Entry, form: Form) -> Form:
        """`form` in the language the learner reads now (English where it is not translated)."""
        locale = negotiate(*self.languages, entry.locales)
        return next((f for f in self.catalog.localized(entry, locale).forms if f.id == form.id), form)

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

    async def _pinned(self, attempt_id: uuid.UUID) -> tuple[Entry, Form]:
        """The module version and form an attempt was started on. Read before any write
        transaction: on SQLite a second session inside one would wait on the first."""
        async with self.sessions() as session:
            row = await self._attempt_row(session, attempt_id)
        return await self._form(row.module_id, row.form_id, row.module_version)

    async def save(self, attempt_id: uuid.UUID, answers: dict[str, Any]) -> AttemptView:
        entry, form = await self._pinned(attempt_id)
        checked = decide.checked(form, answers)
        async with self.sessions.begin() as session:
            row = await self._attempt_row(session, attempt_id)
            if row.status != "draft":
                raise Conflict("This attempt has been submitted; submitted answers cannot change.")
            row.answers, row.saved_at = checked, utcnow()
            used = len(await self._submitted(session, row.module_id, row.form_id))
        return self._view(row, entry, form, used)

    async def submit(
        self, attempt_id: uuid.UUID, answers: dict[str, Any] | None, *, paced: bool = True
    ) -> SubmitResult:
        """Score the attempt, move it from draft to submitted, and record the module's completion
        when its rule is now met, with their events: read, decide, write (api/attempts/submit.py).
        `paced`: a live workshop's room holds the learner back (api/attempts/pace.py); a
        facilitator entering paper answers is not held.

        A submit reads again when its write found that another submit (or a void) of the same
        learner came in between, or when its connection was lost (a restarted database): the
        next read finds out what the lost write did."""
        for _ in range(_SUBMIT_TRIES):
            try:
                result, missing = await self._try_submit(attempt_id, answers, paced)
            except submitting.ConnectionLost:
                continue  # the pool has thrown the dead connection away; the next is fresh
            except _InARoom:
                # Outside the unit (SQLite's is a transaction): may the room's pace let it in?
                await pace.hold(self.sessions, self.catalog, self.learner_id, attempt_id)
                paced = False
                continue
            if result is not None:
                return result
            if missing is not None:  # the catalog reads the database on a miss: never in the unit
                await self._form(*missing)
        raise Conflict("This learner's work kept changing while the attempt was submitted; try again.")

    async def _try_submit(
        self, attempt_id: uuid.UUID, answers: dict[str, Any] | None, paced: bool = False
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
                if answers is not None and not decide.same_answers(
                    decide.checked(form, answers), target.answers
                ):
                    raise Conflict(
                        "This attempt was already submitted with other answers, and submitted answers "
                        "cannot change; start a new attempt to answer again."
                    )
                return SubmitResult(attempt=self._view(target, entry, form, used), completion=seen.live), None
            if paced and seen.paced:
                raise _InARoom()
            decided, submission, marking, completion = decide.decide(
                seen,
                target,
                entry.module,
                form,
                self._scoring_form(entry, form),
                answers,
                district_id=self.district_id,
                learner_id=self.learner_id,
            )
            recorded = await unit.write(decided)
        if recorded is None or (completion is not None and not recorded):
            return None, None
        if completion is not None and self.metrics is not None:  # written and committed
            self.metrics.completions.labels(completion.module_id).inc()
        view = self._view(submission, entry, form, used + 1, marking)  # this draft is now submitted too
        return SubmitResult(attempt=view, completion=completion or seen.live), None

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
        now = utcnow()
        async with self.sessions() as session:
            due = await learner_due(session, self.learner_id)
            attended = set(
                (
                    await session.execute(
                        select(Attendance.module_id).where(Attendance.learner_id == self.learner_id)
                    )
                ).scalars()
            )
            for module in modules:
                query = select(*_STANDING).where(
                    Attempt.learner_id == self.learner_id, Attempt.module_id == module.id
                )
                rows = (await session.execute(query)).all()
                standing = decide.standing_of(module, rows, module.id in attended)
                live = await self._live(session, module.id)
                status = "completed" if live else ("in_progress" if rows else "not_started")
                assigned = due.get(module.id)
                out.append(
                    ModuleProgress(
                        module_id=module.id,
                        status=status,  # type: ignore[arg-type]
                        requirements=requirements(module.completion, standing),
                        completion=live,
                        due_on=assigned.due_on if assigned else None,
                        overdue=assigned is not None and live is None and assigned.due_at <= now,
                    )
                )
        return out
