"""Completions an attendance records: when a facilitator confirms a learner attended a live
workshop of a module whose rule asks for it, the rule may be met without another submit. The
decision is the submit's own (`decide.completion_due`); the write moves the learner's progress
version on as a submit does, so a submit racing it reads again and finds the completion."""

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.attempts.decide import completion_due, completion_row
from api.identity.learners import learner_ref
from api.models import Attempt, Completion, Learner, utcnow
from api.outbox.emit import emit
from schemas.content import Module
from schemas.events import CompletionRecorded


class Retry(Exception):
    """The learner's progress moved on while this decided: decide again, in a new transaction."""


async def complete_on_attendance(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, module: Module, version: str
) -> bool:
    """Record the learner's completion of `module` (of the published `version`) if their work
    and the attendance just confirmed (in this transaction) now meet its rule and none is live.
    Returns whether one was recorded; raises Retry if a submit of theirs wrote meanwhile."""
    learner = await session.get(Learner, learner_id)
    if learner is None or learner.district_id != district_id:
        return False
    live = await session.scalar(
        select(Completion.id).where(
            Completion.learner_id == learner_id,
            Completion.module_id == module.id,
            Completion.voided_at.is_(None),
        )
    )
    if live is not None:
        return False
    rows = list(
        (
            await session.execute(
                select(Attempt).where(Attempt.learner_id == learner_id, Attempt.module_id == module.id)
            )
        ).scalars()
    )
    now = utcnow()
    submitted = [r for r in rows if r.status == "submitted"]
    # The version the learner's work was done against; with none, the one published now.
    pinned = max(submitted, key=lambda r: r.submitted_at or now).module_version if submitted else version
    due = completion_due(learner_id, module, pinned, rows, now, attended=True)
    if due is None:
        return False
    completion, attempts = due
    moved = await session.execute(
        update(Learner)
        .where(Learner.id == learner_id, Learner.progress_version == learner.progress_version)
        .values(progress_version=Learner.progress_version + 1)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Retry()
    session.add(
        Completion(
            **completion_row(completion, attempts),
            district_id=district_id,
            learner_id=learner_id,
            completed_at=now,
            updated_at=now,
        )
    )
    await emit(
        session,
        district_id,
        CompletionRecorded(
            completion_id=completion.id,
            learner=learner_ref(learner),
            module_id=module.id,
            module_version=completion.module_version,
            module_title=module.title,
            score=completion.score,
            passed=completion.passed,
            started_at=completion.started_at,
            completed_at=now,
            credit_minutes=completion.credit_minutes,
            certificate_code=completion.certificate_code,
        ),
        now,
    )
    return True
