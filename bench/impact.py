"""The impact dashboard's figures for one district over HTTP (`GET /api/v1/impact/trends`, twelve
months) on PostgreSQL, against the same aggregates as one hand-written SQL query through
asyncpg, measured in the same run: per school and month the score distribution, the dialogues
(counts, past due, first-contact resolution, median and mean age in business hours computed in
SQL), the secret-shopper visits per channel, and each module's coverage of the roster at the
month's end. The server runs as its own process; its peak memory above idle is read from /proc.

Targets: ratio (floor time / subject time) at least 0.5; peak RSS under 150 MB above idle.
`BENCH_IMPACT_ANSWERS` and `BENCH_IMPACT_DIALOGUES` change the sizes (default 1,000,000 and
100,000).
"""

import asyncio
import os
import secrets
import time
import uuid
from datetime import date
from pathlib import Path

import asyncpg
import httpx

from api.admin.services import DistrictService, KeyService
from api.runtime import open_runtime
from api.settings import Settings
from bench.export import ADMIN_URL, rss_kb
from bench.harness import server_process

CONTENT = Path(__file__).parent.parent / "content"
ANSWERS = int(os.environ.get("BENCH_IMPACT_ANSWERS", "1000000"))
DIALOGUES = int(os.environ.get("BENCH_IMPACT_DIALOGUES", "100000"))
SCHOOLS = 40
ROSTER = 4000
ZONE = "America/Chicago"
START, END = "2026-01-01", "2027-01-01"
ROUNDS = 3

# The district's schools numbered 0 to 39, to spread generated rows over them.
SCHOOLS_BY_NUMBER = (
    "SELECT id, row_number() OVER (ORDER BY code) - 1 AS n FROM feedback_schools WHERE district_id = $1"
)
FILL = [
    """INSERT INTO feedback_schools (id, district_id, code, name, token, created_at, instruments_off)
    SELECT gen_random_uuid(), $1, 'S' || g, 'School ' || g, md5(random()::text), now(), '[]'
    FROM generate_series(1, 40) g""",
    f"""INSERT INTO feedback_answers (id, district_id, school_id, instrument_version, score, reason,
        resolved, comment, language, day, device_key, address_key, address_slot, received_at)
    SELECT gen_random_uuid(), $1, s.id, 1, (g::bigint * 7919) % 11, 'enrollment', g % 3 <> 0, '', 'en',
        (t.at)::date, md5(g::text), md5(g::text), 0, t.at
    FROM generate_series(1, $2) g
    JOIN ({SCHOOLS_BY_NUMBER}) s ON s.n = g % 40
    CROSS JOIN LATERAL (SELECT timestamptz '2026-01-01 06:00Z' + (g % 100000) * interval '313 seconds'
        + (g / 100000) * interval '1 hour' AS at) t""",
    f"""INSERT INTO dialogues (id, district_id, school_id, source, reason, summary, status,
        first_contact_resolved, owner, team, opened_at, due_at, closed_at)
    SELECT gen_random_uuid(), $1, s.id, 'staff', 'enrollment', '',
        CASE WHEN g % 5 = 0 THEN 'open' ELSE 'closed' END,
        g % 2 = 0, '', '', t.at, t.at + interval '7 days',
        CASE WHEN g % 5 = 0 THEN NULL ELSE t.at + (g % 240) * interval '1 hour' END
    FROM generate_series(1, $2) g
    JOIN ({SCHOOLS_BY_NUMBER}) s ON s.n = g % 40
    CROSS JOIN LATERAL (SELECT timestamptz '2026-01-01 06:00Z' + g * (interval '330 days' / $2) AS at) t""",
    f"""INSERT INTO shopper_visits (id, district_id, school_id, channel, evaluator, visited_at,
        instrument_version, answers, passed, points, possible, score, notes, recorded_at)
    SELECT gen_random_uuid(), $1, s.id, (ARRAY['phone', 'email', 'visit'])[g % 3 + 1], 'E',
        timestamptz '2026-01-01 15:00Z' + g * interval '4 hours', 1, '{{}}', '{{}}',
        g % 100, 100, g % 100, '', now()
    FROM generate_series(1, 2000) g
    JOIN ({SCHOOLS_BY_NUMBER}) s ON s.n = g % 40""",
    """INSERT INTO roster_employees (id, district_id, employee_id, name, email, email_key, school_code,
        school_name, department, role_code, role_title, status, created_at, updated_at)
    SELECT gen_random_uuid(), $1, 'E' || g, 'Employee ' || g, 'e' || g || '@district.org',
        'e' || g || '@district.org', 'S' || (g % 40 + 1), '', '', '', '',
        'active', now(), now()
    FROM generate_series(1, 4000) g""",
    """INSERT INTO learners (id, district_id, external_id, name, email, employee_id, school, role,
        created_at, updated_at)
    SELECT gen_random_uuid(), $1, 'lms-' || g, 'Employee ' || g, 'E' || g || '@district.org', 'E' || g,
        '', '', now(), now()
    FROM generate_series(1, 4000) g""",
    """INSERT INTO completions (id, district_id, learner_id, module_id, module_version, score, passed,
        attempts, started_at, completed_at, credit_minutes, certificate_code, updated_at)
    SELECT gen_random_uuid(), $1, l.id, m.id, m.current_version, 0.8, true, 1, t.at - interval '25 minutes',
        t.at, 20, upper(substr(md5(l.id::text || m.id), 1, 16)), t.at
    FROM learners l CROSS JOIN modules m
    CROSS JOIN LATERAL (SELECT timestamptz '2026-01-01' + random() * interval '330 days' AS at) t
    WHERE l.district_id = $1 AND random() < 0.7""",
]

