"""Voiding a completion: never deleted, the reason and who voided it kept, with its event."""

import uuid

from sqlalchemy import update

from api.completions.views import completion_view
from api.db import Sessions
from api.errors import Conflict, NotFound
from api.identity.learners import learner_ref
from api.models import Completion, Learner, utcnow
from api.outbox.emit import emit
from schemas.events import CompletionVoided
from schemas.progress import (
    CompletionView,
)


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
