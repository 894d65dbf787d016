"""The dispatcher: turns outbox events into deliveries and delivers them, at least once.

Each round:
1. fan out: events not yet fanned out get one delivery row per subscriber (each plugin says
   who subscribes), in the same transaction that marks the event fanned out; the new
   deliveries are written already leased to this worker, which has them in hand;
2. claim: other due deliveries (pending and due: retries; or leased with an expired lease) are
   leased to this worker, with `FOR UPDATE SKIP LOCKED` on PostgreSQL so any number of workers
   claim disjoint batches (SQLite's write lock serializes claims on its own);
3. deliver: concurrently, bounded overall and per subscriber, with no session held; a delivery
   whose lease ran out while it waited for its turn is not sent (another worker may have it);
4. record: every attempt's log row and the delivery's next state, in one transaction.

`run` overlaps rounds: the next batch is fanned out, claimed and queued while the last one is
still being delivered and recorded, so the endpoints are not left waiting on the database.

A worker killed between 1 and 4 loses nothing: its leases run out and others claim them.
The event id travels with every attempt, so receivers can drop duplicates.
"""

import asyncio
import contextlib
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, Self

import msgspec
from sqlalchemy import ColumnElement, Uuid, any_, bindparam, insert, or_, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from api import retention
from api.db import Sessions
from api.metrics import Metrics
from api.models import Delivery, DeliveryAttempt, OutboxEvent, table, utcnow
from api.outbox.retry import next_attempt_at
from api.plugin import Attempted, Context, Outcome, Plugin, Subscription
from api.plugin import Delivery as PluginDelivery
from schemas.events import Event, typed

log = logging.getLogger("frontoffice.dispatcher")


class Claimed(msgspec.Struct, frozen=True):
    delivery: PluginDelivery
    plugin: str
    lease_ends: float
    """When the lease runs out, on this process's monotonic clock."""


Result = tuple[Claimed, Outcome, datetime]


class _Lease(msgspec.Struct, frozen=True):
    values: dict[str, Any]
    """The columns that lease a delivery to this worker."""
    ends: float
    """When the lease runs out, on this process's monotonic clock."""


def delivery_row(
    event_id: uuid.UUID,
    district_id: uuid.UUID,
    event_type: str,
    plugin: str,
    subscription: Subscription,
    now: datetime,
) -> dict[str, Any]:
    """A new delivery of an event to one subscriber of a plugin, as column values."""
    return {
        "id": uuid.uuid4(),
        "event_id": event_id,
        "district_id": district_id,
        "plugin": plugin,
        "subscriber": f"{plugin}:{subscription.key}",
        "event_type": event_type,
        "status": "skipped" if subscription.skip else "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "lease_owner": None,
        "lease_until": None,
        "created_at": now,
        "updated_at": now,
    }


# What a delivery needs of its event and of itself, read as columns.
_EVENT = (
    OutboxEvent.id,
    OutboxEvent.district_id,
    OutboxEvent.type,
    OutboxEvent.created_at,
    OutboxEvent.payload,
)
_CLAIMED = (Delivery.subscriber, Delivery.attempts, Delivery.plugin)
# Batches are written as Core executemany statements: the ORM's bulk paths cost more per row
# than the database does, and nothing written here is read back through the session.
_DELIVERIES = table(Delivery)
_ATTEMPTS = table(DeliveryAttempt)
_INSERT_DELIVERIES = insert(_DELIVERIES)
_INSERT_ATTEMPTS = insert(_ATTEMPTS)
# Each delivery's next state, set from the parameters named by column.
_MOVE_ON = update(_DELIVERIES).where(_DELIVERIES.c.id == bindparam("delivery_id"))


def _among(
    column: ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID], ids: list[uuid.UUID], postgres: bool
) -> ColumnElement[bool]:
    """`column IN ids`; on PostgreSQL `column = ANY(array)`: one parameter and one statement text
    whatever the batch's size, so the server parses and plans it once and the driver prepares it
    once (an IN list is another statement for every size, with a parameter per id)."""
    if postgres:
        return column == any_(bindparam(None, ids, type_=postgresql.ARRAY(Uuid)))
    return column.in_(ids)


