"""The statements of a submit: one read of everything a submit decides on, and one write of
everything it decided, applied only if the learner's progress version is still the one read.

Why a version and not a row lock: a statement's snapshot is taken before it waits for a lock, so
a locked submit must lock in one statement and read what the lock waited for in the next, inside
BEGIN ... COMMIT: five round trips or more. Instead every submit (and every void) of a learner
moves `learners.progress_version` on, in the same statement that writes it, and writes only
where the version is still the one its read saw; PostgreSQL rechecks that condition against the
newest row when it waits for a concurrent writer. So a submit whose standing went stale (another
device's submit, a void) writes nothing, and reads again.

On PostgreSQL the write is a single statement with data-modifying CTEs, which is a transaction
of its own: a submit is two round trips, run straight on the pooled connection's asyncpg driver
(SQLAlchemy's per-statement and per-session work cost more than the rest of a submit). SQLite has
no such CTEs; it runs the same steps as separate Core statements in the transaction its read
opened (where its write lock already keeps others out).

Both statements can be repeated safely: the read writes nothing, and a write that may or may not
have committed when its connection was lost is found out by the next read (the attempt is no
longer a draft).
"""

import functools
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import asyncpg
import msgspec
from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ClauseElement

from api.db import Sessions
from api.models import Attempt, Completion, Learner, OutboxEvent
from schemas.progress import CompletionView


class SeenAttempt(NamedTuple):
    """One of the learner's attempts at the module, as read."""

    id: uuid.UUID
    district_id: uuid.UUID
    module_id: str
    module_version: str
    form_id: str
    number: int
    status: str
    item_order: list[str]
    answers: dict[str, Any]
    score: float | None
    passed: bool | None
    started_at: datetime
    saved_at: datetime
    submitted_at: datetime | None


_LEARNER = (
    Learner.external_id,
    Learner.employee_id,
    Learner.email,
    Learner.name,
    Learner.school,
    Learner.role,
)
# Each row is one of the learner's attempts at the attempt's module, with the learner and the
# module's live completion (if any) alongside: the target attempt is among them. Only keys that
# lead to a few rows are in the condition (the attempt's id, the learner's attempts at a module),
# so no planner, with statistics or without, scans a district's attempts; the caller checks the
# district on the row.
_READ = (
    select(
        *_LEARNER,
        Learner.progress_version,
        *(getattr(Attempt, field) for field in SeenAttempt._fields),
        *(getattr(Completion, field) for field in CompletionView.__struct_fields__),
    )
    .select_from(Attempt)
    .join(Learner, Learner.id == Attempt.learner_id)
    .outerjoin(
        Completion,
        (Completion.learner_id == Attempt.learner_id)
        & (Completion.module_id == Attempt.module_id)
        & Completion.voided_at.is_(None),
    )
    .where(
        Attempt.learner_id == bindparam("learner_id"),
        Attempt.module_id
        == select(Attempt.module_id)
        .where(Attempt.id == bindparam("attempt_id"), Attempt.learner_id == bindparam("learner_id"))
        .scalar_subquery(),
    )
)
_ATTEMPT_AT = len(_LEARNER) + 1
_COMPLETION_AT = _ATTEMPT_AT + len(SeenAttempt._fields)


class Seen(msgspec.Struct, frozen=True):
    """What a submit read: the learner as events name them (without the id), the progress
    version, the learner's attempts at the module, and its live completion."""

    learner: dict[str, str]
    progress_version: int
    attempts: list[SeenAttempt]
    live: CompletionView | None


def _seen(rows: Sequence[Sequence[Any]], district_id: uuid.UUID) -> Seen | None:
    if not rows or rows[0][_ATTEMPT_AT + 1] != district_id:
        return None
    first = rows[0]
    live = None
    if first[_COMPLETION_AT] is not None:
        live = CompletionView(
            **dict(zip(CompletionView.__struct_fields__, first[_COMPLETION_AT:], strict=True))
        )
    return Seen(
        learner=dict(
            zip(("external_id", "employee_id", "email", "name", "school", "role"), first, strict=False)
        ),
        progress_version=first[len(_LEARNER)],
        attempts=[SeenAttempt(*row[_ATTEMPT_AT:_COMPLETION_AT]) for row in rows],
        live=live,
    )


class Event(msgspec.Struct, frozen=True):
    """An outbox event to write, encoded; `with_completion` ones only if the completion is."""

    id: uuid.UUID
    type: str
    payload: bytes
    with_completion: bool = False


