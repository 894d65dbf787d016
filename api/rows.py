"""A district's rows with the school each belongs to: one row by id (locked for a change, on
PostgreSQL) as item routes read it, the keyset condition of a list that runs newest first, and
the minute sweep that marks rows come due and sends one event for each."""

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast

import msgspec
from sqlalchemy import ColumnElement, Update, and_, or_, select
from sqlalchemy.engine import Row as Marked
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from api.db import Sessions
from api.errors import NotFound
from api.models import FeedbackSchool
from api.outbox.emit import emit
from schemas.events import SchoolRef

Row = TypeVar("Row")


async def with_school(
    session: AsyncSession,
    model: type[Row],
    row_id: uuid.UUID,
    district_id: uuid.UUID,
    missing: str,
    lock: bool = False,
    school_code: str = "",
) -> tuple[Row, FeedbackSchool]:
    """The district's row of `model` with this id and its school (of `school_code`, when given:
    a principal's); a 404 saying `missing` if there is none. `model` has `id`, `district_id` and
    `school_id` columns."""
    table: Any = model
    query = (
        select(table, FeedbackSchool)
        .join(FeedbackSchool, FeedbackSchool.id == table.school_id)
        .where(table.id == row_id, table.district_id == district_id)
    )
    if school_code:
        query = query.where(FeedbackSchool.code == school_code)
    if lock:
        # PostgreSQL: changes to one row queue here. (SQLite's writers are serialized.)
        query = query.with_for_update(of=table)
    found = (await session.execute(query)).first()
    if found is None:
        raise NotFound(missing)
    return cast(tuple[Row, FeedbackSchool], tuple(found))


def newest_first_after(
    at_column: InstrumentedAttribute[datetime],
    id_column: InstrumentedAttribute[uuid.UUID],
    at: datetime,
    row_id: uuid.UUID,
) -> ColumnElement[bool]:
    """Rows after (at, id) in a list ordered newest first, then by id descending (keyset paging)."""
    return or_(at_column < at, and_(at_column == at, id_column < row_id))


async def notify_marked(
    sessions: Sessions,
    marked: Update,
    now: datetime,
    order: Callable[[Marked[Any]], Any],
    event: Callable[[Marked[Any], SchoolRef], msgspec.Struct],
) -> int:
    """Run `marked`, an UPDATE … RETURNING (with `district_id` and `school_id`) that sets a
    notice column on due rows that have none, and emit `event(row, school)` for each row it
    returns, in `order`, in one transaction; the number marked. Safe to run from many workers at
    once: on PostgreSQL a second sweep that meets a row the first has marked waits for it,
    re-reads it and passes it by (SQLite's writers are serialized), so each notice is sent once."""
    async with sessions.begin() as session:
        rows = (await session.execute(marked)).all()
        if not rows:
            return 0
        found = await session.scalars(
            select(FeedbackSchool).where(FeedbackSchool.id.in_({row.school_id for row in rows}))
        )
        schools = {school.id: SchoolRef(id=school.id, code=school.code, name=school.name) for school in found}
        for row in sorted(rows, key=order):
            await emit(session, row.district_id, event(row, schools[row.school_id]), at=now)
    return len(rows)
