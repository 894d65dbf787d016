"""Public feedback answers over HTTP on PostgreSQL: families' phones posting a school's feedback
card (`POST /feedback/{token}/answers`, the page's own JSON) to the real server (uvicorn,
uvloop, httptools, one worker, as `harness.server_process` starts it) at concurrency 32,
against a floor of single-row INSERT ... RETURNING through asyncpg at the same concurrency into
a table shaped like `feedback_answers` (`LIKE ... INCLUDING ALL`: its columns, unique
constraint and indexes), in alternating rounds (best of each; `submit.py`'s floor loop and
measurement, reused). Target: at least 0.3 of the floor.

Every answer is a distinct device, so every one counts: its own device cookie (what the
once-per-device rule keys on) and its own client address, given in `X-Forwarded-For` by a
trusted proxy (127.0.0.1, as TLS ends at a proxy in production), so the per-address daily cap
and its lock see one answer each, as they do for families on their own phones. Each answer is
anonymous (no contact, so no dialogue), with a short comment, as most are. After every round
the database must hold every answer and its `feedback.received` event: nothing lost, nothing
rejected.

The server keeps CONCURRENCY connections open (`FRONTOFFICE_DATABASE_POOL_SIZE`), as the floor's
pool does. The bench LIFTS the rate limits, through the settings the service has for them: the public
routes' per-address limit (`FRONTOFFICE_RATE_LIMIT_PUBLIC`) and the school link's own
(`FRONTOFFICE_FEEDBACK_RATE_LIMIT_SCHOOL`, 120 a minute by default: a round would be refused
after its first 120 answers). Their counting still runs, as in production. The server does not
dispatch the outbox (`FRONTOFFICE_DISPATCH_IN_APP=false`): a worker's job, as in the LTI bench.

The client is aiohttp on uvloop (cheap per request: see `lti.py`), in this process, which the
floor's inserts run in too. The server's own CPU per answer (from /proc) is printed as well.
"""

import asyncio
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import asyncpg
import msgspec
import uvloop

from api.admin.services import DistrictService
from api.feedback.instrument import card_at
from api.feedback.services import PAGE_PATH, FeedbackSchools
from api.runtime import open_runtime
from api.settings import Settings
from bench.harness import cpu_seconds, rates, server_process
from bench.submit import ADMIN_URL, CONCURRENCY, Measured, measured
from schemas.feedback import FeedbackSchoolCreate

COUNT = 1000
# About as long as a subject round, as in submit.py.
FLOOR_COUNT = 4 * COUNT
ROUNDS = 3
SECRET_KEY = "bench-feedback-secret-key-of-32-bytes-or-more"
PROXY = "127.0.0.1"
LIFTED = "100000000/minute"
COMMENTS = ("", "The front office helped us quickly.", "Nos atendieron muy amablemente en la oficina.")
FLOOR_INSERT = """
INSERT INTO floor_answers (id, district_id, school_id, instrument_version, score, reason, resolved,
    comment, language, day, device_key, address_key, address_slot, received_at)
VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, current_date, $9, $10, 0, now())
RETURNING id"""


class School(msgspec.Struct, frozen=True):
    district_id: uuid.UUID
    id: uuid.UUID
    token: str
    reasons: list[str]


class Round(msgspec.Struct, frozen=True):
    subject: Measured
    server_ms: float
    """The server process's CPU per answer."""
    floor: Measured


async def prepare(url: str) -> School:
    """The schema, a district and one school with a feedback link."""
    settings = Settings(database_url=url, log_level="WARNING")
    async with open_runtime(settings, migrate=True, publish=False) as runtime:
        district = await DistrictService(runtime.sessions).create("bench", "Bench District")
        school = await FeedbackSchools(runtime.sessions, district.id, settings.base_url).create(
            FeedbackSchoolCreate(code="bench-elementary", name="Bench Elementary")
        )
    reasons = [option.id for option in card_at(settings.content_path).reason.options]
    return School(district_id=district.id, id=school.id, token=school.token, reasons=reasons)


def address(n: int) -> str:
    """A distinct client address per answer (10.0.0.0/8 holds 16 million)."""
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def answers(school: School, first: int, count: int) -> list[tuple[bytes, dict[str, str]]]:
    """Answers `first`..`first + count - 1`: each a body as the page sends it, and the headers of
    a device of its own behind the proxy."""
    made = []
    for n in range(first, first + count):
        body = {
            "score": n % 11,
            "reason": school.reasons[n % len(school.reasons)],
            "resolved": n % 3 != 0,
            "comment": COMMENTS[n % len(COMMENTS)],
            "language": "es" if n % 2 else "en",
            "website": "",
        }
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Cookie": f"fo_feedback_device={secrets.token_urlsafe(24)}",
            "X-Forwarded-For": address(n),
        }
        made.append((msgspec.json.encode(body), headers))
    return made


