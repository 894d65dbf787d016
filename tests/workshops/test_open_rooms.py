"""How a launch finds its room (`OpenRooms`), on SQLite and PostgreSQL: a burst of launches
looks the district's open rooms up once for its time to live, a room opened since is found
once that has passed, a code is found at once, and a room closed since the last look takes no
one."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select

from api.db import Sessions
from api.errors import InvalidInput
from api.identity.learners import LearnerService
from api.models import WorkshopParticipant
from api.runtime import Runtime
from api.workshops.services import OpenRooms, WorkshopService, add_participant
from schemas.progress import LearnerProfile
from schemas.workshops import StateChange, WorkshopOpen
from tests.conftest import Tenant
from tests.progress.test_progress_api import MODULE

pytestmark = pytest.mark.anyio
COHORT = "Front desk staff 2026"


@contextmanager
def workshop_reads(sessions: Sessions) -> Iterator[list[str]]:
    """The statements that read the workshops table while the block runs."""
    engine = sessions.kw["bind"].sync_engine
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM workshops" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_a_burst_of_launches_looks_once_and_a_new_room_is_found_after_the_ttl(
    runtime: Runtime, district_a: Tenant
) -> None:
    service = WorkshopService(runtime.sessions, runtime.catalog, district_a.id, "http://testserver.local")
    remembering, quick = OpenRooms(runtime.sessions, ttl=60), OpenRooms(runtime.sessions, ttl=0.3)
    assert await quick.find(district_a.id, MODULE, "", COHORT) is None
    with workshop_reads(runtime.sessions) as reads:
        found = await asyncio.gather(
            *(remembering.find(district_a.id, MODULE, "", COHORT) for _ in range(30))
        )
    assert found == [None] * 30 and len(reads) == 1

    opened = await service.open(WorkshopOpen(modules=[MODULE], cohort=COHORT), "facilitator")
    assert await remembering.find(district_a.id, MODULE, "", COHORT) is None  # not yet seen
    assert await remembering.find(district_a.id, MODULE, opened.code, "") == opened.id  # a code: at once
    await asyncio.sleep(0.4)
    with workshop_reads(runtime.sessions) as reads:
        assert await quick.find(district_a.id, MODULE, "", COHORT) == opened.id
        assert await quick.find(district_a.id, MODULE, "", "Bus drivers") is None  # another cohort
        assert await quick.find(district_a.id, "no-such-module", "", COHORT) is None  # not its module
    assert len(reads) == 1
    with pytest.raises(InvalidInput):
        await quick.find(district_a.id, MODULE, "QQQQ-QQQQ", "")


async def test_a_room_closed_since_the_last_look_takes_no_one(
    runtime: Runtime, sessions: Sessions, district_a: Tenant
) -> None:
    rooms = OpenRooms(sessions)
    service = WorkshopService(sessions, runtime.catalog, district_a.id, "http://testserver.local")
    opened = await service.open(WorkshopOpen(modules=[MODULE], cohort=COHORT), "facilitator")
    learners = LearnerService(sessions, district_a.id)
    early = await learners.upsert(LearnerProfile(external_id="lti:test:early", name="Early"))
    late = await learners.upsert(LearnerProfile(external_id="lti:test:late", name="Late"))
    assert await rooms.find(district_a.id, MODULE, "", COHORT) == opened.id
    async with sessions.kw["bind"].begin() as connection:
        await add_participant(connection, opened.id, early.id)
    await service.change(opened.id, StateChange(status="closed"))
    # A launch that found the room before it closed (remembered as open) joins it now.
    async with sessions.kw["bind"].begin() as connection:
        await add_participant(connection, opened.id, late.id)
    async with sessions() as session:
        joined = await session.scalar(
            select(func.count()).where(WorkshopParticipant.workshop_id == opened.id)
        )
    assert joined == 1  # the early one only