class _EventColumns(Protocol):
    id: uuid.UUID
    type: str
    created_at: datetime
    payload: dict[str, Any]


def _envelope(event: _EventColumns) -> Event:
    """The stored event, typed: decoded once, handed to every plugin that takes it."""
    return typed(event.type, event.id, event.created_at, event.payload)


def _decoded(event: _EventColumns) -> Event | None:
    """`_envelope`, or None for an event this version does not know (one a newer version
    wrote, during a rolling upgrade): it is left as it is, for a worker that knows it."""
    try:
        return _envelope(event)
    except msgspec.ValidationError as exc:
        log.error(f"outbox event {event.id} ({event.type}) is not one this version knows; left: {exc}")
        return None


Sweep = Callable[[Sessions, datetime], Awaitable[int]]
"""An area's check for what came due (a dialogue past due, an assignment overdue): emits each
event once, however many dispatchers sweep at once; returns how many it found."""
SWEEP_EVERY = timedelta(minutes=1)


class Dispatcher:
    """Delivers the outbox, and runs the sweeps it is given every SWEEP_EVERY. Safe to run in
    any number of processes at once."""

    def __init__(
        self,
        context: Context,
        plugins: dict[str, Plugin],
        *,
        batch: int = 500,
        lease: timedelta = timedelta(seconds=60),
        concurrency: int = 32,
        per_subscriber: int = 16,
        idle_seconds: float = 0.5,
        overlap: int = 2,
        sweeps: Sequence[Sweep] = (),
        metrics: Metrics | None = None,
    ) -> None:
        self.context = context
        self.metrics = metrics
        self.sweeps = sweeps
        self.sessions = context.sessions
        self.plugins = plugins
        self.batch = batch
        self.lease = lease
        self.idle_seconds = idle_seconds
        self.overlap = overlap
        self.owner = f"{secrets.token_hex(6)}"
        # Row locks (`FOR UPDATE SKIP LOCKED`) and id arrays (`= ANY`) are PostgreSQL's; SQLite's
        # write lock already serializes the workers of its one file.
        self._postgres = context.sessions.kw["bind"].dialect.name == "postgresql"
        self._overall = asyncio.Semaphore(concurrency)
        self._per_subscriber: dict[str, asyncio.Semaphore] = {}
        self._per_subscriber_limit = per_subscriber

    @classmethod
    def configured(
        cls,
        context: Context,
        plugins: dict[str, Plugin],
        sweeps: Sequence[Sweep] = (),
        metrics: Metrics | None = None,
    ) -> Self:
        """A dispatcher with the lease and concurrency the settings give, counting its attempts
        in `metrics`."""
        settings = context.settings
        return cls(
            context,
            plugins,
            sweeps=sweeps,
            metrics=metrics,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
            concurrency=settings.delivery_concurrency,
            per_subscriber=settings.delivery_concurrency_per_subscriber,
        )

    async def fan_out(self) -> list[Claimed]:
        """Create the deliveries of events not yet fanned out; returns those to send, leased to
        this worker (a disabled subscriber's are recorded as skipped instead)."""
        async with self.sessions.begin() as session:
            query = (
                select(*_EVENT)
                .where(OutboxEvent.fanned_out_at.is_(None))
                .order_by(OutboxEvent.created_at)
                .limit(self.batch)
            )
            if self._postgres:
                query = query.with_for_update(skip_locked=True)
            events = (await session.execute(query)).all()
            if not events:
                return []
            now = utcnow()
            lease = self._lease(now)
            # Gathered and written at the end, in one statement: nothing is pending in the session
            # while the plugins look up their subscribers, so their queries flush nothing.
            deliveries: list[dict[str, Any]] = []
            claimed: list[Claimed] = []
            decoded = {i: _decoded(event) for i, event in enumerate(events)}
            typed_events = {i: event for i, event in decoded.items() if event is not None}
            for plugin in self.plugins.values():
                wanted = [i for i in typed_events if plugin.wants(events[i].type)]
                if not wanted:
                    continue
                batch = [(events[i].district_id, typed_events[i]) for i in wanted]
                subscribers = await plugin.subscriptions_batch(session, batch)
                for i, subs in zip(wanted, subscribers, strict=True):
                    event = events[i]
                    for sub in subs:
                        row = delivery_row(event.id, event.district_id, event.type, plugin.name, sub, now)
                        if row["status"] == "pending":
                            row.update(lease.values)
                            delivery = PluginDelivery(
                                id=row["id"],
                                district_id=event.district_id,
                                subscriber=sub.key,
                                attempt=1,
                                event=typed_events[i],
                            )
                            claimed.append(
                                Claimed(delivery=delivery, plugin=plugin.name, lease_ends=lease.ends)
                            )
                        deliveries.append(row)
            if deliveries:
                await (await session.connection()).execute(_INSERT_DELIVERIES, deliveries)
            skipped = [row["plugin"] for row in deliveries if row["status"] == "skipped"]
            await session.execute(
                update(OutboxEvent)
                .where(_among(OutboxEvent.id, [events[i].id for i in typed_events], self._postgres))
                .values(fanned_out_at=now)
                .execution_options(synchronize_session=False)
            )
            await self._prepare(session, claimed)
        # Counted once the transaction has committed: a rolled-back fan-out skipped nothing.
        for plugin_name in skipped:
            self._count(plugin_name, "skipped")
        return claimed

    def _count(self, plugin: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.delivered(plugin, outcome)

    def _lease(self, now: datetime) -> _Lease:
        return _Lease(
            values={"status": "leased", "lease_owner": self.owner, "lease_until": now + self.lease},
            ends=time.monotonic() + self.lease.total_seconds(),
        )

    async def _prepare(self, session: AsyncSession, claimed: Sequence[Claimed]) -> None:
        """Let each plugin load what its deliveries of a batch need, in the leasing transaction."""
        for name, plugin in self.plugins.items():
            mine = [c.delivery for c in claimed if c.plugin == name]
            if mine:
                await plugin.prepare(self.context, session, mine)

    async def claim(self) -> list[Claimed]:
        """Lease a batch of due deliveries to this worker."""
        now = utcnow()
        lease = self._lease(now)
        async with self.sessions.begin() as session:
            # Columns, not entities: a batch is read once and handed on, so the ORM's identity
            # map and instance state would be work for nothing.
            query = (
                select(Delivery.id.label("delivery_id"), *_CLAIMED, *_EVENT)
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
            if self._postgres:
                query = query.with_for_update(of=Delivery, skip_locked=True)
            decoded = [(row, _decoded(row)) for row in (await session.execute(query)).all()]
            rows = [(row, event) for row, event in decoded if event is not None]
            if not rows:
                return []
            await session.execute(
                update(Delivery)
                .where(_among(Delivery.id, [row.delivery_id for row, _ in rows], self._postgres))
                .values(**lease.values, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            claimed = [
                Claimed(
                    delivery=PluginDelivery(
                        id=row.delivery_id,
                        district_id=row.district_id,
                        subscriber=row.subscriber.split(":", 1)[1],
                        attempt=row.attempts + 1,
                        event=event,
                    ),
                    plugin=row.plugin,
                    lease_ends=lease.ends,
                )
                for row, event in rows
            ]
            await self._prepare(session, claimed)
            return claimed

    async def _deliver_one(self, key: str, claimed: Claimed) -> Result | None:
        """Deliver one claimed delivery to subscriber `key`; None if its lease ran out before its
        turn came."""
        gate = self._per_subscriber.setdefault(key, asyncio.Semaphore(self._per_subscriber_limit))
        # The subscriber's gate first: a delivery waiting for a busy subscriber holds no overall slot
        # that a delivery to another subscriber could use.
        async with gate, self._overall:
            if time.monotonic() >= claimed.lease_ends:
                return None  # claimable by any worker now: sending it could send it twice at once
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

    async def record(self, results: Sequence[Result]) -> None:
        """Log every attempt and move each delivery on, in one transaction and a few statements."""
        if not results:
            return
        async with self.sessions.begin() as session:
            query = (
                select(Delivery.id, Delivery.attempts, Delivery.next_attempt_at)
                .where(
                    _among(
                        Delivery.id,
                        [claimed.delivery.id for claimed, _, _ in results],
                        self._postgres,
                    ),
                    Delivery.status == "leased",
                    Delivery.lease_owner == self.owner,
                )
                .order_by(Delivery.id)
            )
            if self._postgres:
                # Locked until recorded, so a worker that finds the lease run out cannot claim it between
                # this read and the write (claims skip locked rows); in id order, so recorders never deadlock.
                query = query.with_for_update()
            held = {row.id: row for row in await session.execute(query)}
            attempts: list[dict[str, Any]] = []
            changes: list[dict[str, Any]] = []
            succeeded: dict[int | None, list[uuid.UUID]] = {}
            recorded: list[tuple[Claimed, Outcome, bool]] = []
            outcomes: list[tuple[str, str]] = []  # (plugin, outcome) of each attempt, to count
            for claimed, outcome, at in results:
                row = held.get(claimed.delivery.id)
                if row is None:
                    continue  # our lease ran out and another worker took it over: theirs counts
                number = row.attempts + 1
                retry_at = None
                if outcome.result == "success":
                    status = "succeeded"
                elif outcome.result == "gone":
                    status = "failed"
                else:
                    retry_at = next_attempt_at(number, at, outcome.retry_after)
                    status = "pending" if retry_at else "failed"
                attempts.append(
                    {
                        "id": uuid.uuid4(),
                        "delivery_id": row.id,
                        "attempted_at": at,
                        "status_code": outcome.status_code,
                        "duration_ms": round(outcome.duration_ms, 2),
                        "response_excerpt": outcome.response_excerpt[:1024],
                        "error": outcome.error[:1000] if outcome.error else None,
                    }
                )
                if status == "succeeded":
                    succeeded.setdefault(outcome.status_code, []).append(row.id)
                else:
                    changes.append(
                        {
                            "delivery_id": row.id,
                            "status": status,
                            "attempts": number,
                            "last_status_code": outcome.status_code,
                            "last_error": outcome.error[:1000] if outcome.error else None,
                            "lease_owner": None,
                            "lease_until": None,
                            "next_attempt_at": retry_at or row.next_attempt_at,
                            "updated_at": at,
                        }
                    )
                recorded.append((claimed, outcome, retry_at is None))
                outcomes.append((claimed.plugin, "retried" if status == "pending" else status))
            if not recorded:
                return
            conn = await session.connection()
            await conn.execute(_INSERT_ATTEMPTS, attempts)
            # Most of a batch succeeds alike: one statement per status code, not one per row.
            for code, ids in succeeded.items():
                await conn.execute(
                    update(_DELIVERIES)
                    .where(_among(_DELIVERIES.c.id, ids, self._postgres))
                    .values(
                        status="succeeded",
                        attempts=_DELIVERIES.c.attempts + 1,
                        last_status_code=code,
                        last_error=None,
                        lease_owner=None,
                        lease_until=None,
                        updated_at=utcnow(),
                    )
                )
            if changes:
                await conn.execute(_MOVE_ON, changes)
            for name, plugin in self.plugins.items():
                mine = [
                    Attempted(c.delivery, outcome, final)
                    for c, outcome, final in recorded
                    if c.plugin == name
                ]
                if mine:
                    await plugin.after_attempts(session, mine)
        for plugin_name, counted in outcomes:  # committed: they happened
            self._count(plugin_name, counted)

    async def deliver_batch(self, claimed: Sequence[Claimed]) -> int:
        """Deliver a claimed batch and record it; returns how many deliveries were attempted."""
        by_subscriber: dict[str, list[Claimed]] = {}
        for c in claimed:
            by_subscriber.setdefault(f"{c.plugin}:{c.delivery.subscriber}", []).append(c)
        results: list[Result] = []

        async def lane(key: str, queue: Iterator[Claimed]) -> None:
            for c in queue:  # the lanes of a subscriber share its queue: each delivery is taken once
                result = await self._deliver_one(key, c)
                if result is not None:
                    results.append(result)

        # As many lanes per subscriber as it may take deliveries at once, not a task per delivery:
        # the gates then rarely make anyone wait, which costs more than the sending in between.
        lanes = []
        for key, group in by_subscriber.items():
            queue = iter(group)
            lanes += [lane(key, queue) for _ in range(min(self._per_subscriber_limit, len(group)))]
        await asyncio.gather(*lanes)
        if len(results) < len(claimed):
            # Said, not silent: a lease too short for a batch at the endpoints' pace (or a stalled
            # process) is otherwise seen only as deliveries that arrive late.
            log.warning(
                "%d of %d deliveries were not sent: their lease (%g s) ran out before their turn; "
                "any worker claims them again",
                len(claimed) - len(results),
                len(claimed),
                self.lease.total_seconds(),
            )
        await self.record(results)
        return len(results)

    async def run_once(self) -> int:
        """One round; returns how many deliveries were attempted."""
        claimed = await self.fan_out()
        claimed += await self.claim()
        return await self.deliver_batch(claimed) if claimed else 0

    async def _round(self, claimed: Sequence[Claimed]) -> None:
        try:
            await self.deliver_batch(claimed)
        except Exception:  # not recorded: the leases run out and the deliveries are claimed again
            log.exception("dispatcher round failed")

    async def _prune(self) -> None:
        settings = self.context.settings
        try:
            pruned = await retention.prune(
                self.sessions,
                self.plugins.values(),
                utcnow(),
                settings.idempotency_hours,
                settings.delivery_log_days,
            )
        except Exception:  # retention can wait for the next turn; delivery cannot
            log.exception("pruning failed")
            return
        if any(msgspec.structs.astuple(pruned)):
            log.info("pruned %s", msgspec.to_builtins(pruned))

    async def _sweep(self) -> None:
        for sweep in self.sweeps:
            try:
                if found := await sweep(self.sessions, utcnow()):
                    log.info("%s: %d", sweep.__name__, found)
            except Exception:  # the next turn sweeps again; delivery cannot wait
                log.exception("%s failed", sweep.__name__)

    async def run(self, stop: asyncio.Event) -> None:
        """Rounds until `stop` is set, up to `overlap` of them at once: the next batch is claimed
        while the last is delivered. Sleeps a moment when there is nothing to do; finishes the
        rounds under way before returning."""
        rounds: set[asyncio.Task[None]] = set()
        next_prune = next_sweep = time.monotonic()
        try:
            while not stop.is_set():
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + retention.EVERY.total_seconds()
                    await self._prune()
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + SWEEP_EVERY.total_seconds()
                    await self._sweep()
                try:
                    claimed = await self.fan_out()
                    claimed += await self.claim()
                except Exception:  # a database hiccup: log, wait, go on; nothing is lost
                    log.exception("dispatcher round failed")
                    claimed = []
                if claimed:
                    task = asyncio.create_task(self._round(claimed))
                    rounds.add(task)
                    task.add_done_callback(rounds.discard)
                if rounds and (len(rounds) >= self.overlap or not claimed):
                    # A finished round may have freed capacity or made new events (endpoint notices).
                    await asyncio.wait(rounds, return_when=asyncio.FIRST_COMPLETED)
                elif not claimed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.idle_seconds)
        except asyncio.CancelledError:
            for task in rounds:
                task.cancel()  # what they did not record is claimed again when the leases run out
            raise
        finally:
            if rounds:
                await asyncio.wait(rounds)
