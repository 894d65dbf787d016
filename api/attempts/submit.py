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
of its own, and concurrent submits are read together and written together (group commit,
`_Batches`): a batch is one statement and one commit for the database and one round trip for
this process, run straight on a pooled connection's asyncpg driver (SQLAlchemy's work per
statement and per session cost more than the rest of a submit). SQLite has no such CTEs; each
submit runs the same steps as Core statements in the transaction its read opened (where its
write lock already keeps others out).

Both statements can be repeated safely: the read writes nothing, and a write that may or may not
have committed when its connection was lost is found out by the next read (the attempt is no
longer a draft).
"""

import asyncio
import functools
import uuid
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import asyncpg
import msgspec
from sqlalchemy import (
    Select,
    Uuid,
    bindparam,
    exists,
    func,
    insert,
    literal_column,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.selectable import LateralFromClause, ScalarSelect

from api.attempts.batching import Batcher
from api.db import Sessions
from api.models import (
    Attempt,
    Attendance,
    Completion,
    Learner,
    OutboxEvent,
    Workshop,
    WorkshopParticipant,
)
from schemas.events import event_type
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
# Each row is one of the learner's attempts at the attempt's module (the target among them),
# with the learner and the module's live completion (if any) alongside. Only keys that lead to a
# few rows are in the conditions (the attempt's id, the learner's attempts at a module), so no
# plan goes through a district's attempts; the caller checks the district on the row.
_ATTEMPT = tuple(getattr(Attempt, field) for field in SeenAttempt._fields)
_COMPLETION = tuple(getattr(Completion, field) for field in CompletionView.__struct_fields__)
_TARGET = aliased(Attempt, name="target")
# Whether a facilitator confirmed the learner attended a live workshop of the module (a
# completion rule may ask for it): one primary-key probe.
_ATTENDED = (
    exists()
    .where(Attendance.learner_id == _TARGET.learner_id, Attendance.module_id == _TARGET.module_id)
    .label("attended")
)
# Whether the learner is in an open live workshop that holds its participants to the room's
# pace: one index probe; only then does the submit ask what the room has reached (pace.py).
_PACED = (
    exists()
    .where(
        WorkshopParticipant.learner_id == _TARGET.learner_id,
        Workshop.id == WorkshopParticipant.workshop_id,
        Workshop.status == literal_column("'open'"),  # no parameter: the batch binds by name
        Workshop.allow_ahead.is_(False),
    )
    .label("paced")
)
_COLUMNS = (*_LEARNER, Learner.progress_version, _ATTENDED, _PACED, *_ATTEMPT, *_COMPLETION)
# One submit's read (SQLite's).
_READ = (
    select(*_COLUMNS)
    .select_from(_TARGET)
    .join(Attempt, (Attempt.learner_id == _TARGET.learner_id) & (Attempt.module_id == _TARGET.module_id))
    .join(Learner, Learner.id == Attempt.learner_id)
    .outerjoin(
        Completion,
        (Completion.learner_id == Attempt.learner_id)
        & (Completion.module_id == Attempt.module_id)
        & Completion.voided_at.is_(None),
    )
    .where(_TARGET.id == bindparam("attempt_id"), _TARGET.learner_id == bindparam("learner_id"))
)


def _array(name: str) -> ScalarSelect[Any]:
    """An array parameter the planner cannot look into (an InitPlan's result, not a constant): it
    estimates every batch at the same size, so a connection plans the statement five times and
    then keeps one plan. Seeing each batch's length, it costed small batches below its kept plan
    and planned every batch anew (all of them, in the submit bench)."""
    return select(bindparam(name, type_=postgresql.ARRAY(Uuid))).scalar_subquery()


def _lookup(query: Select[*tuple[Any, ...]], name: str) -> LateralFromClause:
    """`query`, which finds rows by keys the batch row gives it, as a LATERAL subquery planned on
    its own: OFFSET 0 keeps the planner from merging it into the whole. Each is then looked up per
    submit, never a whole table joined to the batch, and planning has few joins to order. (Merged,
    the read of five tables cost more to plan than to run, and hash-joined a district's learners
    while their table was small.)"""
    return query.offset(literal_column("0")).lateral(name)


# The same for a batch of submits (numbered from 1 in the order of the arrays given), on
# PostgreSQL: its columns in `_COLUMNS`' order.
_ASKED = (
    func.unnest(_array("learner_ids"), _array("attempt_ids"))
    .table_valued("learner_id", "attempt_id", with_ordinality="n")
    .render_derived()
)
_ASKED_TARGET = _lookup(
    select(Attempt.module_id).where(
        Attempt.id == _ASKED.c.attempt_id, Attempt.learner_id == _ASKED.c.learner_id
    ),
    "target",
)
_ASKED_LEARNER = _lookup(
    select(*_LEARNER, Learner.progress_version).where(Learner.id == _ASKED.c.learner_id), "learner"
)
_ASKED_ATTENDED = _lookup(
    select(Attendance.module_id).where(
        Attendance.learner_id == _ASKED.c.learner_id, Attendance.module_id == _ASKED_TARGET.c.module_id
    ),
    "attended",
)
_ASKED_PACED = _lookup(
    select(WorkshopParticipant.workshop_id)
    .join(Workshop, Workshop.id == WorkshopParticipant.workshop_id)
    .where(
        WorkshopParticipant.learner_id == _ASKED.c.learner_id,
        Workshop.status == literal_column("'open'"),  # no parameter: the batch binds by name
        Workshop.allow_ahead.is_(False),
    )
    .limit(literal_column("1")),
    "paced",
)
_ASKED_ATTEMPTS = _lookup(
    select(*_ATTEMPT).where(
        Attempt.learner_id == _ASKED.c.learner_id, Attempt.module_id == _ASKED_TARGET.c.module_id
    ),
    "attempt",
)
_ASKED_COMPLETION = _lookup(
    select(*_COMPLETION).where(
        Completion.learner_id == _ASKED.c.learner_id,
        Completion.module_id == _ASKED_TARGET.c.module_id,
        Completion.voided_at.is_(None),
    ),
    "completion",
)
READ_BATCH = (
    select(
        _ASKED.c.n,
        *_ASKED_LEARNER.c,
        _ASKED_ATTENDED.c.module_id.is_not(None).label("attended"),
        _ASKED_PACED.c.workshop_id.is_not(None).label("paced"),
        *_ASKED_ATTEMPTS.c,
        *_ASKED_COMPLETION.c,
    )
    .select_from(_ASKED)
    .join(_ASKED_TARGET, true())
    .join(_ASKED_LEARNER, true())
    .outerjoin(_ASKED_ATTENDED, true())
    .outerjoin(_ASKED_PACED, true())
    .join(_ASKED_ATTEMPTS, true())
    .outerjoin(_ASKED_COMPLETION, true())
)
_ATTEMPT_AT = len(_LEARNER) + 3
_COMPLETION_AT = _ATTEMPT_AT + len(_ATTEMPT)


class Seen(msgspec.Struct, frozen=True):
    """What a submit read: the learner as events name them (without the id), the progress
    version, the learner's attempts at the module, its live completion, and whether their
    attendance at a live workshop of it was confirmed."""

    learner: dict[str, str]
    progress_version: int
    attempts: list[SeenAttempt]
    live: CompletionView | None
    attended: bool = False
    paced: bool = False
    """The learner is in an open live workshop that holds them to the room's pace."""


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
        learner={column.key: value for column, value in zip(_LEARNER, first, strict=False)},
        progress_version=first[len(_LEARNER)],
        attempts=[SeenAttempt(*row[_ATTEMPT_AT:_COMPLETION_AT]) for row in rows],
        live=live,
        attended=bool(first[len(_LEARNER) + 1]),
        paced=bool(first[len(_LEARNER) + 2]),
    )


