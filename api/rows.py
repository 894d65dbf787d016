"""Reading a district's rows the way its list and item routes do: one row by id with the school
it belongs to (locked for a change, on PostgreSQL), and the keyset condition of a list that
runs newest first."""

import uuid
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from api.errors import NotFound
from api.models import FeedbackSchool

Row = TypeVar("Row")


async def with_school(
    session: AsyncSession,
    model: type[Row],
    row_id: uuid.UUID,
    district_id: uuid.UUID,
    missing: str,
    lock: bool = False,
) -> tuple[Row, FeedbackSchool]:
    """The district's row of `model` with this id and its school; a 404 saying `missing` if the
    district has none. `model` has `id`, `district_id` and `school_id` columns."""
    table: Any = model
    query = (
        select(table, FeedbackSchool)
        .join(FeedbackSchool, FeedbackSchool.id == table.school_id)
        .where(table.id == row_id, table.district_id == district_id)
    )
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
