"""Anonymous feedback answers on PostgreSQL, written together (group commit): the answers that
arrive while a batch is in the database wait and go as the next batch, in one statement and one
commit (`api/attempts/batching.py`, as knowledge-check submits do). Each answer still gets its
own outcome. A batch writes only the first answer of each address in it; any other, and any
answer whose place another took first, is left for the caller to write alone."""

import asyncio
import uuid
import weakref
from collections.abc import Sequence
from datetime import date, datetime
from typing import NamedTuple

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from api.attempts.batching import Batcher

# Per answer (numbered n from 1): the school still open with its card on, the address's answers
# to it that day and the next place, whether the device answered; then the first answer of each
# address in the batch written in that place if its share is not used up, and its event.
_WRITE = """
WITH asked AS (
    SELECT * FROM unnest(
        $1::uuid[], $2::date[], $3::text[], $4::uuid[], $5::uuid[], $6::int[], $7::int[], $8::text[],
        $9::bool[], $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::uuid[],
        $15::text[], $16::int[]
    ) WITH ORDINALITY AS a (school_id, day, address_key, id, district_id, instrument_version, score,
        reason, resolved, comment, language, device_key, received_at, event_id, payload, share, n)
), seen AS (
    SELECT a.*, c.taken, c.next_slot,
        EXISTS (
            SELECT FROM feedback_schools s WHERE s.id = a.school_id AND s.closed_at IS NULL
                AND NOT (CAST(s.instruments_off AS jsonb) ? 'card')
        ) AS open,
        EXISTS (
            SELECT FROM feedback_answers f
            WHERE f.school_id = a.school_id AND f.day = a.day AND f.device_key = a.device_key
        ) AS repeat,
        row_number() OVER (PARTITION BY a.school_id, a.day, a.address_key ORDER BY a.n) AS nth
    FROM asked a
    CROSS JOIN LATERAL (
        SELECT count(*) AS taken, coalesce(max(f.address_slot) + 1, 0) AS next_slot
        FROM feedback_answers f
        WHERE f.school_id = a.school_id AND f.day = a.day AND f.address_key = a.address_key
    ) c
), answer AS (
    INSERT INTO feedback_answers (id, district_id, school_id, instrument_version, score, reason,
        resolved, comment, language, day, device_key, address_key, address_slot, received_at)
    SELECT id, district_id, school_id, instrument_version, score, reason, resolved, comment,
        language, day, device_key, address_key, next_slot, received_at
    FROM seen WHERE open AND NOT repeat AND nth = 1 AND taken < share
    ORDER BY school_id, day, address_key
    ON CONFLICT DO NOTHING
    RETURNING id
), event AS (
    INSERT INTO outbox_events (id, district_id, type, payload, created_at)
    SELECT seen.event_id, seen.district_id, 'feedback.received', CAST(seen.payload AS json),
        seen.received_at
    FROM seen JOIN answer ON answer.id = seen.id
)
SELECT n, id IN (SELECT id FROM answer) AS written, open, repeat, taken, nth FROM seen ORDER BY n
"""
# Answers in one batch at the most, batches in the database at once, and results handed back in
# slices of at least this many (see batching.py), as the submits' batches.
_BATCH, _PARALLEL, _SLICE = 64, 2, 16
_LOST = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError)


class Asked(NamedTuple):
    """One anonymous answer to write: its row's values, its event, and the address's share."""

    school_id: uuid.UUID
    day: date
    address_key: str
    id: uuid.UUID
    district_id: uuid.UUID
    instrument_version: int
    score: int
    reason: str
    resolved: bool
    comment: str
    language: str
    device_key: str
    received_at: datetime
    event_id: uuid.UUID
    payload: str
    share: int


class Outcome(NamedTuple):
    """What the batch found: written, or why not (`alone`: write it alone to know)."""

    written: bool
    open: bool
    repeat: bool
    taken: int
    alone: bool


class Batches:
    """An engine's anonymous answers, written in batches."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = weakref.ref(engine)  # the registry below must not keep engines alive
        self.loop = asyncio.get_running_loop()
        self.writes: Batcher[Asked, Outcome] = Batcher(self._write, _BATCH, _PARALLEL, _SLICE)

    async def write(self, asked: Asked) -> Outcome:
        return await self.writes.run(asked)

    async def _write(self, batch: Sequence[Asked]) -> list[Outcome]:
        engine = self.engine()
        assert engine is not None, "a disposed engine's answers"
        columns = list(zip(*batch, strict=True))
        async with engine.connect() as conn:
            driver: asyncpg.Connection = (await conn.get_raw_connection()).driver_connection
            try:
                rows = await driver.fetch(_WRITE, *(list(c) for c in columns))
            except asyncpg.PostgresError:
                # A batch that fails (two batches waiting on each other's places): each alone.
                return [Outcome(False, True, False, 0, True) for _ in batch]
            except _LOST as exc:
                if isinstance(exc, asyncpg.InterfaceError) and not driver.is_closed():
                    raise
                await conn.invalidate()
                raise
        return [
            Outcome(
                written=row["written"],
                open=row["open"],
                repeat=row["repeat"],
                taken=row["taken"],
                # Not the first of its address in the batch, or its place was taken meanwhile.
                alone=not row["written"]
                and row["open"]
                and not row["repeat"]
                and (row["nth"] > 1 or row["taken"] < asked.share),
            )
            for row, asked in zip(rows, batch, strict=True)
        ]


_ENGINES: "weakref.WeakKeyDictionary[AsyncEngine, Batches]" = weakref.WeakKeyDictionary()


def batches_for(engine: AsyncEngine) -> Batches:
    """The engine's batches, made on first use in the running event loop."""
    batches = _ENGINES.get(engine)
    if batches is None or batches.loop is not asyncio.get_running_loop():
        batches = _ENGINES[engine] = Batches(engine)
    return batches
