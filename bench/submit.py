"""Knowledge-check submits on PostgreSQL (score, completion, outbox in one transaction) at
concurrency 32, against a floor of single-row INSERT ... RETURNING through asyncpg at the same
concurrency, in alternating rounds of about the same length (best of each). Each submit
completes its learner's module, so every one writes a completion.

Before the rounds, one unmeasured round of each warms up, and the database is analyzed, as a
running one is by autovacuum: PostgreSQL plans a prepared statement for good on a connection's
sixth use, and plans made while the tables were filling (no completions yet) scan whole tables
that have long outgrown them."""

import asyncio
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from api.admin.services import DistrictService
from api.attempts.services import AttemptService
from api.content.loader import load_course
from api.identity.learners import LearnerService
from api.runtime import open_runtime
from api.settings import Settings
from bench.harness import rates
from schemas.progress import LearnerProfile


def postgres_cpu_seconds(database: str) -> tuple[float, float]:
    """CPU time (user + system) used so far by the processes whose name contains 'postgres', read
    from /proc: all of them (backends of other databases, checkpointer, WAL writer ...) and only
    the backends connected to `database` (their command line names it)."""
    tick = os.sysconf("SC_CLK_TCK")
    every = ours = 0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text()
            command = (proc / "cmdline").read_bytes()
        except OSError:  # the process ended while we looked
            continue
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        if "postgres" in name:
            used = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
            every += used
            ours += used if f" {database} ".encode() in command else 0
    return every / tick, ours / tick