class Decided(msgspec.Struct, frozen=True, kw_only=True):
    """What a submit writes."""

    district_id: uuid.UUID
    learner_id: uuid.UUID
    seen_version: int
    attempt_id: uuid.UUID
    answers: dict[str, Any]
    score: float | None
    passed: bool | None
    now: datetime
    completion: dict[str, Any] | None  # the completions row to record, if the rule is now met
    events: list[Event]


class Unit(Protocol):
    """A submit's read and write, on one connection."""

    async def read(self, district_id: uuid.UUID, learner_id: uuid.UUID, attempt_id: uuid.UUID) -> Seen | None:
        """What a submit of `attempt_id` decides on; None when it is not this learner's attempt
        (in this district)."""

    async def write(self, decided: Decided) -> bool | None:
        """Write what a submit decided, all or nothing. Returns whether the completion was
        recorded, or None when nothing was written: the learner's progress moved on since the
        read."""


class ConnectionLost(Exception):
    """The database connection went away during a submit (a restarted server): read again."""


@asynccontextmanager
async def unit(sessions: Sessions) -> AsyncIterator[Unit]:
    """A connection for one submit's read and write."""
    engine: AsyncEngine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        async with sessions.begin() as session:
            yield _SQLite(await session.connection())
        return
    async with engine.connect() as conn:
        driver: asyncpg.Connection = (await conn.get_raw_connection()).driver_connection
        try:
            yield _PostgreSQL(driver)
        except (
            asyncpg.PostgresConnectionError,
            asyncpg.exceptions.OperatorInterventionError,
            OSError,
        ) as exc:
            await conn.invalidate()
            raise ConnectionLost() from exc
        except asyncpg.InterfaceError as exc:
            if not driver.is_closed():
                raise
            await conn.invalidate()
            raise ConnectionLost() from exc


@functools.cache
def _asyncpg(statement: ClauseElement) -> tuple[str, tuple[str, ...]]:
    """A statement as asyncpg runs it: its SQL, and its parameters' names in order."""
    compiled = statement.compile(dialect=PGDialect_asyncpg())  # type: ignore[no-untyped-call]
    return str(compiled), tuple(compiled.positiontup or ())  # type: ignore[attr-defined]


_WRITE_POSTGRESQL = text("""
WITH turn AS (
    UPDATE learners SET progress_version = progress_version + 1
    WHERE id = CAST(:learner_id AS uuid) AND progress_version = CAST(:seen_version AS integer)
    RETURNING id
), claim AS (
    UPDATE attempts
    SET status = 'submitted', answers = CAST(:answers AS json), score = CAST(:score AS float8),
        passed = CAST(:passed AS boolean), saved_at = CAST(:now AS timestamptz),
        submitted_at = CAST(:now AS timestamptz)
    WHERE id = CAST(:attempt_id AS uuid) AND status = 'draft' AND EXISTS (SELECT FROM turn)
    RETURNING id
), completion AS (
    INSERT INTO completions (
        id, district_id, learner_id, module_id, module_version, score, passed, attempts,
        started_at, completed_at, credit_minutes, certificate_code, updated_at
    )
    SELECT CAST(:c_id AS uuid), CAST(:district_id AS uuid), CAST(:learner_id AS uuid),
        CAST(:c_module_id AS text), CAST(:c_module_version AS text), CAST(:c_score AS float8),
        CAST(:c_passed AS boolean), CAST(:c_attempts AS integer), CAST(:c_started_at AS timestamptz),
        CAST(:now AS timestamptz), CAST(:c_credit_minutes AS float8), CAST(:c_certificate_code AS text),
        CAST(:now AS timestamptz)
    WHERE CAST(:complete AS boolean) AND EXISTS (SELECT FROM claim)
    ON CONFLICT (learner_id, module_id) WHERE voided_at IS NULL DO NOTHING
    RETURNING id
), events AS (
    INSERT INTO outbox_events (id, district_id, type, payload, created_at)
    SELECT e.id, CAST(:district_id AS uuid), e.type, CAST(e.payload AS json), CAST(:now AS timestamptz)
    FROM unnest(
        CAST(:event_ids AS uuid[]), CAST(:event_types AS text[]), CAST(:event_payloads AS text[]),
        CAST(:event_with_completion AS boolean[])
    ) AS e (id, type, payload, with_completion)
    WHERE EXISTS (SELECT FROM claim) AND (NOT e.with_completion OR EXISTS (SELECT FROM completion))
)
SELECT EXISTS (SELECT FROM claim) AS claimed, EXISTS (SELECT FROM completion) AS recorded
""")
_COMPLETION_NULLS = dict.fromkeys(
    (
        "c_id",
        "c_module_id",
        "c_module_version",
        "c_score",
        "c_passed",
        "c_attempts",
        "c_started_at",
        "c_credit_minutes",
        "c_certificate_code",
    )
)


