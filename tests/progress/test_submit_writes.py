"""How a submit writes (api/attempts/submit.py): only on the standing it read, in batches on
PostgreSQL with each submit's own outcome, and through connections the server has closed."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import msgspec
import pytest
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from api.attempts import submit as submitting
from api.attempts.batching import Batcher
from api.attempts.decide import decide
from api.attempts.services import AttemptService
from api.completions.void import void_completion
from api.db import Sessions
from api.errors import Conflict
from api.models import Attempt, Completion, Learner, OutboxEvent
from tests.progress.answers import form_answers
from tests.progress.test_concurrency import MODULE, count, forms, learner_service

pytestmark = pytest.mark.anyio


# Batches and lost connections are PostgreSQL's alone: these tests run on it only (never skipped).
postgres_only = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


async def decided_on_draft(
    service: AttemptService, attempt_id: uuid.UUID, answers: dict[str, Any]
) -> submitting.Decided:
    """What a submit of the draft decides, from a read made now (and not yet written)."""
    async with submitting.unit(service.sessions) as unit:
        seen = await unit.read(service.district_id, service.learner_id, attempt_id)
    assert seen is not None
    target = next(a for a in seen.attempts if a.id == attempt_id)
    entry = await service.catalog.entry(target.module_id, target.module_version)
    [form] = [f for f in entry.module.forms if f.id == target.form_id]
    scoring = service.catalog.scoring_form(entry, form)
    return decide(
        seen,
        target,
        entry.module,
        form,
        scoring,
        answers,
        district_id=service.district_id,
        learner_id=service.learner_id,
    ).decided


async def write(service: AttemptService, decided: submitting.Decided) -> bool | None:
    async with submitting.unit(service.sessions) as unit:
        return await unit.write(decided)


async def finish_all_but_quiz(service: AttemptService) -> uuid.UUID:
    """Submit the worksheet and the reflection; the quiz's draft id."""
    all_forms = forms()
    for form_id in ("customer-worksheet", "reflection"):
        attempt, _ = await service.start(MODULE, form_id)
        await service.submit(attempt.id, form_answers(all_forms[form_id]))
    quiz, _ = await service.start(MODULE, "knowledge-check")
    return quiz.id


async def test_a_write_on_a_stale_reading_writes_nothing_and_the_submit_reads_again(
    sessions: Sessions,
) -> None:
    service = await learner_service(sessions, "stale-a", "pat")
    all_forms = forms()
    worksheet, _ = await service.start(MODULE, "customer-worksheet")
    await service.submit(worksheet.id, form_answers(all_forms["customer-worksheet"]))
    quiz, _ = await service.start(MODULE, "knowledge-check")
    reflection, _ = await service.start(MODULE, "reflection")
    quiz_answers = form_answers(all_forms["knowledge-check"])
    stale = await decided_on_draft(service, quiz.id, quiz_answers)
    assert stale.completion is None  # the reflection was a draft when it read
    await service.submit(reflection.id, form_answers(all_forms["reflection"]))

    assert await write(service, stale) is None
    assert await count(sessions, Attempt, Attempt.id == quiz.id, Attempt.status == "draft") == 1
    assert await count(sessions, OutboxEvent, OutboxEvent.type == "attempt.submitted") == 0

    # The submit itself reads again, and finds the module complete.
    result = await service.submit(quiz.id, quiz_answers)
    assert result.completion is not None
    assert await count(sessions, Completion) == 1
    assert await count(sessions, OutboxEvent, OutboxEvent.type == "completion.recorded") == 1


class StaleWrites:
    """A submit's unit whose every write carries a progress version already moved past, as when
    another device's submits keep coming in between the read and the write."""

    def __init__(self, unit: submitting.Unit) -> None:
        self.unit = unit
        self.writes = 0

    async def read(self, district_id: uuid.UUID, learner_id: uuid.UUID, attempt_id: uuid.UUID) -> Any:
        return await self.unit.read(district_id, learner_id, attempt_id)

    async def write(self, decided: submitting.Decided) -> bool | None:
        self.writes += 1
        return await self.unit.write(msgspec.structs.replace(decided, seen_version=decided.seen_version - 1))