_ENCODER = msgspec.json.Encoder()


class Event(msgspec.Struct, frozen=True):
    """An outbox event to write, encoded; `with_completion` ones only if the completion is."""

    id: uuid.UUID
    type: str
    payload: bytes
    with_completion: bool = False

    @classmethod
    def of(cls, event: msgspec.Struct, with_completion: bool = False) -> "Event":
        """An event payload (a Struct of schemas/events.py) as the outbox keeps it."""
        return cls(
            id=uuid.uuid4(),
            type=event_type(event),
            payload=_ENCODER.encode(event),
            with_completion=with_completion,
        )

    def row(self, district_id: uuid.UUID, at: datetime) -> dict[str, Any]:
        """Its `outbox_events` row, as column values."""
        return {
            "id": self.id,
            "district_id": district_id,
            "type": self.type,
            "payload": msgspec.json.decode(self.payload),
            "created_at": at,
        }


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
    # The live completion's kept score, pass and attempts, after a knowledge check taken again.
    rescore: dict[str, Any] | None = None
    events: list[Event]


class Unit(Protocol):
    """What a submit reads and writes through."""

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
    """What one submit reads and writes through: on SQLite a transaction of its own, on
    PostgreSQL the engine's batches (see `_Batches`)."""
    engine: AsyncEngine = sessions.kw["bind"]
    if engine.dialect.name == "postgresql":
        yield batches_for(engine)
        return
    async with sessions.begin() as session:
        yield _SQLite(await session.connection())