class _PostgreSQL:
    def __init__(self, driver: asyncpg.Connection) -> None:
        self.driver = driver

    async def read(self, district_id: uuid.UUID, learner_id: uuid.UUID, attempt_id: uuid.UUID) -> Seen | None:
        sql, names = _asyncpg(_READ)
        given = {"learner_id": learner_id, "attempt_id": attempt_id}
        rows = await self.driver.fetch(sql, *(given[n] for n in names))
        return _seen(rows, district_id)

    async def write(self, decided: Decided) -> bool | None:
        completion = decided.completion
        given = {
            "learner_id": decided.learner_id,
            "seen_version": decided.seen_version,
            "attempt_id": decided.attempt_id,
            "district_id": decided.district_id,
            "answers": msgspec.json.encode(decided.answers).decode(),
            "score": decided.score,
            "passed": decided.passed,
            "now": decided.now,
            "complete": completion is not None,
            **(_COMPLETION_NULLS if completion is None else {f"c_{k}": v for k, v in completion.items()}),
            "event_ids": [e.id for e in decided.events],
            "event_types": [e.type for e in decided.events],
            "event_payloads": [e.payload.decode() for e in decided.events],
            "event_with_completion": [e.with_completion for e in decided.events],
        }
        sql, names = _asyncpg(_WRITE_POSTGRESQL)
        row = await self.driver.fetchrow(sql, *(given[n] for n in names))
        assert row is not None
        return bool(row["recorded"]) if row["claimed"] else None


_TURN = (
    update(Learner)
    .where(Learner.id == bindparam("learner_id"), Learner.progress_version == bindparam("seen_version"))
    .values(progress_version=Learner.progress_version + 1)
)
# From draft to submitted, once: the values to set are given as parameters named by column.
_CLAIM = update(Attempt).where(Attempt.id == bindparam("claimed_id"), Attempt.status == "draft")
_INSERT_COMPLETION = (
    sqlite.insert(Completion)
    .on_conflict_do_nothing(
        index_elements=[Completion.learner_id, Completion.module_id],
        index_where=Completion.voided_at.is_(None),
    )
    .returning(Completion.id)
)
_INSERT_EVENTS = insert(OutboxEvent)


class _SQLite:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def read(self, district_id: uuid.UUID, learner_id: uuid.UUID, attempt_id: uuid.UUID) -> Seen | None:
        rows = (await self.conn.execute(_READ, {"learner_id": learner_id, "attempt_id": attempt_id})).all()
        return _seen(rows, district_id)

    async def write(self, decided: Decided) -> bool | None:
        turn = await self.conn.execute(
            _TURN, {"learner_id": decided.learner_id, "seen_version": decided.seen_version}
        )
        if turn.rowcount != 1:
            return None
        claimed = await self.conn.execute(
            _CLAIM,
            {
                "claimed_id": decided.attempt_id,
                "status": "submitted",
                "answers": decided.answers,
                "score": decided.score,
                "passed": decided.passed,
                "submitted_at": decided.now,
                "saved_at": decided.now,
            },
        )
        if claimed.rowcount != 1:
            return None
        recorded = False
        if decided.completion is not None:
            completion_row = {
                **decided.completion,
                "district_id": decided.district_id,
                "learner_id": decided.learner_id,
                "completed_at": decided.now,
                "updated_at": decided.now,
            }
            recorded = (await self.conn.execute(_INSERT_COMPLETION, completion_row)).first() is not None
        await self.conn.execute(
            _INSERT_EVENTS,
            [
                {
                    "id": e.id,
                    "district_id": decided.district_id,
                    "type": e.type,
                    "payload": msgspec.json.decode(e.payload),
                    "created_at": decided.now,
                }
                for e in decided.events
                if recorded or not e.with_completion
            ],
        )
        return recorded