async def test_a_submit_stale_at_every_try_gives_up_with_a_conflict_and_writes_nothing(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = await learner_service(sessions, "always-stale", "pat")
    quiz = await finish_all_but_quiz(service)
    version = select(Learner.progress_version).where(Learner.id == service.learner_id)
    async with sessions() as session:
        before = (await session.execute(version)).scalar_one()
    units: list[StaleWrites] = []
    real_unit = submitting.unit

    @asynccontextmanager
    async def stale_unit(given: Sessions) -> AsyncIterator[submitting.Unit]:
        async with real_unit(given) as unit:
            units.append(StaleWrites(unit))
            yield units[-1]

    monkeypatch.setattr(submitting, "unit", stale_unit)
    with pytest.raises(Conflict, match="kept changing"):
        await service.submit(quiz, form_answers(forms()["knowledge-check"]))

    assert [u.writes for u in units] == [1] * 10  # read and written again, ten times in all
    async with sessions() as session:
        assert (await session.execute(version)).scalar_one() == before
    assert await count(sessions, Attempt, Attempt.id == quiz, Attempt.status == "draft") == 1
    assert await count(sessions, Completion) == 0
    assert await count(sessions, OutboxEvent, OutboxEvent.type != "form.submitted") == 0


async def test_a_void_makes_a_reading_that_saw_the_completion_stale(sessions: Sessions) -> None:
    service = await learner_service(sessions, "stale-b", "pat")
    quiz_answers = form_answers(forms()["knowledge-check"])
    first = await service.submit(await finish_all_but_quiz(service), quiz_answers)
    assert first.completion is not None
    retake, _ = await service.start(MODULE, "knowledge-check")
    stale = await decided_on_draft(service, retake.id, quiz_answers)
    assert stale.completion is None  # a completion was live when it read

    await void_completion(sessions, service.district_id, first.completion.id, "recorded in error", None)
    assert await write(service, stale) is None
    result = await service.submit(retake.id, quiz_answers)
    assert result.completion is not None and result.completion.id != first.completion.id
    assert await count(sessions, Completion, Completion.voided_at.is_(None)) == 1


@postgres_only
async def test_the_batch_read_is_planned_once_per_connection_and_finds_every_row_by_key(
    sessions: Sessions,
) -> None:
    services = [await learner_service(sessions, f"plan-{i}", "pat") for i in range(3)]
    asked = [(s.learner_id, await finish_all_but_quiz(s)) for s in services]
    sql = str(submitting.READ_BATCH.compile(dialect=PGDialect_asyncpg()))  # type: ignore[no-untyped-call]
    conn = await admin_connection(sessions)
    try:
        # Small tables, and statistics that say so: the merged read hash-joined a whole table then.
        await conn.execute("ANALYZE")
        statement = await conn.prepare(sql)
        for size in (1, 3, 2, 1, 3, 2, 1):  # batches of every size, as they come
            rows = await statement.fetch([a[0] for a in asked[:size]], [a[1] for a in asked[:size]])
            assert len(rows) == 3 * size  # each learner's worksheet, reflection and quiz
        plans = await conn.fetchrow(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1", sql
        )
        assert (plans["custom_plans"], plans["generic_plans"]) == (5, 2)

        await conn.execute(f"PREPARE read_batch AS {sql}")
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        arrays = [f"'{{{','.join(str(a[i]) for a in asked)}}}'" for i in (0, 1)]
        plan = await conn.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE read_batch({', '.join(arrays)})")
    finally:
        await conn.close()
    # Every table is looked up per submit of the batch (a nested loop), none joined whole.
    assert node_types(msgspec.json.decode(plan)[0]["Plan"]) & JOINS == {"Nested Loop"}


JOINS = {"Nested Loop", "Hash Join", "Merge Join"}


def node_types(plan: dict[str, Any]) -> set[str]:
    """The node types of an EXPLAIN (FORMAT JSON) plan and all its subplans."""
    return {plan["Node Type"]}.union(*(node_types(p) for p in plan.get("Plans", [])))


@postgres_only
async def test_a_batch_of_submits_gives_each_its_own_outcome(sessions: Sessions) -> None:
    quiz_answers = form_answers(forms()["knowledge-check"])
    services = [await learner_service(sessions, f"batch-{i}", "pat") for i in range(3)]
    drafts = [await finish_all_but_quiz(service) for service in services]
    good = [await decided_on_draft(s, d, quiz_answers) for s, d in zip(services, drafts, strict=True)]
    # The second one's certificate code is the first's: whichever of the two is written second
    # fails, at the database, and only it.
    clash = msgspec.structs.replace(
        good[1], completion={**good[1].completion, "certificate_code": good[0].completion["certificate_code"]}
    )
    batches = submitting.batches_for(sessions.kw["bind"])
    outcomes = await batches.write_batch([good[0], clash, good[2]])

    assert outcomes[2] is True
    failed = [i for i in (0, 1) if isinstance(outcomes[i], asyncpg.UniqueViolationError)]
    assert len(failed) == 1 and outcomes[1 - failed[0]] is True
    assert await count(sessions, Completion) == 2
    assert await count(sessions, Attempt, Attempt.id == drafts[failed[0]], Attempt.status == "draft") == 1
    assert await count(sessions, OutboxEvent, OutboxEvent.type == "attempt.submitted") == 2


async def test_many_learners_submitting_at_once_each_complete_once(sessions: Sessions) -> None:
    quiz_answers = form_answers(forms()["knowledge-check"])
    services = [await learner_service(sessions, f"many-{i}", "pat") for i in range(12)]
    drafts = [await finish_all_but_quiz(service) for service in services]
    # Each learner's quiz twice at once (two devices), every learner at the same moment.
    results = await asyncio.gather(
        *(s.submit(d, quiz_answers) for s, d in zip(services, drafts, strict=True) for _ in range(2))
    )
    assert all(r.completion is not None for r in results)
    assert await count(sessions, Completion) == 12
    assert await count(sessions, OutboxEvent, OutboxEvent.type == "attempt.submitted") == 12
    assert await count(sessions, OutboxEvent, OutboxEvent.type == "completion.recorded") == 12


async def admin_connection(sessions: Sessions) -> asyncpg.Connection:
    url = sessions.kw["bind"].url
    return await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, database=url.database
    )