@functools.cache
def _asyncpg(statement: ClauseElement) -> tuple[str, tuple[str, ...]]:
    """A statement as asyncpg runs it: its SQL, and its parameters' names in order."""
    compiled = statement.compile(dialect=PGDialect_asyncpg())  # type: ignore[no-untyped-call]
    return str(compiled), tuple(compiled.positiontup or ())  # type: ignore[attr-defined]


# A batch of submits in one statement, one transaction: for each submit (numbered `n` from 1), the
# version check first, and every later step only if the one before it wrote. The completion is
# also held to the live-completion index (`uq_completions_live`). No two submits of a batch are
# of the same learner (`_Batches.write_batch`), so each version check stands alone.
_WRITE_BATCH = text("""
WITH submit AS (
    SELECT * FROM unnest(
        CAST(:learner_ids AS uuid[]), CAST(:seen_versions AS integer[]), CAST(:attempt_ids AS uuid[]),
        CAST(:district_ids AS uuid[]), CAST(:answers AS text[]), CAST(:scores AS float8[]),
        CAST(:passed AS boolean[]), CAST(:nows AS timestamptz[])
    ) WITH ORDINALITY AS s (learner_id, seen_version, attempt_id, district_id, answers, score, passed, now, n)
), turn AS (
    UPDATE learners SET progress_version = learners.progress_version + 1
    FROM submit
    WHERE learners.id = submit.learner_id AND learners.progress_version = submit.seen_version
    RETURNING submit.n
), claim AS (
    UPDATE attempts
    SET status = 'submitted', answers = CAST(submit.answers AS json), score = submit.score,
        passed = submit.passed, saved_at = submit.now, submitted_at = submit.now
    FROM submit
    WHERE attempts.id = submit.attempt_id AND attempts.status = 'draft'
        AND submit.n IN (SELECT n FROM turn)
    RETURNING submit.n
), completion AS (
    INSERT INTO completions (
        id, district_id, learner_id, module_id, module_version, score, passed, attempts,
        started_at, completed_at, credit_minutes, certificate_code, updated_at
    )
    SELECT c.id, submit.district_id, submit.learner_id, c.module_id, c.module_version, c.score,
        c.passed, c.attempts, c.started_at, submit.now, c.credit_minutes, c.certificate_code, submit.now
    FROM unnest(
        CAST(:c_n AS bigint[]), CAST(:c_id AS uuid[]), CAST(:c_module_id AS text[]),
        CAST(:c_module_version AS text[]), CAST(:c_score AS float8[]), CAST(:c_passed AS boolean[]),
        CAST(:c_attempts AS integer[]), CAST(:c_started_at AS timestamptz[]),
        CAST(:c_credit_minutes AS float8[]), CAST(:c_certificate_code AS text[])
    ) AS c (n, id, module_id, module_version, score, passed, attempts, started_at, credit_minutes,
        certificate_code)
    JOIN submit ON submit.n = c.n
    WHERE c.n IN (SELECT n FROM claim)
    ON CONFLICT (learner_id, module_id) WHERE voided_at IS NULL DO NOTHING
    RETURNING id
), rescore AS (
    UPDATE completions
    SET score = r.score, passed = r.passed, attempts = r.attempts, updated_at = submit.now
    FROM unnest(
        CAST(:r_n AS bigint[]), CAST(:r_id AS uuid[]), CAST(:r_score AS float8[]),
        CAST(:r_passed AS boolean[]), CAST(:r_attempts AS integer[])
    ) AS r (n, id, score, passed, attempts)
    JOIN submit ON submit.n = r.n
    WHERE completions.id = r.id AND completions.voided_at IS NULL AND r.n IN (SELECT n FROM claim)
    RETURNING completions.id
), events AS (
    INSERT INTO outbox_events (id, district_id, type, payload, created_at)
    SELECT e.id, submit.district_id, e.type, CAST(e.payload AS json), submit.now
    FROM unnest(
        CAST(:e_n AS bigint[]), CAST(:e_id AS uuid[]), CAST(:e_type AS text[]),
        CAST(:e_payload AS text[]), CAST(:e_completion_id AS uuid[])
    ) AS e (n, id, type, payload, completion_id)
    JOIN submit ON submit.n = e.n
    WHERE e.n IN (SELECT n FROM claim)
        AND (e.completion_id IS NULL OR e.completion_id IN (SELECT id FROM completion))
)
SELECT ARRAY(SELECT n FROM claim) AS claimed, ARRAY(SELECT id FROM completion) AS recorded
""")
_COMPLETION_FIELDS = (
    "id",
    "module_id",
    "module_version",
    "score",
    "passed",
    "attempts",
    "started_at",
    "credit_minutes",
    "certificate_code",
)
# What a connection that went away raises: the server going down (a restart; as against other
# operator intervention such as a statement timeout, an error of the submit), the socket, or
# the client finding itself in the middle of an exchange the server broke off.
_LOST = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    OSError,
)
# Submits in one batch at the most: big enough for every request a process serves at once.
_BATCH = 64
# Batches of each kind in the database at once: while one commits, the next is sent.
_PARALLEL = 2
# Results handed back in slices of at least this many (see batching.py): a smaller batch costs
# PostgreSQL more (a statement, a commit, a round trip) than the overlap gains (bench/README.md).
_SLICE = 16