# The same figures, written by hand as one query: months and business hours cut in SQL.
FLOOR = """
WITH months AS (
    SELECT m::date AS m, ((m + interval '1 month')::timestamp AT TIME ZONE $2) AS month_end
    FROM generate_series($3::date, ($4::date - 1), interval '1 month') m
),
fb AS (
    SELECT school_id, date_trunc('month', received_at AT TIME ZONE $2)::date AS m, score, count(*) AS n
    FROM feedback_answers
    WHERE district_id = $1
        AND received_at >= ($3::timestamp AT TIME ZONE $2) AND received_at < ($4::timestamp AT TIME ZONE $2)
    GROUP BY 1, 2, 3
),
ages AS (
    SELECT school_id, date_trunc('month', opened_at AT TIME ZONE $2)::date AS m, closed_at,
        first_contact_resolved, due_at < coalesce(closed_at, now()) AS past_due,
        greatest(b(coalesce(closed_at, now()) AT TIME ZONE $2) - b(opened_at AT TIME ZONE $2), 0) / 3600.0
            AS age
    FROM dialogues
    WHERE district_id = $1
        AND opened_at >= ($3::timestamp AT TIME ZONE $2) AND opened_at < ($4::timestamp AT TIME ZONE $2)
),
dl AS (
    SELECT school_id, m, count(*) AS opened, count(closed_at) AS closed,
        count(*) FILTER (WHERE past_due) AS past_due,
        count(*) FILTER (WHERE closed_at IS NOT NULL AND first_contact_resolved) AS resolved,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY age) AS median_age, avg(age) AS mean_age
    FROM ages GROUP BY 1, 2
),
sv AS (
    SELECT school_id, date_trunc('month', visited_at AT TIME ZONE $2)::date AS m, channel, count(*) AS visits,
        avg(score) AS mean_score
    FROM shopper_visits
    WHERE district_id = $1
        AND visited_at >= ($3::timestamp AT TIME ZONE $2) AND visited_at < ($4::timestamp AT TIME ZONE $2)
    GROUP BY 1, 2, 3
),
firsts AS (
    SELECT r.school_code, c.module_id, min(c.completed_at) AS first_at
    FROM completions c JOIN learners l ON l.id = c.learner_id
    JOIN roster_employees r ON r.district_id = l.district_id AND r.employee_id = l.employee_id
    WHERE c.district_id = $1 AND c.voided_at IS NULL AND r.status IN ('active', 'leave')
    GROUP BY r.id, r.school_code, c.module_id
),
cov AS (
    SELECT f.school_code, f.module_id, months.m, count(*) AS completed
    FROM firsts f JOIN months ON f.first_at < months.month_end
    GROUP BY 1, 2, 3
)
SELECT json_build_object(
    'feedback', (SELECT json_agg(fb) FROM fb),
    'dialogues', (SELECT json_agg(dl) FROM dl),
    'shoppers', (SELECT json_agg(sv) FROM sv),
    'coverage', (SELECT json_agg(cov) FROM cov),
    'roster', (SELECT json_agg(x) FROM (SELECT school_code, count(*) FROM roster_employees
        WHERE district_id = $1 AND status IN ('active', 'leave') GROUP BY 1) x)
)::text
"""

