"""Knowledge-check submits on PostgreSQL (score, completion, outbox in one transaction) at
concurrency 32, against a floor of single-row INSERT ... RETURNING through asyncpg at the same
concurrency. Each submit completes its learner's module, so every one writes a completion."""

import asyncio
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from api.admin.services import DistrictService
from api.content.catalog import Catalog
from api.content.loader import load_course
from api.content.publish import publish
from api.db import create_engine, create_sessions
from api.migrate import upgrade
from api.progress.services import LearnerService, ProgressService
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
        engine = create_engine(
            f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}", pool_size=CONCURRENCY
        )
        await upgrade(engine)
        sessions = create_sessions(engine)
        bundle = load_course(CONTENT)
        await publish(sessions, bundle)
        catalog = Catalog(sessions)
        forms = {f.id: msgspec.to_builtins(f) for f in bundle.module(MODULE).forms}
        district = await DistrictService(sessions).create("bench", "Bench")
        learners = LearnerService(sessions, district.id)
        drafts: list[tuple[ProgressService, Any]] = []

        async def prepare(i: int) -> None:
            learner = await learners.upsert(LearnerProfile(external_id=f"learner-{i}"))
            service = ProgressService(sessions, catalog, district.id, learner.id)
            for form_id in ("customer-worksheet", "reflection"):
                attempt, _ = await service.start(MODULE, form_id)
                await service.submit(attempt.id, right_answers(forms[form_id]))
            attempt, _ = await service.start(MODULE, "knowledge-check")
            drafts.append((service, attempt.id))

        print(f"preparing {COUNT} learners with a draft knowledge check ...", flush=True)
        await run_concurrently(COUNT, prepare)
        quiz = right_answers(forms["knowledge-check"])

        async def submit(i: int) -> None:
            service, attempt_id = drafts[i]
            result = await service.submit(attempt_id, quiz)
            assert result.completion is not None

        python_cpu, (postgres_cpu, backends_cpu) = time.process_time(), postgres_cpu_seconds(name)
        subject_seconds, subject_errors = await run_concurrently(COUNT, submit)
        python_cpu = time.process_time() - python_cpu
        postgres_after, backends_after = postgres_cpu_seconds(name)
        postgres_cpu, backends_cpu = postgres_after - postgres_cpu, backends_after - backends_cpu
        await engine.dispose()

        pool = await asyncpg.create_pool(f"{base}/{name}", min_size=CONCURRENCY, max_size=CONCURRENCY)
        await pool.execute(
            "CREATE TABLE floor_rows (id bigserial PRIMARY KEY, payload jsonb, at timestamptz)"
        )

        async def insert(i: int) -> None:
            await pool.fetchval(
                "INSERT INTO floor_rows (payload, at) VALUES ($1, now()) RETURNING id", f'{{"n": {i}}}'
            )

        floor_python, (_, floor_backends) = time.process_time(), postgres_cpu_seconds(name)
        floor_seconds, floor_errors = await run_concurrently(COUNT, insert)
        floor_python = time.process_time() - floor_python
        floor_backends = postgres_cpu_seconds(name)[1] - floor_backends
        await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    subject_rate, floor_rate = COUNT / subject_seconds, COUNT / floor_seconds
    ratio = subject_rate / floor_rate
    print(
        f"submit knowledge check (PostgreSQL, concurrency {CONCURRENCY}): ratio {ratio:.2f} "
        f"(target >= 0.30: {'met' if ratio >= 0.3 and subject_errors == 0 else 'MISSED'})\n"
        f"  subject {subject_rate:,.0f} submits/s ({COUNT} submits, each scoring, completing and "
        f"writing 2 outbox events), errors {subject_errors}\n"
        f"          CPU per submit: this process {python_cpu / COUNT * 1000:.2f} ms, "
        f"PostgreSQL {postgres_cpu / COUNT * 1000:.2f} ms (its backends for this run "
        f"{backends_cpu / COUNT * 1000:.2f} ms)\n"
        f"  floor   {floor_rate:,.0f} inserts/s (asyncpg INSERT ... RETURNING), errors {floor_errors}\n"
        f"          CPU per insert: this process {floor_python / COUNT * 1000:.2f} ms, "
        f"its PostgreSQL backends {floor_backends / COUNT * 1000:.2f} ms",
        flush=True,
    )


def run() -> None:
    asyncio.run(main())