async def terminate_backends(sessions: Sessions) -> int:
    """End every server process connected to the test's database (as a restart would)."""
    admin = await admin_connection(sessions)
    try:
        return len(
            await admin.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    finally:
        await admin.close()


@pytest.mark.parametrize("pause", [0.0, 0.3], ids=["at-once", "after-a-pause"])
@postgres_only
async def test_submits_and_reads_recover_when_the_server_ends_their_connections(
    sessions: Sessions, pause: float
) -> None:
    quiz_answers = form_answers(forms()["knowledge-check"])
    services = [await learner_service(sessions, f"restart-{i}", "pat") for i in range(4)]
    drafts = [await finish_all_but_quiz(service) for service in services]
    await asyncio.gather(*(s.attempt(d) for s, d in zip(services, drafts, strict=True)))  # pool them

    assert await terminate_backends(sessions) > 0
    # The pool sees the closed connections at checkout, once the event loop has read the
    # server's goodbye; a statement sent before that fails, and its submit retries.
    await asyncio.sleep(pause)
    results = await asyncio.gather(
        *(s.submit(d, quiz_answers) for s, d in zip(services, drafts, strict=True))
    )
    assert all(r.completion is not None for r in results)
    assert await count(sessions, Completion) == 4
    if pause:  # other units of work get fresh connections as well
        await terminate_backends(sessions)
        await asyncio.sleep(pause)
        async with sessions() as session:
            assert (await session.execute(select(func.count()).select_from(Completion))).scalar_one() == 4


@postgres_only
async def test_a_submit_whose_connection_is_lost_during_its_write_reads_again(sessions: Sessions) -> None:
    service = await learner_service(sessions, "lost-write", "pat")
    draft = await finish_all_but_quiz(service)
    admin = await admin_connection(sessions)
    try:
        # Hold the learner's row, so that the submit's write waits for it; end its server process
        # then, as a restart would, mid-statement.
        await admin.execute("BEGIN")
        await admin.execute("SELECT 1 FROM learners WHERE id = $1 FOR UPDATE", service.learner_id)
        submit = asyncio.ensure_future(service.submit(draft, form_answers(forms()["knowledge-check"])))
        deadline = time.monotonic() + 30  # generous: only a submit that never writes takes longer
        while True:
            waiting = await admin.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if waiting or submit.done() or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.02)
        assert len(waiting) == 1
        await admin.execute("SELECT pg_terminate_backend($1)", waiting[0]["pid"])
        await admin.execute("ROLLBACK")
        result = await submit
    finally:
        await admin.close()
    assert result.completion is not None
    assert await count(sessions, Completion) == 1
    assert await count(sessions, OutboxEvent, OutboxEvent.type == "attempt.submitted") == 1


