"""The incremental changes feed: every completion created or changed, in an order a later
commit can never slip behind.

A trigger (migration 0005) writes a `completion_changes` row with each insert or update of a
completion. On PostgreSQL it records the writing transaction's id; ids are handed out as
transactions start, but transactions commit in any order, so a reader that served changes by
id alone could pass a change whose transaction was still open and never come back for it.
The feed therefore serves only changes of transactions older than the oldest still running
(`pg_snapshot_xmin(pg_current_snapshot())`): they have all ended, so nothing can appear
before the cursor later. Within that set it orders by (txid, id). SQLite serializes writers,
so there `id` order is commit order and txid is always 0.
"""

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, literal_column, or_, select

from api.hr.records import Filters, record_query
from api.models import CompletionChange

# The oldest transaction still running, as a bigint comparable with the recorded txids.
PG_HORIZON: ColumnElement[int] = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


def changes_query(
    district_id: uuid.UUID, position: tuple[int, int], limit: int, postgres: bool
) -> Select[Any]:
    """Up to `limit` changes after `position` (txid, change id), each with its record now."""
    txid, change_id = position
    records = record_query(district_id, Filters()).subquery("record")
    query = (
        select(CompletionChange.id.label("change_id"), CompletionChange.txid, records)
        .join(records, records.c.id == CompletionChange.completion_id)
        .where(
            CompletionChange.district_id == district_id,
            or_(
                CompletionChange.txid > txid,
                and_(CompletionChange.txid == txid, CompletionChange.id > change_id),
            ),
        )
        .order_by(CompletionChange.txid, CompletionChange.id)
        .limit(limit)
    )
    if postgres:
        query = query.where(CompletionChange.txid < PG_HORIZON)
    return query
