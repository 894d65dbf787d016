"""Retention: what is kept only for a while is deleted when its time is up.

- idempotency records: a retry comes within minutes; after `idempotency_hours` a repeated key
  is a new request (as at Stripe, 24 hours by default);
- the delivery log: succeeded deliveries, their attempts and the events they carried, after
  `delivery_log_days`. Failed and skipped deliveries stay (recovery needs them), and so does
  anything a subscriber has not yet received;
- whatever each plugin keeps for a while (`Plugin.prune`: the LTI plugin's used launch nonces).

Dispatchers run it every few minutes; deletes are idempotent, so any number may run at once.
Completion records are never pruned.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import delete, exists, select

from api.db import Sessions
from api.models import Delivery, DeliveryAttempt, IdempotencyRecord, OutboxEvent
from api.plugin import Plugin

EVERY = timedelta(minutes=10)


class Pruned(msgspec.Struct, frozen=True):
    idempotency_records: int
    delivery_attempts: int
    deliveries: int
    events: int
    plugins: dict[str, int]


async def prune(
    sessions: Sessions,
    plugins: Iterable[Plugin],
    now: datetime,
    idempotency_hours: int,
    delivery_log_days: int,
) -> Pruned:
    key_cutoff = now - timedelta(hours=idempotency_hours)
    log_cutoff = now - timedelta(days=delivery_log_days)
    async with sessions.begin() as session:
        keys = await session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < key_cutoff)
        )
        old_done = select(Delivery.id).where(Delivery.status == "succeeded", Delivery.updated_at < log_cutoff)
        attempts = await session.execute(
            delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(old_done))
        )
        deliveries = await session.execute(
            delete(Delivery).where(Delivery.status == "succeeded", Delivery.updated_at < log_cutoff)
        )
        # An event goes once it was fanned out long ago and none of its deliveries is left.
        events = await session.execute(
            delete(OutboxEvent).where(
                OutboxEvent.fanned_out_at < log_cutoff,
                ~exists().where(Delivery.event_id == OutboxEvent.id),
            )
        )
        by_plugin = {plugin.name: await plugin.prune(session, now) for plugin in plugins}
    return Pruned(
        idempotency_records=keys.rowcount,  # type: ignore[attr-defined]
        delivery_attempts=attempts.rowcount,  # type: ignore[attr-defined]
        deliveries=deliveries.rowcount,  # type: ignore[attr-defined]
        events=events.rowcount,  # type: ignore[attr-defined]
        plugins={name: count for name, count in by_plugin.items() if count},
    )