class _Batches:
    """An engine's submits on PostgreSQL, read and written in batches (`api/attempts/batching.py`):
    a batch costs the database one statement and one commit, and this process one round trip,
    where each submit alone would cost as much. Each submit still gets its own result: a batch
    that fails is written again one submit at a time."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = weakref.ref(engine)  # the registry below must not keep engines alive
        self.loop = asyncio.get_running_loop()
        self.reads: Batcher[tuple[uuid.UUID, uuid.UUID, uuid.UUID], Seen | None]
        self.reads = Batcher(self._read, _BATCH, _PARALLEL, _SLICE)
        self.writes: Batcher[Decided, bool | None] = Batcher(self.write_batch, _BATCH, _PARALLEL, _SLICE)

    async def read(self, district_id: uuid.UUID, learner_id: uuid.UUID, attempt_id: uuid.UUID) -> Seen | None:
        return await self.reads.run((district_id, learner_id, attempt_id))

    async def write(self, decided: Decided) -> bool | None:
        return await self.writes.run(decided)

    async def _fetch(self, statement: ClauseElement, given: dict[str, Any]) -> list[Any]:
        sql, names = _asyncpg(statement)
        engine = self.engine()
        assert engine is not None, "a disposed engine's submits"
        async with engine.connect() as conn:
            driver: asyncpg.Connection = (await conn.get_raw_connection()).driver_connection
            try:
                return list(await driver.fetch(sql, *(given[name] for name in names)))
            except _LOST as exc:
                if isinstance(exc, asyncpg.InterfaceError) and not driver.is_closed():
                    raise  # a mistake in using the connection, not a lost one
                await conn.invalidate()
                raise ConnectionLost() from exc

    async def _read(self, asked: Sequence[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]) -> list[Seen | None]:
        rows = await self._fetch(
            READ_BATCH,
            {"learner_ids": [learner for _, learner, _ in asked], "attempt_ids": [a for _, _, a in asked]},
        )
        by_request: list[list[Any]] = [[] for _ in asked]
        for row in rows:
            by_request[row[0] - 1].append(row[1:])
        return [_seen(found, district) for found, (district, _, _) in zip(by_request, asked, strict=True)]

    async def write_batch(self, batch: Sequence[Decided]) -> list[bool | BaseException | None]:
        results: dict[int, bool | BaseException | None] = {}
        # A learner's second submit in a batch waits for a round of its own: the k-th goes in round k.
        rounds: list[list[tuple[int, Decided]]] = []
        taken: dict[uuid.UUID, int] = {}
        for at, decided in enumerate(batch):
            turn = taken[decided.learner_id] = taken.get(decided.learner_id, -1) + 1
            if turn == len(rounds):
                rounds.append([])
            rounds[turn].append((at, decided))
        for round_ in rounds:
            # Learners in one order in every batch, so that two batches in the database at once
            # take their rows' locks in the same order and never wait for each other in a ring.
            round_.sort(key=lambda item: item[1].learner_id)
            try:
                written = await self._write_round([d for _, d in round_])
                results.update(zip((at for at, _ in round_), written, strict=True))
            except asyncpg.PostgresError as exc:
                if len(round_) == 1:
                    results[round_[0][0]] = exc
                    continue
                for at, decided in round_:  # which one failed: each alone, so only it fails
                    try:
                        results[at] = (await self._write_round([decided]))[0]
                    except asyncpg.PostgresError as alone:
                        results[at] = alone
            except ConnectionLost as exc:
                results.update((at, exc) for at, _ in round_)
        return [results[at] for at in range(len(batch))]

    async def _write_round(self, batch: Sequence[Decided]) -> list[bool | None]:
        with_completion = [(n, d, d.completion) for n, d in enumerate(batch, 1) if d.completion is not None]
        rescores = [(n, d.rescore) for n, d in enumerate(batch, 1) if d.rescore is not None]
        events = [(n, e, d) for n, d in enumerate(batch, 1) for e in d.events]
        given: dict[str, Any] = {
            "learner_ids": [d.learner_id for d in batch],
            "seen_versions": [d.seen_version for d in batch],
            "attempt_ids": [d.attempt_id for d in batch],
            "district_ids": [d.district_id for d in batch],
            "answers": [msgspec.json.encode(d.answers).decode() for d in batch],
            "scores": [d.score for d in batch],
            "passed": [d.passed for d in batch],
            "nows": [d.now for d in batch],
            "c_n": [n for n, _, _ in with_completion],
            **{f"c_{name}": [c[name] for _, _, c in with_completion] for name in _COMPLETION_FIELDS},
            "r_n": [n for n, _ in rescores],
            **{f"r_{name}": [r[name] for _, r in rescores] for name in ("id", "score", "passed", "attempts")},
            "e_n": [n for n, _, _ in events],
            "e_id": [e.id for _, e, _ in events],
            "e_type": [e.type for _, e, _ in events],
            "e_payload": [e.payload.decode() for _, e, _ in events],
            "e_completion_id": [
                d.completion["id"] if e.with_completion and d.completion else None for _, e, d in events
            ],
        }
        (row,) = await self._fetch(_WRITE_BATCH, given)
        claimed, recorded = set(row["claimed"]), set(row["recorded"])
        return [
            (d.completion is not None and d.completion["id"] in recorded) if n in claimed else None
            for n, d in enumerate(batch, 1)
        ]


_ENGINES: "weakref.WeakKeyDictionary[AsyncEngine, _Batches]" = weakref.WeakKeyDictionary()


def batches_for(engine: AsyncEngine) -> _Batches:
    """The engine's batches, made on first use in the running event loop."""
    batches = _ENGINES.get(engine)
    if batches is None or batches.loop is not asyncio.get_running_loop():
        batches = _ENGINES[engine] = _Batches(engine)
    return batches


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
_RESCORE = (
    update(Completion)
    .where(Completion.id == bindparam("rescored_id"), Completion.voided_at.is_(None))
    .values(
        score=bindparam("new_score"),
        passed=bindparam("new_passed"),
        attempts=bindparam("new_attempts"),
        updated_at=bindparam("now"),
    )
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
        if decided.rescore is not None:
            rescore = decided.rescore
            await self.conn.execute(
                _RESCORE,
                {
                    "rescored_id": rescore["id"],
                    "new_score": rescore["score"],
                    "new_passed": rescore["passed"],
                    "new_attempts": rescore["attempts"],
                    "now": decided.now,
                },
            )
        await self.conn.execute(
            _INSERT_EVENTS,
            [
                e.row(decided.district_id, decided.now)
                for e in decided.events
                if recorded or not e.with_completion
            ],
        )
        return recorded
