"""The dispatcher: turns outbox events into deliveries and delivers them, at least once.

Each round:
1. fan out: events not yet fanned out get one delivery row per subscriber (each plugin says
   who subscribes), in the same transaction that marks the event fanned out;
2. claim: due deliveries (pending and due, or leased with an expired lease) are leased to
   this worker, with `FOR UPDATE SKIP LOCKED` on PostgreSQL so any number of workers claim
   disjoint batches (SQLite's write lock serializes claims on its own);
3. deliver: concurrently, bounded overall and per subscriber, with no session held;
4. record: every attempt's log row and the delivery's next state, in one transaction.

A worker killed between 2 and 4 loses nothing: its leases run out and others claim them.
The event id travels with every attempt, so receivers can drop duplicates.
"""

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Delivery, DeliveryAttempt, OutboxEvent, utcnow
from api.outbox.retry import next_attempt_at
from plugins.base import Context, Outcome, Plugin
from plugins.base import Delivery as PluginDelivery
from schemas.events import Envelope

log = logging.getLogger("frontoffice.dispatcher")


class Claimed(msgspec.Struct, frozen=True):
    delivery: PluginDelivery
    plugin: str


def _envelope(event: OutboxEvent) -> Envelope:
    return Envelope(type=event.type, id=event.id, timestamp=event.created_at, data=event.payload)


