"""The incremental changes feed: every completion created or changed, in an order a later
commit can never slip behind.

A trigger (migration 0005) writes a `completion_changes` row with each insert or update of a
completion. On PostgreSQL it records the writing transaction's id; ids are handed out as
transactions first write, but transactions commit in any order, so a reader that served changes by
id alone could pass a change whose transaction was still open and never come back for it.
The feed therefore serves only changes of transactions older than the oldest one still
running in this database (from the reading statement's own snapshot, `pg_current_snapshot()`):
they have all ended, so nothing can appear before the cursor later. Within that set it
orders by (txid, id). SQLite serializes writers, so there `id` order is commit order and
txid is always 0.
"""

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, literal_column, or_, select

from api.completions.records import Filters, record_query
from api.models import Completion, CompletionChange

# The oldest transaction that may still write here: the least in-progress transaction id of
# this statement's snapshot, leaving out those known to run in another database (a backend
# serves one database for life, so those never write our tables; a transaction we cannot place
# counts as ours, which can delay a change, never lose it); with none, the snapshot's xmax.
# backend_xid is the 32-bit form of the 64-bit ids the snapshot and the trigger record.
PG_HORIZON: ColumnElement[int] = literal_column(
    """(SELECT coalesce(
        (SELECT min(x::text::bigint) FROM pg_snapshot_xip(s) AS x
         WHERE x::text::bigint % 4294967296 NOT IN (
             SELECT a.backend_xid::text::bigint FROM pg_stat_activity AS a
             WHERE a.backend_xid IS NOT NULL AND a.datname IS DISTINCT FROM current_database())),
        pg_snapshot_xmax(s)::text::bigint)
    FROM pg_current_snapshot() AS s)"""
)


def changes_query(
    district_id: uuid.UUID, position: tuple[int, int], limit: int, postgres: bool
) -> Select[Any]:
    """Up to `limit` changes after `position` (txid, change id), each with its record now.

    The page of changes is chosen first (an index range), then joined to the records, so a pull
    costs the same however many records the district has."""
    txid, change_id = position
    page = (
        select(CompletionChange.id, CompletionChange.txid, CompletionChange.completion_id)
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
        page = page.where(CompletionChange.txid < PG_HORIZON)
    changes = page.subquery("page")
    return (
        record_query(district_id, Filters())
        .add_columns(changes.c.id.label("change_id"), changes.c.txid)
        .join(changes, changes.c.completion_id == Completion.id)
        .order_by(changes.c.txid, changes.c.id)
    )