# Business seconds from 0001-01-01 (a Monday) to a local wall time, as api/dialogues/business.py
# counts them: whole weekdays of eight hours, and the part of the day between 08:00 and 16:00
# (one expression, so PostgreSQL inlines it into the query).
BUSINESS_SECONDS = """
CREATE OR REPLACE FUNCTION b(local timestamp) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT (((local::date - date '0001-01-01') / 7) * 5 + least((local::date - date '0001-01-01') % 7, 5))
        * 28800.0
        + CASE WHEN (local::date - date '0001-01-01') % 7 < 5
            THEN least(greatest(extract(epoch FROM local::time - time '08:00'), 0), 28800) ELSE 0 END
$$
"""


class Setup:
    def __init__(self, url: str, key: str, district_id: uuid.UUID) -> None:
        self.url, self.key, self.district_id = url, key, district_id


async def prepare(url: str) -> Setup:
    settings = Settings(database_url=url, content_dir=str(CONTENT), log_level="WARNING")
    async with open_runtime(settings, migrate=True, publish=True) as runtime:
        district = await DistrictService(runtime.sessions).create("bench", "Bench School District")
        key = (await KeyService(runtime.sessions, district.id).create("bench", ["impact:read"])).key
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("UPDATE districts SET time_zone = $1 WHERE id = $2", ZONE, district.id)
        for sql, size in zip(FILL, [None, ANSWERS, DIALOGUES, None, None, None, None], strict=True):
            await conn.execute(sql, district.id, *([size] if size else []))
        await conn.execute(BUSINESS_SECONDS)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return Setup(url, key, district.id)


async def floor(setup: Setup) -> tuple[float, int]:
    conn = await asyncpg.connect(setup.url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        started = time.perf_counter()
        first, end = date.fromisoformat(START), date.fromisoformat(END)
        body = await conn.fetchval(FLOOR, setup.district_id, ZONE, first, end)
        return time.perf_counter() - started, len(body)
    finally:
        await conn.close()


def subject(base: str, key: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = httpx.get(
        f"{base}/api/v1/impact/trends",
        params={"period": "month", "from": START, "to": END},
        headers={"Authorization": f"Bearer {key}"},
        timeout=600,
    )
    response.raise_for_status()
    return time.perf_counter() - started, len(response.content)


def run() -> None:
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
        started = time.perf_counter()
        setup = asyncio.run(prepare(url))
        print(
            f"impact: {ANSWERS:,} answers, {DIALOGUES:,} dialogues, {SCHOOLS} schools, {ROSTER:,} on the "
            f"roster, filled in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        env = {
            "FRONTOFFICE_DATABASE_URL": url,
            "FRONTOFFICE_LOG_LEVEL": "WARNING",
            "FRONTOFFICE_DISPATCH_IN_APP": "false",
            "FRONTOFFICE_PUBLISH_ON_START": "false",
        }
        with server_process("api.app:app_from_env", env) as (server, process):
            # Warm: the course into the catalog, the first connections opened.
            httpx.get(
                f"{server}/api/v1/impact/trends",
                params={"from": "2026-01-01", "to": "2026-01-02"},
                headers={"Authorization": f"Bearer {setup.key}"},
                timeout=60,
            ).raise_for_status()
            idle = rss_kb(process.pid, "VmRSS")
            Path(f"/proc/{process.pid}/clear_refs").write_text("5")
            subjects: list[tuple[float, int]] = []
            floors: list[tuple[float, int]] = []
            for _ in range(ROUNDS):
                floors.append(asyncio.run(floor(setup)))
                subjects.append(subject(server, setup.key))
            peak = rss_kb(process.pid, "VmHWM")
        best_s, best_f = min(subjects), min(floors)
        ratio = best_f[0] / best_s[0]
        extra_mb = (peak - idle) / 1024
        print(
            f"impact dashboard figures (12 months, {SCHOOLS} schools) on PostgreSQL over HTTP: ratio "
            f"{ratio:.2f} (target >= 0.50: {'met' if ratio >= 0.5 else 'MISSED'}); server peak "
            f"{extra_mb:.0f} MB above idle (target < 150: {'met' if extra_mb < 150 else 'MISSED'})\n"
            f"  API   {best_s[0]:.2f} s, {best_s[1] / 1e3:,.0f} kB of JSON\n"
            f"  floor {best_f[0]:.2f} s, {best_f[1] / 1e3:,.0f} kB of JSON (one hand-written query)\n"
            f"  idle RSS {idle / 1024:.0f} MB, peak {peak / 1024:.0f} MB "
            f"({ROUNDS} alternating rounds; best of each)",
            flush=True,
        )
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    run()