async def test_a_batcher_batches_what_arrives_while_a_batch_is_out() -> None:
    batches: list[list[int]] = []
    release = asyncio.Event()

    async def flush(requests: Any) -> list[int | BaseException]:
        batches.append(list(requests))
        await release.wait()
        return [ValueError(r) if r == 3 else r * 10 for r in requests]

    batcher: Batcher[int, int] = Batcher(flush, size=3, parallel=1, least=1)
    runs = [asyncio.ensure_future(batcher.run(0))]
    for _ in range(3):  # the first batch goes alone, and waits in the "database"
        await asyncio.sleep(0)
    runs += [asyncio.ensure_future(batcher.run(r)) for r in range(1, 6)]
    await asyncio.sleep(0)
    release.set()
    outcomes = await asyncio.gather(*runs, return_exceptions=True)
    assert batches == [[0], [1, 2, 3], [4, 5]]
    assert outcomes[:3] == [0, 10, 20] and outcomes[4:] == [40, 50]
    assert isinstance(outcomes[3], ValueError)


async def test_a_batcher_fails_only_the_batch_whose_flush_failed() -> None:
    async def flush(requests: Any) -> list[int | BaseException]:
        if 1 in requests:
            raise RuntimeError("down")
        return list(requests)

    batcher: Batcher[int, int] = Batcher(flush, size=1, parallel=1, least=1)
    outcomes = await asyncio.gather(*(batcher.run(r) for r in range(3)), return_exceptions=True)
    assert outcomes[0] == 0 and outcomes[2] == 2 and isinstance(outcomes[1], RuntimeError)


async def test_a_request_arriving_as_the_last_batch_finishes_is_still_sent() -> None:
    # The caller resumes (and asks again) in the same turn of the event loop in which the drain
    # that answered it finishes: the new request must start a drain of its own, not wait forever.
    async def flush(requests: Any) -> list[int | BaseException]:
        return list(requests)

    batcher: Batcher[int, int] = Batcher(flush, size=10, parallel=1, least=1)

    async def one_after_another() -> list[int]:
        return [await batcher.run(r) for r in range(3)]

    assert await asyncio.wait_for(one_after_another(), 5) == [0, 1, 2]
    assert batcher.draining == set()


@pytest.mark.parametrize(
    ("least", "expected"),
    [
        (2, [[0, 1, 2, 3], [10, 11], [12, 13]]),  # slices of two: the first two ask again first
        (4, [[0, 1, 2, 3], [10, 11, 12, 13]]),  # no slice under four: all four move in step
    ],
)
async def test_a_batcher_hands_results_back_in_slices(least: int, expected: list[list[int]]) -> None:
    # Four callers answered by one batch each ask again at once. Handed back all together, their
    # four next requests go as one batch after all four have run; in slices, the first slice's
    # next requests go out before the rest are answered.
    batches: list[list[int]] = []

    async def flush(requests: Any) -> list[int | BaseException]:
        batches.append(list(requests))
        return list(requests)

    batcher: Batcher[int, int] = Batcher(flush, size=10, parallel=2, least=least)

    async def twice(first: int) -> int:
        await batcher.run(first)
        return await batcher.run(first + 10)

    assert await asyncio.gather(*(twice(r) for r in range(4))) == [10, 11, 12, 13]
    assert batches == expected


async def test_a_drain_cancelled_between_slices_still_answers_every_caller() -> None:
    drains: list[asyncio.Task[Any]] = []

    async def flush(requests: Any) -> list[int | BaseException]:
        drain = asyncio.current_task()
        assert drain is not None
        drains.append(drain)
        asyncio.get_running_loop().call_soon(drain.cancel)  # lands while it waits between slices
        return list(requests)

    batcher: Batcher[int, int] = Batcher(flush, size=10, parallel=2, least=1)  # slices of two
    callers = [asyncio.ensure_future(batcher.run(r)) for r in range(4)]
    assert await asyncio.wait_for(asyncio.gather(*callers), 5) == [0, 1, 2, 3]
    await asyncio.sleep(0)
    assert drains[0].cancelled()
