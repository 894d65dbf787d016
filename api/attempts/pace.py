"""The room's pace: where a live workshop's room is in its modules, and whether a participant
may submit a form yet.

A workshop's steps are its modules' facilitator scripts one after another; a step may run an
activity, and an activity may have a form. A form is reached once the room's step is at or past
the first step running an activity with that form; a form no step runs is never held back (the
script has no place for it). While the facilitator has not allowed participants ahead, a
participant's submit of a form the room has not reached is refused (409), so the server holds
the pace the player shows. Lives beside the submit it guards (api.workshops imports api.attempts).
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from api.content.catalog import Catalog
from api.db import Sessions
from api.errors import Conflict, NotFound
from api.models import Attempt, Workshop, WorkshopParticipant, utcnow
from schemas.content import Module

_TRIES = 3


def position(modules: Sequence[Module], step: int) -> tuple[str | None, str | None]:
    """The module the room's step is in, and the activity the room is on there: the step's own,
    else the latest one an earlier step of that module ran (None before any)."""
    start = 0
    for module in modules:
        script = module.facilitator_script
        if step < start + len(script):
            activity = None
            for done in script[: step - start + 1]:
                activity = done.activity or activity
            return module.id, activity
        start += len(script)
    if not modules:
        return None, None
    last = modules[-1]
    activity = next((s.activity for s in reversed(last.facilitator_script) if s.activity), None)
    return last.id, activity


def first_step(modules: Sequence[Module], module_id: str, form_id: str) -> int | None:
    """The workshop's first step that runs an activity with this form; None if none does."""
    start = 0
    for module in modules:
        if module.id == module_id:
            forms = {a.id: a.form for a in module.activities}
            for index, step in enumerate(module.facilitator_script):
                if step.activity and forms.get(step.activity) == form_id:
                    return start + index
            return None
        start += len(module.facilitator_script)
    return None


async def hold(sessions: Sessions, catalog: Catalog, learner_id: uuid.UUID, attempt_id: uuid.UUID) -> None:
    """Refuse (409) a participant's submit of a form an open room they are in has not reached,
    unless its facilitator allows participants ahead. One indexed read; nothing for anyone in no
    room."""
    query = (
        select(Workshop.modules, Workshop.step, Attempt.module_id, Attempt.form_id)
        .select_from(Attempt)
        .join(WorkshopParticipant, WorkshopParticipant.learner_id == Attempt.learner_id)
        .join(Workshop, Workshop.id == WorkshopParticipant.workshop_id)
        .where(
            Attempt.id == attempt_id,
            Attempt.learner_id == learner_id,
            Attempt.status == "draft",
            Workshop.status == "open",
            Workshop.allow_ahead.is_(False),
            Workshop.expires_at > utcnow(),
        )
    )
    for tries_left in reversed(range(_TRIES)):
        async with sessions() as session:
            try:
                rows = (await session.execute(query)).all()
                break
            except DBAPIError:
                # A connection the server ended (a restart) fails its next statement before the
                # pool notices: throw it away and read on a fresh one, as the submit does.
                await session.invalidate()
                if not tries_left:
                    raise
    for module_ids, step, module_id, form_id in rows:
        if module_id not in module_ids:
            continue
        try:
            modules = [(await catalog.entry(m)).module for m in module_ids]  # after the session closed
        except NotFound:
            continue  # a module no longer published: the script it had holds no one back
        needed = first_step(modules, module_id, form_id)
        if needed is not None and step < needed:
            raise Conflict(
                f"The room has not reached {form_id!r} yet (it is on step {step + 1}; this form is "
                f"step {needed + 1} of the facilitator's script). Wait for the facilitator to move "
                "the room there, or ask them to let participants work ahead."
            )