ADMIN_URL = os.environ.get("FRONTOFFICE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CONTENT = Path(__file__).parent.parent / "content"
MODULE = "who-are-our-customers"
COUNT = 1000
# Inserts in a floor round: about as long as a subject round. On this noisy machine floor rounds
# of a tenth of a second (a fourth of a subject round) swung more between rounds than the subject.
FLOOR_COUNT = 4 * COUNT
ROUNDS = 3
CONCURRENCY = 32


def right_answers(form: dict[str, Any]) -> dict[str, Any]:
    from tests.progress.answers import form_answers  # the suite's answer builder, reused

    return form_answers(form)


async def run_concurrently(count: int, work: Callable[[int], Awaitable[None]]) -> tuple[float, int]:
    """Run work(0..count-1) with CONCURRENCY at a time; (seconds, errors)."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while not queue.empty():
            i = queue.get_nowait()
            try:
                await work(i)
            except Exception:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started, errors


async def main() -> None:
    name = f"frontoffice_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        url = f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
        settings = Settings(database_url=url, content_dir=str(CONTENT), log_level="WARNING")
        opened = AsyncExitStack()
        runtime = await opened.enter_async_context(
            open_runtime(settings, migrate=True, publish=True, pool_size=CONCURRENCY)
        )
        sessions, catalog = runtime.sessions, runtime.catalog
        bundle = load_course(CONTENT)
        forms = {f.id: msgspec.to_builtins(f) for f in bundle.module(MODULE).forms}
        district = await DistrictService(sessions).create("bench", "Bench")
        learners = LearnerService(sessions, district.id)
        drafts: list[tuple[AttemptService, Any]] = []

        async def prepare(i: int) -> None:
            learner = await learners.upsert(LearnerProfile(external_id=f"learner-{i}"))
            service = AttemptService(sessions, catalog, district.id, learner.id)
            for form_id in ("customer-worksheet", "reflection"):
                attempt, _ = await service.start(MODULE, form_id)
                await service.submit(attempt.id, right_answers(forms[form_id]))
            attempt, _ = await service.start(MODULE, "knowledge-check")
            drafts.append((service, attempt.id))

        print(f"preparing {COUNT * (ROUNDS + 1)} learners with a draft knowledge check ...", flush=True)
        await run_concurrently(COUNT * (ROUNDS + 1), prepare)
        quiz = right_answers(forms["knowledge-check"])
        pool = await asyncpg.create_pool(f"{base}/{name}", min_size=CONCURRENCY, max_size=CONCURRENCY)
        await pool.execute(
            "CREATE TABLE floor_rows (id bigserial PRIMARY KEY, payload jsonb, at timestamptz)"
        )
        subject: list[Measured] = []
        floor: list[Measured] = []
        offset = ROUNDS * COUNT  # the warm-up round submits the last drafts

        async def submit(i: int) -> None:
            service, attempt_id = drafts[offset + i]
            result = await service.submit(attempt_id, quiz)
            assert result.completion is not None

        async def insert(i: int) -> None:
            await pool.fetchval(
                "INSERT INTO floor_rows (payload, at) VALUES ($1, now()) RETURNING id", f'{{"n": {i}}}'
            )

        await run_concurrently(COUNT, submit)
        await run_concurrently(FLOOR_COUNT, insert)
        await pool.execute("ANALYZE")
        for n in range(ROUNDS):  # each round submits drafts of its own
            offset = n * COUNT
            subject.append(await measured(name, submit, COUNT))
            floor.append(await measured(name, insert, FLOOR_COUNT))
        await pool.close()
        await opened.aclose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    best, best_floor = max(subject, key=lambda m: m.rate), max(floor, key=lambda m: m.rate)
    errors = sum(m.errors for m in subject)
    ratio = best.rate / best_floor.rate
    print(
        f"submit knowledge check (PostgreSQL, concurrency {CONCURRENCY}): ratio {ratio:.2f} "
        f"(target >= 0.30: {'met' if ratio >= 0.3 and errors == 0 else 'MISSED'})\n"
        f"  subject {best.rate:,.0f} submits/s ({COUNT} submits a round, each scoring, "
        f"completing and writing 2 outbox events), errors {errors}\n"
        f"          CPU per submit: this process {best.python_ms:.2f} ms, "
        f"PostgreSQL {best.postgres_ms:.2f} ms (its backends for this run {best.backends_ms:.2f} ms)\n"
        f"  floor   {best_floor.rate:,.0f} inserts/s ({FLOOR_COUNT} asyncpg INSERT ... RETURNING a round), "
        f"errors {sum(m.errors for m in floor)}\n"
        f"          CPU per insert: this process {best_floor.python_ms:.2f} ms, "
        f"its PostgreSQL backends {best_floor.backends_ms:.2f} ms\n"
        f"  ({ROUNDS} alternating rounds; best of each; every round: subject "
        f"{rates(COUNT, [m.seconds for m in subject])}/s, floor "
        f"{rates(FLOOR_COUNT, [m.seconds for m in floor])}/s; each round against the floor round after it: "
        f"{', '.join(f'{m.rate / f.rate:.2f}' for m, f in zip(subject, floor, strict=True))})",
        flush=True,
    )


class Measured(msgspec.Struct, frozen=True):
    count: int
    seconds: float
    errors: int
    python_ms: float
    """CPU of this process per operation."""
    postgres_ms: float
    """CPU of every PostgreSQL process per operation."""
    backends_ms: float
    """CPU of the run database's backends per operation."""

    @property
    def rate(self) -> float:
        """Operations a second."""
        return self.count / self.seconds


async def measured(database: str, work: Callable[[int], Awaitable[None]], count: int) -> Measured:
    """`count` operations at CONCURRENCY: their time, errors, and the CPU they cost."""
    python, (postgres, backends) = time.process_time(), postgres_cpu_seconds(database)
    seconds, errors = await run_concurrently(count, work)
    python = time.process_time() - python
    postgres_after, backends_after = postgres_cpu_seconds(database)
    per = 1000 / count
    return Measured(
        count=count,
        seconds=seconds,
        errors=errors,
        python_ms=python * per,
        postgres_ms=(postgres_after - postgres) * per,
        backends_ms=(backends_after - backends) * per,
    )


def run() -> None:
    asyncio.run(main())
