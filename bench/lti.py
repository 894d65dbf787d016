"""Complete LTI launches (OIDC login + verified launch, the platform's key set cached) per
second, against a floor measured in the same run: a bare Litestar handler that only verifies
the same RS256 id_tokens with PyJWT. Target: at least 0.5 of the floor.

Subject and floor run under the same server (uvicorn, uvloop, httptools, one worker; SQLite,
then PostgreSQL if reachable, for the subject) and are loaded by one client at the same
concurrency, in alternating rounds. The platform's part (signing each id_token with the nonce
of its login) is done between the timed phases: it is the LMS's cost, not ours. Every launch
is a new learner (a new `sub`): it writes the learner and uses up its nonce, as a real first
launch does.

The client is aiohttp on uvloop, for subject and floor alike. It shares this machine's cores
with the servers, so its own CPU per request counts against both: httpx on asyncio's loop
spent 1.6-3.8 ms of CPU per request here (aiohttp on uvloop 0.2-0.5 ms), more than either
server, and the ratio measured the client. The servers' own CPU per operation (from /proc)
is printed too: it does not depend on the client or on what else runs on the machine.
"""

import asyncio
import os
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import asyncpg
import jwt
import msgspec
import uvloop
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from litestar import Litestar, Request, get, post

from api.admin.services import DistrictService
from api.runtime import open_runtime
from api.settings import Settings
from bench.harness import server_process
from plugins.lti.registrations import Registrations
from schemas.lti import RegistrationWrite
from tests.lti.platform import Platform, public_pem