class Dispatcher:
    """Delivers the outbox. Safe to run in any number of processes at once."""

    def __init__(
        self,
        context: Context,
        plugins: dict[str, Plugin],
        *,
        batch: int = 200,
        lease: timedelta = timedelta(seconds=60),
        concurrency: int = 32,
        per_subscriber: int = 8,
        idle_seconds: float = 0.5,
    ) -> None:
        self.context = context
        self.sessions = context.sessions
        self.plugins = plugins
        self.batch = batch
        self.lease = lease
        self.idle_seconds = idle_seconds
        self.owner = f"{secrets.token_hex(6)}"
        self._overall = asyncio.Semaphore(concurrency)
        self._per_subscriber: dict[str, asyncio.Semaphore] = {}
        self._per_subscriber_limit = per_subscriber

    def _locking(self, session: AsyncSession) -> bool:
        return session.get_bind().dialect.name == "postgresql"

    async def fan_out(self) -> int:
        """Create the deliveries of events not yet fanned out; returns how many events."""
        async with self.sessions.begin() as session:
            query = (
                select(OutboxEvent)
                .where(OutboxEvent.fanned_out_at.is_(None))
                .order_by(OutboxEvent.created_at)
                .limit(self.batch)
            )
            if self._locking(session):
                query = query.with_for_update(skip_locked=True)
            events = list((await session.execute(query)).scalars())
            now = utcnow()
            for event in events:
                for plugin in self.plugins.values():
                    if not plugin.wants(event.type):
                        continue
                    for sub in await plugin.subscriptions(session, event.district_id, _envelope(event)):
                        session.add(
                            Delivery(
                                event_id=event.id,
                                district_id=event.district_id,
                                plugin=plugin.name,
                                subscriber=f"{plugin.name}:{sub.key}",
                                event_type=event.type,
                                status="skipped" if sub.skip else "pending",
                                next_attempt_at=now,
                                created_at=now,
                                updated_at=now,
                            )
                        )
                event.fanned_out_at = now
        return len(events)

    async def claim(self) -> list[Claimed]:
        """Lease a batch of due deliveries to this worker."""
        now = utcnow()
        async with self.sessions.begin() as session:
            query = (
                select(Delivery, OutboxEvent)
                .join(OutboxEvent, OutboxEvent.id == Delivery.event_id)
                .where(
                    or_(
                        (Delivery.status == "pending") & (Delivery.next_attempt_at <= now),
                        (Delivery.status == "leased") & (Delivery.lease_until < now),
                    )
                )
                .order_by(Delivery.next_attempt_at)
                .limit(self.batch)
            )
            if self._locking(session):
                query = query.with_for_update(of=Delivery, skip_locked=True)
            rows = (await session.execute(query)).all()
            if not rows:
                return []
            ids = [delivery.id for delivery, _ in rows]
            await session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids))
                .values(status="leased", lease_owner=self.owner, lease_until=now + self.lease, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            return [
                Claimed(
                    delivery=PluginDelivery(
                        id=delivery.id,
                        district_id=delivery.district_id,
                        subscriber=delivery.subscriber.split(":", 1)[1],
                        attempt=delivery.attempts + 1,
                        event=_envelope(event),
                    ),
                    plugin=delivery.plugin,
                )
                for delivery, event in rows
            ]

    async def _deliver_one(self, claimed: Claimed) -> tuple[Claimed, Outcome, datetime]:
        key = f"{claimed.plugin}:{claimed.delivery.subscriber}"
        gate = self._per_subscriber.setdefault(key, asyncio.Semaphore(self._per_subscriber_limit))
        async with self._overall, gate:
            plugin = self.plugins.get(claimed.plugin)
            started = time.perf_counter()
            if plugin is None:
                outcome = Outcome(result="retry", error=f"plugin {claimed.plugin!r} is not loaded here")
            else:
                try:
                    outcome = await plugin.deliver(self.context, claimed.delivery)
                except Exception as exc:  # a plugin bug must not lose the delivery: retry it
                    log.exception("plugin %s failed to deliver", claimed.plugin)
                    outcome = Outcome(result="retry", error=f"{type(exc).__name__}: {exc}"[:1000])
            if not outcome.duration_ms:
                outcome = msgspec.structs.replace(outcome, duration_ms=(time.perf_counter() - started) * 1000)
            return claimed, outcome, utcnow()

    async def record(self, results: Sequence[tuple[Claimed, Outcome, datetime]]) -> None:
        """Log every attempt and move each delivery on, in one transaction."""
        if not results:
            return
        async with self.sessions.begin() as session:
            for claimed, outcome, at in results:
                delivery = await session.get(Delivery, claimed.delivery.id)
                if delivery is None or delivery.lease_owner != self.owner or delivery.status != "leased":
                    continue  # our lease ran out and another worker took it over: theirs counts
                session.add(
                    DeliveryAttempt(
                        delivery_id=delivery.id,
                        attempted_at=at,
                        status_code=outcome.status_code,
                        duration_ms=round(outcome.duration_ms, 2),
                        response_excerpt=outcome.response_excerpt[:1024],
                        error=outcome.error[:1000] if outcome.error else None,
                    )
                )
                delivery.attempts += 1
                delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
                delivery.lease_owner = delivery.lease_until = None
                delivery.updated_at = at
                retry_at = None
                if outcome.result == "success":
                    delivery.status = "succeeded"
                elif outcome.result == "gone":
                    delivery.status = "failed"
                else:
                    retry_at = next_attempt_at(delivery.attempts, at, outcome.retry_after)
                    delivery.status = "pending" if retry_at else "failed"
                    if retry_at:
                        delivery.next_attempt_at = retry_at
                plugin = self.plugins.get(claimed.plugin)
                if plugin is not None:
                    await plugin.after_attempt(session, claimed.delivery, outcome, final=retry_at is None)

    async def run_once(self) -> int:
        """One round; returns how many deliveries were attempted."""
        await self.fan_out()
        claimed = await self.claim()
        if claimed:
            results = await asyncio.gather(*(self._deliver_one(c) for c in claimed))
            await self.record(results)
        return len(claimed)

    async def run(self, stop: asyncio.Event) -> None:
        """Rounds until `stop` is set; sleeps a moment when there is nothing to do."""
        while not stop.is_set():
            try:
                busy = await self.run_once()
            except Exception:  # a database hiccup: log, wait, go on; nothing is lost
                log.exception("dispatcher round failed")
                busy = 0
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.idle_seconds)
