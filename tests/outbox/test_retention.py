"""Retention: old idempotency records and the old log of succeeded deliveries go; failed and
skipped deliveries, recent ones and completion records stay."""

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from api.db import Sessions
from api.models import Delivery, DeliveryAttempt, IdempotencyRecord, OutboxEvent, utcnow
from api.retention import prune
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio


async def _event(sessions: Sessions, tenant: Tenant, at: datetime, statuses: list[str]) -> uuid.UUID:
    async with sessions.begin() as session:
        event = OutboxEvent(district_id=tenant.id, type="ping", payload={}, created_at=at, fanned_out_at=at)
        session.add(event)
        await session.flush()
        for n, status in enumerate(statuses):
            delivery = Delivery(
                event_id=event.id,
                district_id=tenant.id,
                plugin="webhooks",
                subscriber=f"webhooks:{n}",
                event_type="ping",
                status=status,
                attempts=1,
                next_attempt_at=at,
                created_at=at,
                updated_at=at,
            )
            session.add(delivery)
            await session.flush()
            session.add(DeliveryAttempt(delivery_id=delivery.id, attempted_at=at, duration_ms=1.0))
        return event.id


async def _count(sessions: Sessions, model: type[object]) -> int:
    async with sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_prune_keeps_what_is_still_needed(sessions: Sessions, district_a: Tenant) -> None:
    now = utcnow()
    old, recent = now - timedelta(days=31), now - timedelta(days=1)
    async with sessions.begin() as session:
        for key, at in (("old", now - timedelta(hours=25)), ("new", now - timedelta(hours=1))):
            session.add(
                IdempotencyRecord(
                    district_id=district_a.id,
                    caller="key:x",
                    key=key,
                    request_hash="h",
                    status=200,
                    body=b"{}",
                    created_at=at,
                )
            )
    gone = await _event(sessions, district_a, old, ["succeeded", "succeeded"])
    kept_failed = await _event(sessions, district_a, old, ["succeeded", "failed"])
    kept_recent = await _event(sessions, district_a, recent, ["succeeded"])

    pruned = await prune(sessions, [], now, idempotency_hours=24, delivery_log_days=30)

    assert (pruned.idempotency_records, pruned.deliveries, pruned.delivery_attempts, pruned.events) == (
        1,
        3,
        3,
        1,
    )
    async with sessions() as session:
        keys = set((await session.execute(select(IdempotencyRecord.key))).scalars())
        events = set((await session.execute(select(OutboxEvent.id))).scalars())
        left = list((await session.execute(select(Delivery.event_id, Delivery.status))).all())
    assert keys == {"new"}
    assert gone not in events and {kept_failed, kept_recent} <= events
    # The failed delivery of an old event stays, for recovery, with its attempt log.
    assert sorted(left, key=str) == sorted([(kept_failed, "failed"), (kept_recent, "succeeded")], key=str)
    assert await _count(sessions, DeliveryAttempt) == 2
    # Pruning again finds nothing more: any number of workers may run it.
    again = await prune(sessions, [], now, idempotency_hours=24, delivery_log_days=30)
    assert (again.idempotency_records, again.deliveries, again.delivery_attempts, again.events) == (
        0,
        0,
        0,
        0,
    )