PUBLIC = "https://bench.local"  # the service's public URL (TLS ends at a proxy in production)
MODULE = "who-are-our-customers"
LAUNCHES = 400
CONCURRENCY = 16
ROUNDS = 3
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
SECRET_KEY = "bench-secret-key-of-at-least-32-bytes!!"
POSTGRES_ADMIN_URL = os.environ.get(
    "FRONTOFFICE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def floor_app() -> Litestar:
    """POST /verify: verify the form's id_token (RS256, audience) with PyJWT; nothing else."""
    key = Path(os.environ["BENCH_PUBLIC_KEY_FILE"]).read_text()
    audience = os.environ["BENCH_CLIENT_ID"]

    @post("/verify", status_code=200)
    async def verify(request: Request[Any, Any, Any]) -> dict[str, str]:
        form = await request.form()
        claims = jwt.decode(str(form["id_token"]), key, algorithms=["RS256"], audience=audience)
        return {"sub": claims["sub"]}

    @get("/healthz", sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar([verify, healthz])


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Round(msgspec.Struct, frozen=True):
    launches: float
    """Complete launches (login, then launch post) per second."""
    floor: float
    """Floor verifications per second."""
    logins: float
    posts: float
    login_cpu: float
    """The subject server's CPU seconds per login; then per launch post, per floor verification."""
    post_cpu: float
    floor_cpu: float


async def concurrently(count: int, work: Callable[[int], Awaitable[None]]) -> float:
    pending = list(range(count))

    async def worker() -> None:
        while pending:
            await work(pending.pop())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started


class Signer:
    """The platform's signing, with the key loaded once (lti1p3platform reloads it per launch)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.key = load_pem_private_key(platform.private_pem.encode(), password=None)
        self.kid = platform.kid  # computing it loads the private key again: once

    def id_token(self, sub: str, nonce: str) -> str:
        p = self.platform
        now = int(time.time())
        claims = {
            "iss": p.issuer,
            "aud": p.client_id,
            "azp": p.client_id,
            "sub": sub,
            "nonce": nonce,
            "iat": now,
            "exp": now + 300,
            LTI + "deployment_id": p.deployment_id,
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            LTI + "resource_link": {"id": "link-1"},
            LTI + "target_link_uri": f"{PUBLIC}/lti/launch",
            LTI + "custom": {"module": MODULE},
            "name": f"Bench Learner {sub}",
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})  # type: ignore[arg-type]


async def one_round(
    http: aiohttp.ClientSession, subject: tuple[str, int], floor: tuple[str, int], signer: Signer, offset: int
) -> Round:
    """One timed round of logins, launch posts and floor verifications."""
    (base, pid), (floor_base, floor_pid) = subject, floor
    auth: dict[int, dict[str, str]] = {}
    cookies: dict[int, str] = {}

    async def login(i: int) -> None:
        url = urlsplit(signer.platform.login_url(f"bench-{offset + i}"))
        async with http.get(f"{base}{url.path}?{url.query}", allow_redirects=False) as response:
            assert response.status == 302, await response.text()
            auth[i] = dict(parse_qsl(urlsplit(response.headers["location"]).query))
            cookies[i] = response.headers["set-cookie"].split(";", 1)[0]

    cpu = cpu_seconds(pid)
    login_seconds = await concurrently(LAUNCHES, login)
    login_cpu = cpu_seconds(pid) - cpu
    forms = {
        i: {"id_token": signer.id_token(f"bench-{offset + i}", auth[i]["nonce"]), "state": auth[i]["state"]}
        for i in range(LAUNCHES)
    }

    async def launch(i: int) -> None:
        headers = {"cookie": cookies[i]}
        async with http.post(
            f"{base}/lti/launch", data=forms[i], headers=headers, allow_redirects=False
        ) as r:
            assert r.status == 303, await r.text()
            await r.read()

    cpu = cpu_seconds(pid)
    launch_seconds = await concurrently(LAUNCHES, launch)
    post_cpu = cpu_seconds(pid) - cpu

    async def verify(i: int) -> None:
        async with http.post(f"{floor_base}/verify", data=forms[i]) as response:
            assert response.status == 200, await response.text()
            await response.read()

    cpu = cpu_seconds(floor_pid)
    floor_seconds = await concurrently(LAUNCHES, verify)
    floor_cpu = cpu_seconds(floor_pid) - cpu
    return Round(
        launches=LAUNCHES / (login_seconds + launch_seconds),
        floor=LAUNCHES / floor_seconds,
        logins=LAUNCHES / login_seconds,
        posts=LAUNCHES / launch_seconds,
        login_cpu=login_cpu / LAUNCHES,
        post_cpu=post_cpu / LAUNCHES,
        floor_cpu=floor_cpu / LAUNCHES,
    )


async def prepare(url: str, platform: Platform) -> None:
    settings = Settings(database_url=url, log_level="WARNING")
    async with open_runtime(settings, migrate=True, publish=False) as runtime:
        district = await DistrictService(runtime.sessions).create("bench", "Bench District")
        registration = msgspec.convert(platform.registration_body(), RegistrationWrite)
        await Registrations(runtime.sessions, district.id).put(registration)


async def measure(subject: tuple[str, int], floor: tuple[str, int], signer: Signer) -> list[Round]:
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    timeout = aiohttp.ClientTimeout(total=30)
    # No cookie jar: each launch sends the cookie of its own login, as its browser would.
    jar = aiohttp.DummyCookieJar()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=jar) as http:
        await one_round(http, subject, floor, signer, -LAUNCHES)  # warm-up: the key set is cached
        return [await one_round(http, subject, floor, signer, n * LAUNCHES) for n in range(ROUNDS)]


@contextmanager
def database(backend: str, tmp: str) -> Iterator[str | None]:
    """A fresh database URL for `backend`; None when PostgreSQL is not reachable."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp}/lti.db"
        return
    name = f"frontoffice_bench_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"LTI launches on PostgreSQL: skipped, not reachable at {POSTGRES_ADMIN_URL} ({exc})")
        yield None
        return
    try:
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run() -> None:
    for backend in ("sqlite", "postgres"):
        run_on(backend)


def run_on(backend: str) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        database(backend, tmp) as url,
        Platform("https://lms.bench", "bench-client", "dep-1", PUBLIC).running() as platform,
    ):
        if url is None:
            return
        asyncio.run(prepare(url, platform))
        key_file = Path(tmp) / "platform.pem"
        key_file.write_text(public_pem(platform.private_pem))
        env = {
            "FRONTOFFICE_DATABASE_URL": url,
            "FRONTOFFICE_BASE_URL": PUBLIC,
            "FRONTOFFICE_SECRET_KEY": SECRET_KEY,
            "FRONTOFFICE_LOG_LEVEL": "WARNING",
            "FRONTOFFICE_DISPATCH_IN_APP": "false",
            "FRONTOFFICE_OUTBOUND_ALLOWLIST": "127.0.0.1",
            # The benchmark launches thousands of times a minute from one address; the limit's
            # counting still runs (a process-local count), as it does in production.
            "FRONTOFFICE_RATE_LIMIT_PUBLIC": "100000000/minute",
        }
        floor_env = {"BENCH_PUBLIC_KEY_FILE": str(key_file), "BENCH_CLIENT_ID": platform.client_id}
        with (
            server_process("api.app:app_from_env", env) as (subject, subject_process),
            server_process("bench.lti:floor_app", floor_env) as (floor, floor_process),
        ):
            results = uvloop.run(
                measure((subject, subject_process.pid), (floor, floor_process.pid), Signer(platform))
            )
    report(backend, results)


def report(backend: str, results: list[Round]) -> None:
    best_subject = max(r.launches for r in results)
    best_floor = max(r.floor for r in results)
    ratio = best_subject / best_floor
    verdict = "met" if ratio >= 0.5 else "MISSED"
    # CPU: the median round's, in milliseconds (the server process only, not PostgreSQL's).
    login, post, floor = (
        1000 * sorted(getattr(r, f) for r in results)[len(results) // 2]
        for f in ("login_cpu", "post_cpu", "floor_cpu")
    )
    print(
        f"LTI complete launches (login + launch, key set cached, {backend}): ratio {ratio:.2f} "
        f"(target >= 0.50: {verdict})\n"
        f"  subject {best_subject:,.0f} launches/s; floor {best_floor:,.0f} RS256 id_token verifications/s\n"
        f"  (the two requests alone: {max(r.logins for r in results):,.0f} logins/s, "
        f"{max(r.posts for r in results):,.0f} launch posts/s)\n"
        f"  server CPU: {login:.2f} ms per login + {post:.2f} ms per launch post = {login + post:.2f} ms "
        f"per launch; floor {floor:.2f} ms per verification (CPU ratio {floor / (login + post):.2f})\n"
        f"  ({ROUNDS} alternating rounds of {LAUNCHES} at concurrency {CONCURRENCY}; best of each)",
        flush=True,
    )
