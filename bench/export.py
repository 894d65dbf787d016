"""The full CSV export of 1,000,000 completion records over HTTP, against a floor measured in
the same run: on PostgreSQL `COPY (SELECT …) TO STDOUT WITH CSV` of the same rows through
asyncpg; on SQLite the stdlib `sqlite3` and `csv` writing the same rows. The server runs as its
own process (uvicorn, as `serve` runs it); its peak memory above idle is read from /proc.

Targets: ratio (floor time / export time) at least 0.5; peak RSS under 150 MB above idle.
`BENCH_EXPORT_ROWS` and `BENCH_EXPORT_SQLITE_ROWS` change the sizes (default 1,000,000 each).
"""

import asyncio
import csv
import os
import secrets
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

from api.admin.services import DistrictService, KeyService
from api.completions.export import COLUMNS, export_query
from api.completions.records import Filters, ModuleInfo, module_infos
from api.db import driver_sql
from api.runtime import open_runtime
from api.settings import Settings
from bench.harness import server_process

ADMIN_URL = os.environ.get("FRONTOFFICE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CONTENT = Path(__file__).parent.parent / "content"
ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "1000000"))
SQLITE_ROWS = int(os.environ.get("BENCH_EXPORT_SQLITE_ROWS", "1000000"))
ROUNDS = 2


class Setup:
    def __init__(
        self, url: str, key: str, district_id: uuid.UUID, modules: dict[tuple[str, str], ModuleInfo]
    ):
        self.url, self.key, self.district_id, self.modules = url, key, district_id, modules


async def prepare(url: str) -> tuple[Setup, list[tuple[str, str]]]:
    """Migrate, publish the course, and make a district with an hr:read key."""
    settings = Settings(database_url=url, content_dir=str(CONTENT), log_level="WARNING")
    async with open_runtime(settings, migrate=True, publish=True) as runtime:
        sessions = runtime.sessions
        district = await DistrictService(sessions).create("bench", "Bench School District")
        key = (await KeyService(sessions, district.id).create("bench", ["hr:read"])).key
        modules = await module_infos(sessions, runtime.catalog)
        async with runtime.engine.connect() as conn:
            raw: Any = (await conn.get_raw_connection()).driver_connection
            if url.startswith("sqlite"):
                cursor = await raw.execute("SELECT id, current_version FROM modules ORDER BY position")
                current = [(r[0], r[1]) for r in await cursor.fetchall()]
            else:
                current = [(r[0], r[1]) for r in await raw.fetch("SELECT id, current_version FROM modules")]
    return Setup(url, key, district.id, modules), current


PG_FILL = [
    """INSERT INTO roster_employees (id, district_id, employee_id, name, email, email_key, school_code,
        school_name, department, role_code, role_title, status, created_at, updated_at)
    SELECT gen_random_uuid(), $1, 'E' || g,
        CASE WHEN g % 1000 = 0 THEN '=Employee ' ELSE 'Employee, ' END || g,
        'e' || g || '@district.org', 'e' || g || '@district.org', 'S' || (g % 40),
        'School "' || (g % 40) || '"',
        'Front office', 'R' || (g % 8), 'Role ' || (g % 8), 'active', now(), now()
    FROM generate_series(1, $2) g""",
    # Half the learners match by employee id, half by email only (in other case).
    """INSERT INTO learners (id, district_id, external_id, name, email, employee_id, school, role,
        created_at, updated_at)
    SELECT gen_random_uuid(), $1, 'lms-' || g, 'Employee ' || g,
        CASE WHEN g % 2 = 0 THEN 'E' || g || '@DISTRICT.ORG' ELSE '' END,
        CASE WHEN g % 2 = 1 THEN 'E' || g ELSE '' END, '', '', now(), now()
    FROM generate_series(1, $2) g""",
]


