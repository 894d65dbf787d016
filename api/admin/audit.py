"""The audit log: who pulled or exported which completion records, who changed the roster's
links by hand, and when."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Sessions
from api.models import AuditEntry, utcnow
from schemas.hr import (
    AuditView,
)


async def audit(
    sessions: Sessions,
    district_id: uuid.UUID,
    key_id: uuid.UUID | None,
    action: str,
    filters: dict[str, Any],
    row_count: int,
    *,
    actor: str = "",
) -> None:
    """Record a pull or export (its own short transaction: call it holding no session)."""
    async with sessions.begin() as session:
        add_audit(session, district_id, key_id, action, filters, row_count, actor=actor)


def add_audit(
    session: AsyncSession,
    district_id: uuid.UUID,
    key_id: uuid.UUID | None,
    action: str,
    filters: dict[str, Any],
    row_count: int,
    *,
    actor: str = "",
) -> None:
    """Record a change in the caller's transaction: the entry lands with the change or not at all."""
    session.add(
        AuditEntry(
            district_id=district_id,
            key_id=key_id,
            action=action,
            filters=filters,
            row_count=row_count,
            at=utcnow(),
            actor=actor,
        )
    )


async def audit_log(sessions: Sessions, district_id: uuid.UUID, limit: int, action: str) -> list[AuditView]:
    """The district's audit entries, newest first; only `action` ones when given."""
    query = select(AuditEntry).where(AuditEntry.district_id == district_id)
    if action:
        query = query.where(AuditEntry.action == action)
    async with sessions() as session:
        rows = list((await session.execute(query.order_by(AuditEntry.at.desc()).limit(limit))).scalars())
    return [
        AuditView(
            id=r.id,
            key_id=r.key_id,
            action=r.action,
            filters=r.filters,
            row_count=r.row_count,
            at=r.at,
            actor=r.actor,
        )
        for r in rows
    ]
