"""The outbox's backlog as `/metrics` reports it: events not yet fanned out, deliveries not yet
delivered, and how old the oldest of each is. Read from the database at scrape time (every
process, the app's and the workers', sees the same outbox), one query each.

Cost: the events' query is served by `ix_outbox_events_unfanned` (fanned_out_at, created_at)
alone. The deliveries' query finds its rows through `ix_deliveries_due` (status,
next_attempt_at) and reads each undelivered row once: linear in the backlog it measures, and
nothing for the delivered history, however long. An index on (status, created_at) would make
only the age cheaper, and would cost every delivery written and moved on.
"""

from collections.abc import Sequence
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Delivery, OutboxEvent

UNDELIVERED = ("pending", "leased")


def _age(now: datetime, then: datetime | None) -> float:
    return max((now - then).total_seconds(), 0.0) if then is not None else 0.0


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


async def backlog(session: AsyncSession, now: datetime) -> Sequence[Metric]:
    """The backlog's gauges at `now`; every age is 0 when there is nothing waiting."""
    events, oldest_event = (
        await session.execute(
            select(func.count(), func.min(OutboxEvent.created_at)).where(OutboxEvent.fanned_out_at.is_(None))
        )
    ).one()
    by_status = {
        status: (count, oldest, due)
        for status, count, oldest, due in await session.execute(
            select(
                Delivery.status,
                func.count(),
                func.min(Delivery.created_at),
                func.min(Delivery.next_attempt_at),
            )
            .where(Delivery.status.in_(UNDELIVERED))
            .group_by(Delivery.status)
        )
    }
    undelivered = GaugeMetricFamily(
        "frontoffice_deliveries_undelivered",
        "Deliveries not yet delivered: pending (new, or waiting for a retry) and leased (being sent)",
        labels=["status"],
    )
    for status in UNDELIVERED:
        undelivered.add_metric([status], by_status.get(status, (0, None, None))[0])
    oldest = min((row[1] for row in by_status.values() if row[1] is not None), default=None)
    pending_due = by_status.get("pending", (0, None, None))[2]
    return [
        _gauge(
            "frontoffice_outbox_events_unfanned",
            "Outbox events no dispatcher has fanned out to deliveries yet",
            events,
        ),
        _gauge(
            "frontoffice_outbox_oldest_unfanned_event_age_seconds",
            "Age of the oldest outbox event not yet fanned out (0: none)",
            _age(now, oldest_event),
        ),
        undelivered,
        _gauge(
            "frontoffice_deliveries_oldest_undelivered_age_seconds",
            "Age of the oldest delivery pending or leased, retries included (0: none)",
            _age(now, oldest),
        ),
        _gauge(
            "frontoffice_deliveries_overdue_seconds",
            "How long the most overdue pending delivery has been due and not claimed (0: none due)",
            _age(now, pending_due),
        ),
    ]