async def fill_postgres(url: str, setup: Setup, current: list[tuple[str, str]], rows: int) -> None:
    learners = rows // len(current)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for sql in PG_FILL:
            await conn.execute(sql, setup.district_id, learners)
        values = ", ".join(f"('{m}', '{v}')" for m, v in current)
        await conn.execute(
            f"""INSERT INTO completions (id, district_id, learner_id, module_id, module_version, score,
                passed,
                attempts, started_at, completed_at, credit_minutes, certificate_code, updated_at)
            SELECT gen_random_uuid(), $1, l.id, m.module_id, m.version, 0.8, true, 1,
                t.at - interval '25 minutes', t.at, 20,
                upper(substr(md5(l.id::text || m.module_id), 1, 16)), t.at
            FROM learners l CROSS JOIN (VALUES {values}) AS m(module_id, version)
            CROSS JOIN LATERAL (SELECT timestamptz '2026-01-01' + random() * interval '300 days' AS at) t
            WHERE l.district_id = $1""",
            setup.district_id,
        )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


def fill_sqlite(path: str, setup: Setup, current: list[tuple[str, str]], rows: int) -> None:
    learners = rows // len(current)
    db = sqlite3.connect(path)
    district = setup.district_id.hex
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    db.executemany(
        "INSERT INTO roster_employees VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                uuid.uuid4().hex,
                district,
                f"E{g}",
                f"{'=' if g % 1000 == 0 else ''}Employee, {g}",
                f"e{g}@district.org",
                f"e{g}@district.org",
                f"S{g % 40}",
                f'School "{g % 40}"',
                "Front office",
                f"R{g % 8}",
                f"Role {g % 8}",
                "active",
                now,
                now,
            )
            for g in range(1, learners + 1)
        ),
    )
    ids = [uuid.uuid4().hex for _ in range(learners)]
    db.executemany(
        "INSERT INTO learners (id, district_id, external_id, name, email, employee_id, school, role,"
        " created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, '', '', ?, ?)",
        (
            (
                ids[g - 1],
                district,
                f"lms-{g}",
                f"Employee {g}",
                f"E{g}@DISTRICT.ORG" if g % 2 == 0 else "",
                f"E{g}" if g % 2 == 1 else "",
                now,
                now,
            )
            for g in range(1, learners + 1)
        ),
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def completions() -> Any:
        for n, learner in enumerate(ids):
            for m, (module_id, version) in enumerate(current):
                at = start + timedelta(seconds=(n * 7919 + m * 104729) % 25_920_000)
                stamp = at.strftime("%Y-%m-%d %H:%M:%S.%f")
                started = (at - timedelta(minutes=25)).strftime("%Y-%m-%d %H:%M:%S.%f")
                yield (
                    uuid.uuid4().hex,
                    district,
                    learner,
                    module_id,
                    version,
                    0.8,
                    1,
                    1,
                    started,
                    stamp,
                    20.0,
                    secrets.token_hex(8).upper(),
                    stamp,
                )

    db.executemany(
        "INSERT INTO completions (id, district_id, learner_id, module_id, module_version, score, passed,"
        " attempts,"
        " started_at, completed_at, credit_minutes, certificate_code, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        completions(),
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()


class Counter:
    """A sink that counts what is written to it (the floors write nowhere else)."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: str) -> int:
        self.size += len(data.encode())
        return len(data)


async def floor_postgres(setup: Setup) -> tuple[float, int]:
    query = export_query(setup.district_id, Filters(), setup.modules, for_csv=True)
    sql, params = driver_sql(query, PGDialect_asyncpg())  # type: ignore[no-untyped-call]
    conn = await asyncpg.connect(setup.url.replace("postgresql+asyncpg://", "postgresql://"))
    size = 0

    async def sink(chunk: bytes) -> None:
        nonlocal size
        size += len(chunk)

    try:
        started = time.perf_counter()
        await conn.copy_from_query(sql, *params, output=sink, format="csv", header=True)
        return time.perf_counter() - started, size
    finally:
        await conn.close()


def floor_sqlite(setup: Setup, path: str) -> tuple[float, int]:
    query = export_query(setup.district_id, Filters(), setup.modules, for_csv=True)
    sql, params = driver_sql(query, SQLiteDialect_pysqlite())
    db = sqlite3.connect(path)
    sink = Counter()
    started = time.perf_counter()
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(COLUMNS)
    cursor = db.execute(sql, params)
    while rows := cursor.fetchmany(5000):
        writer.writerows(rows)
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed, sink.size


def over_http(base: str, key: str) -> tuple[float, int]:
    size = 0
    started = time.perf_counter()
    with (
        httpx.Client(timeout=600) as client,
        client.stream(
            "GET", f"{base}/api/v1/completions/export.csv", headers={"Authorization": f"Bearer {key}"}
        ) as response,
    ):
        response.raise_for_status()
        for chunk in response.iter_raw(256 * 1024):
            size += len(chunk)
    return time.perf_counter() - started, size


def rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def measure(name: str, setup: Setup, env: dict[str, str], floor: Any, rows: int) -> None:
    with server_process("api.app:app_from_env", env) as (base, process):
        warm = httpx.get(
            f"{base}/api/v1/completions/export.csv?employee=E1",
            headers={"Authorization": f"Bearer {setup.key}"},
            timeout=60,
        )
        warm.raise_for_status()
        idle = rss_kb(process.pid, "VmRSS")
        Path(f"/proc/{process.pid}/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
        subject: list[tuple[float, int]] = []
        floors: list[tuple[float, int]] = []
        for _ in range(ROUNDS):
            floors.append(floor())
            subject.append(over_http(base, setup.key))
        peak = rss_kb(process.pid, "VmHWM")
    best_s, best_f = min(subject), min(floors)
    ratio = best_f[0] / best_s[0]
    extra_mb = (peak - idle) / 1024
    print(
        f"CSV export of {rows:,} records on {name} over HTTP: ratio {ratio:.2f} "
        f"(target >= 0.50: {'met' if ratio >= 0.5 else 'MISSED'}); "
        f"server peak {extra_mb:.0f} MB above idle (target < 150: {'met' if extra_mb < 150 else 'MISSED'})\n"
        f"  export {best_s[0]:.2f} s, {best_s[1] / 1e6:,.1f} MB ({rows / best_s[0]:,.0f} rows/s)\n"
        f"  floor  {best_f[0]:.2f} s, {best_f[1] / 1e6:,.1f} MB\n"
        f"  idle RSS {idle / 1024:.0f} MB, peak {peak / 1024:.0f} MB "
        f"({ROUNDS} alternating rounds; best of each)",
        flush=True,
    )


def run_postgres() -> None:
    name = f"frontoffice_bench_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    try:
        setup, current = asyncio.run(prepare(url))
        started = time.perf_counter()
        asyncio.run(fill_postgres(url, setup, current, ROWS))
        print(
            f"  (PostgreSQL: {ROWS:,} records written in {time.perf_counter() - started:.0f} s)", flush=True
        )
        env = {
            "FRONTOFFICE_DATABASE_URL": url,
            "FRONTOFFICE_LOG_LEVEL": "WARNING",
            "FRONTOFFICE_DISPATCH_IN_APP": "false",
            "FRONTOFFICE_PUBLISH_ON_START": "false",
        }
        measure("PostgreSQL", setup, env, lambda: asyncio.run(floor_postgres(setup)), ROWS)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_sqlite() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/export.db"
        url = f"sqlite+aiosqlite:///{path}"
        setup, current = asyncio.run(prepare(url))
        started = time.perf_counter()
        fill_sqlite(path, setup, current, SQLITE_ROWS)
        print(
            f"  (SQLite: {SQLITE_ROWS:,} records written in {time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        env = {
            "FRONTOFFICE_DATABASE_URL": url,
            "FRONTOFFICE_LOG_LEVEL": "WARNING",
            "FRONTOFFICE_DISPATCH_IN_APP": "false",
            "FRONTOFFICE_PUBLISH_ON_START": "false",
        }
        measure("SQLite", setup, env, lambda: floor_sqlite(setup, path), SQLITE_ROWS)


def run() -> None:
    run_postgres()
    run_sqlite()


if __name__ == "__main__":
    run()