async def measure(database: str, base: str, pid: int, school: School) -> list[Round]:
    url = f"{base}{PAGE_PATH}/{school.token}/answers"
    dsn = f"{ADMIN_URL.rsplit('/', 1)[0]}/{database}"
    pool = await asyncpg.create_pool(dsn, min_size=CONCURRENCY, max_size=CONCURRENCY)
    await pool.execute("CREATE TABLE floor_answers (LIKE feedback_answers INCLUDING ALL)")
    refused: dict[int, str] = {}
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    http = aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=60), cookie_jar=aiohttp.DummyCookieJar()
    )
    sent = floor_sent = 0
    try:

        async def subject_round() -> tuple[Measured, float]:
            nonlocal sent
            batch = answers(school, sent, COUNT)

            async def post(i: int) -> None:
                body, headers = batch[i]
                async with http.post(url, data=body, headers=headers) as response:
                    text = await response.text()
                    if response.status != 201:  # 200 would be "not counted": a device counted twice
                        refused.setdefault(response.status, text[:300])
                        raise RuntimeError(f"answer refused: {response.status}")

            cpu = cpu_seconds(pid)
            result = await measured(database, post, COUNT)
            server_ms = (cpu_seconds(pid) - cpu) * 1000 / COUNT
            sent += COUNT
            if result.errors:
                raise AssertionError(f"feedback bench: {result.errors} answers refused {refused}")
            await check(pool, school, sent)
            return result, server_ms

        async def floor_round() -> Measured:
            nonlocal floor_sent
            first = floor_sent

            async def insert(i: int) -> None:
                n = first + i
                await pool.fetchval(
                    FLOOR_INSERT,
                    uuid.uuid4(),
                    school.district_id,
                    school.id,
                    n % 11,
                    school.reasons[n % len(school.reasons)],
                    n % 3 != 0,
                    COMMENTS[n % len(COMMENTS)],
                    "es" if n % 2 else "en",
                    f"{n:064x}",
                    f"{n:064x}",
                )

            result = await measured(database, insert, FLOOR_COUNT)
            floor_sent += FLOOR_COUNT
            if result.errors:  # a floor of failed inserts would flatter the subject
                raise AssertionError(f"feedback bench: {result.errors} floor inserts failed")
            return result

        # One unmeasured round of each, then ANALYZE, as a running database's autovacuum would.
        await subject_round()
        await floor_round()
        await pool.execute("ANALYZE")
        rounds = []
        for _ in range(ROUNDS):
            subject, server_ms = await subject_round()
            rounds.append(Round(subject=subject, server_ms=server_ms, floor=await floor_round()))
    finally:
        await http.close()
        await pool.close()
    return rounds


async def check(pool: asyncpg.Pool, school: School, expected: int) -> None:
    """Every answer sent so far is in the database with its event: nothing lost, none rejected."""
    stored = await pool.fetchval("SELECT count(*) FROM feedback_answers WHERE school_id = $1", school.id)
    events = await pool.fetchval("SELECT count(*) FROM outbox_events WHERE type = 'feedback.received'")
    if stored != expected or events != expected:
        raise AssertionError(
            f"feedback bench: {expected} answers sent, {stored} stored and {events} "
            "feedback.received events written"
        )


@contextmanager
def database() -> Iterator[str]:
    """A fresh PostgreSQL database's name, dropped afterwards."""
    name = f"frontoffice_bench_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(ADMIN_URL, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run() -> None:
    with database() as name:
        base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        url = f"{base}/{name}"
        school = asyncio.run(prepare(url))
        env = {
            "FRONTOFFICE_DATABASE_URL": url,
            "FRONTOFFICE_SECRET_KEY": SECRET_KEY,
            "FRONTOFFICE_LOG_LEVEL": "WARNING",
            "FRONTOFFICE_DISPATCH_IN_APP": "false",
            # As many connections as the floor's pool: the default 5 (and 10 opened and closed
            # again) made answers wait for a connection, half the rate at concurrency 32.
            "FRONTOFFICE_DATABASE_POOL_SIZE": str(CONCURRENCY),
            "FRONTOFFICE_TRUSTED_PROXIES": PROXY,
            # Lifted (see the docstring): thousands of answers a second to one school.
            "FRONTOFFICE_RATE_LIMIT_PUBLIC": LIFTED,
            "FRONTOFFICE_FEEDBACK_RATE_LIMIT_SCHOOL": LIFTED,
        }
        with server_process("api.app:app_from_env", env) as (subject, process):
            rounds = uvloop.run(measure(name, subject, process.pid, school))
    report(rounds)


def report(rounds: list[Round]) -> None:
    best = max(rounds, key=lambda r: r.subject.rate)
    best_floor = max((r.floor for r in rounds), key=lambda m: m.rate)
    errors = sum(r.subject.errors for r in rounds)
    ratio = best.subject.rate / best_floor.rate
    server_ms = sorted(r.server_ms for r in rounds)[len(rounds) // 2]
    print(
        f"public feedback answers over HTTP (PostgreSQL, concurrency {CONCURRENCY}): ratio {ratio:.2f} "
        f"(target >= 0.30: {'met' if ratio >= 0.3 and errors == 0 else 'MISSED'})\n"
        f"  subject {best.subject.rate:,.0f} answers/s ({COUNT} a round, each a new device and address, "
        f"every one counted and stored with its feedback.received event), errors {errors}\n"
        f"          CPU per answer: server {server_ms:.2f} ms (median round), this client "
        f"{best.subject.python_ms:.2f} ms, PostgreSQL {best.subject.postgres_ms:.2f} ms (its backends "
        f"for this run {best.subject.backends_ms:.2f} ms)\n"
        f"  floor   {best_floor.rate:,.0f} inserts/s ({FLOOR_COUNT} asyncpg INSERT ... RETURNING a round "
        f"into a copy of feedback_answers), errors {sum(r.floor.errors for r in rounds)}\n"
        f"          CPU per insert: this process {best_floor.python_ms:.2f} ms, "
        f"its PostgreSQL backends {best_floor.backends_ms:.2f} ms\n"
        f"  ({ROUNDS} alternating rounds; best of each; every round: subject "
        f"{rates(COUNT, [r.subject.seconds for r in rounds])}/s, floor "
        f"{rates(FLOOR_COUNT, [r.floor.seconds for r in rounds])}/s; each round against the floor "
        f"round after it: {', '.join(f'{r.subject.rate / r.floor.rate:.2f}' for r in rounds)})",
        flush=True,
    )
