"""Complete LTI launches (OIDC login + verified launch, the platform's key set cached) per
second, against a floor measured in the same run: a bare Litestar app doing the minimal correct
LTI 1.3 flow on the same database (`floor_app`). Target: at least 0.5 of the floor.

Subject and floor run under the same server (uvicorn, uvloop, httptools, one worker; SQLite,
then PostgreSQL if reachable, for the subject) and are loaded by one client at the same
concurrency, in alternating rounds. The platform's part (signing each id_token with the nonce
of its login) is done between the timed phases: it is the LMS's cost, not ours. Every launch
is a new learner (a new `sub`): it writes the learner and uses up its nonce, as a real first
launch does. Each comes from an LMS course (a `context` claim, as every course link sends), so
it looks for the open workshop room of its cohort, as a real learner's launch does.

The client is aiohttp on uvloop, for subject and floor alike. It shares this machine's cores
with the servers, so its own CPU per request counts against both: httpx on asyncio's loop
spent 1.6-3.8 ms of CPU per request here (aiohttp on uvloop 0.2-0.5 ms), more than either
server, and the ratio measured the client. The servers' own CPU per operation (from /proc)
is printed too: it does not depend on the client or on what else runs on the machine.

`BENCH_LTI_DATABASES` picks the databases (default `sqlite,postgres`; `sqlite` runs just that one).
"""

import asyncio
import hashlib
import hmac
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
import aiosqlite
import asyncpg
import jwt
import msgspec
import uvloop
from litestar import Litestar, Request, get, post
from litestar.exceptions import HTTPException
from litestar.response import Redirect

from api.admin.services import DistrictService
from api.runtime import open_runtime
from api.settings import Settings
from bench.harness import cpu_seconds, server_process
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


NONCE_COLUMNS = "nonce TEXT PRIMARY KEY, expires_at"


def floor_app() -> Litestar:
    """The minimal correct LTI 1.3 flow, bare, on the same database as the subject:
    GET /lti/login answers 302 to the platform with an HMAC-signed state (nonce and expiry) also
    set as a cookie; POST /lti/launch checks the state against its cookie and signature, verifies
    the RS256 id_token (issuer, audience, expiry) with PyJWT, checks its nonce and message claims,
    uses the nonce up with one committed INSERT (its primary key refuses a second use), and
    answers 303."""
    key = Path(os.environ["BENCH_PUBLIC_KEY_FILE"]).read_text()
    audience, issuer = os.environ["BENCH_CLIENT_ID"], os.environ["BENCH_ISSUER"]
    auth_url, url = os.environ["BENCH_AUTH_URL"], os.environ["BENCH_DATABASE_URL"]
    secret = secrets.token_bytes(32)
    store: dict[str, Any] = {}

    def sign(payload: str) -> str:
        return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()

    async def open_store() -> None:
        if url.startswith("sqlite"):
            db = await aiosqlite.connect(url.split(":///", 1)[1], isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
                await db.execute(f"PRAGMA {pragma}")
            await db.execute(
                "CREATE TABLE IF NOT EXISTS floor_nonces (nonce TEXT PRIMARY KEY, expires_at REAL)"
            )
            store["sqlite"] = db
        else:
            pool = await asyncpg.create_pool(
                url.replace("postgresql+asyncpg://", "postgresql://"), max_size=10
            )
            await pool.execute(f"CREATE TABLE IF NOT EXISTS floor_nonces ({NONCE_COLUMNS} DOUBLE PRECISION)")
            store["postgres"] = pool

    async def close_store() -> None:
        if "sqlite" in store:
            await store["sqlite"].close()
        if "postgres" in store:
            await store["postgres"].close()

    async def use_up(nonce: str, expires_at: float) -> None:
        if "sqlite" in store:
            await store["sqlite"].execute("INSERT INTO floor_nonces VALUES (?, ?)", (nonce, expires_at))
        else:
            await store["postgres"].execute("INSERT INTO floor_nonces VALUES ($1, $2)", nonce, expires_at)

    @get("/lti/login", sync_to_thread=False)
    def login(request: Request[Any, Any, Any]) -> Redirect:
        query = request.query_params
        if query.get("iss") != issuer or not query.get("login_hint"):
            raise HTTPException(status_code=400, detail="unknown platform")
        nonce, expires = secrets.token_urlsafe(16), time.time() + 600
        payload = f"{nonce}.{expires:.0f}"
        state = f"{payload}.{sign(payload)}"
        params = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": audience,
            "redirect_uri": query.get("target_link_uri", ""),
            "login_hint": query.get("login_hint", ""),
            "lti_message_hint": query.get("lti_message_hint", ""),
            "state": state,
            "nonce": nonce,
        }
        response = Redirect(f"{auth_url}?{urlencode(params)}", status_code=302)
        response.set_cookie("lti_state", state, httponly=True, secure=True, samesite="none")
        return response

    @post("/lti/launch")
    async def launch(request: Request[Any, Any, Any]) -> Redirect:
        form = await request.form()
        state = str(form.get("state", ""))
        payload, _, mac = state.rpartition(".")
        nonce, _, expires = payload.partition(".")
        if request.cookies.get("lti_state") != state or not hmac.compare_digest(mac, sign(payload)):
            raise HTTPException(status_code=401, detail="bad state")
        if float(expires) < time.time():
            raise HTTPException(status_code=401, detail="expired state")
        claims = jwt.decode(
            str(form["id_token"]), key, algorithms=["RS256"], audience=audience, issuer=issuer
        )
        if claims.get("nonce") != nonce or claims.get(LTI + "message_type") != "LtiResourceLinkRequest":
            raise HTTPException(status_code=401, detail="bad id_token")
        if claims.get(LTI + "version") != "1.3.0" or not claims.get(LTI + "deployment_id"):
            raise HTTPException(status_code=401, detail="bad id_token")
        await use_up(nonce, float(expires))
        return Redirect(f"/player/?module={MODULE}", status_code=303)

    @get("/healthz", sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar([login, launch, healthz], on_startup=[open_store], on_shutdown=[close_store])


class Flow(msgspec.Struct, frozen=True):
    """One server's timed logins and launch posts: seconds, and its CPU seconds, for each."""

    login_seconds: float
    launch_seconds: float
    login_cpu: float
    launch_cpu: float

    @property
    def launches(self) -> float:
        """Complete launches (login, then launch post) per second."""
        return LAUNCHES / (self.login_seconds + self.launch_seconds)

    @property
    def cpu(self) -> float:
        """Server CPU seconds per complete launch."""
        return (self.login_cpu + self.launch_cpu) / LAUNCHES


class Round(msgspec.Struct, frozen=True):
    subject: Flow
    floor: Flow


async def concurrently(count: int, work: Callable[[int], Awaitable[None]]) -> float:
    pending = list(range(count))

    async def worker() -> None:
        while pending:
            await work(pending.pop())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started


class Signer:
    """The platform's launch messages, signed without lti1p3platform's message building."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.key = platform.signing_key
        self.kid = platform.kid

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
            LTI + "context": {"id": "course-1", "title": "Front desk 2026"},
            "name": f"Bench Learner {sub}",
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})  # type: ignore[arg-type]


async def flow(http: aiohttp.ClientSession, server: tuple[str, int], signer: Signer, subs: list[str]) -> Flow:
    """Log in each of `subs`, sign their id_tokens (the platform's part, untimed), and post the
    launches: timed phases, as the LMS and the browser drive a real launch."""
    base, pid = server
    auth: dict[int, dict[str, str]] = {}
    cookies: dict[int, str] = {}

    async def login(i: int) -> None:
        url = urlsplit(signer.platform.login_url(subs[i]))
        async with http.get(f"{base}{url.path}?{url.query}", allow_redirects=False) as response:
            assert response.status == 302, await response.text()
            auth[i] = dict(parse_qsl(urlsplit(response.headers["location"]).query))
            cookies[i] = response.headers["set-cookie"].split(";", 1)[0]

    cpu = cpu_seconds(pid)
    login_seconds = await concurrently(LAUNCHES, login)
    login_cpu = cpu_seconds(pid) - cpu
    forms = {
        i: {"id_token": signer.id_token(subs[i], auth[i]["nonce"]), "state": auth[i]["state"]}
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
    return Flow(login_seconds, launch_seconds, login_cpu, cpu_seconds(pid) - cpu)


async def one_round(
    http: aiohttp.ClientSession, subject: tuple[str, int], floor: tuple[str, int], signer: Signer, offset: int
) -> Round:
    """One timed round of complete launches on the subject, then on the floor. Every launch is a
    new learner (a new `sub`) and uses up a new nonce."""
    subs = [f"bench-{offset + i}" for i in range(LAUNCHES)]
    return Round(subject=await flow(http, subject, signer, subs), floor=await flow(http, floor, signer, subs))


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


BACKENDS = ("sqlite", "postgres")


def run() -> None:
    backends = [b.strip() for b in os.environ.get("BENCH_LTI_DATABASES", ",".join(BACKENDS)).split(",")]
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        raise SystemExit(f"BENCH_LTI_DATABASES: unknown {sorted(unknown)}; choose from {list(BACKENDS)}")
    for backend in backends:
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
        floor_env = {
            "BENCH_PUBLIC_KEY_FILE": str(key_file),
            "BENCH_CLIENT_ID": platform.client_id,
            "BENCH_ISSUER": platform.issuer,
            "BENCH_AUTH_URL": f"{platform.url}/auth",
            "BENCH_DATABASE_URL": url,
        }
        with (
            server_process(os.environ.get("BENCH_LTI_SUBJECT", "api.app:app_from_env"), env) as (
                subject,
                subject_process,
            ),
            server_process("bench.lti:floor_app", floor_env) as (floor, floor_process),
        ):
            results = uvloop.run(
                measure((subject, subject_process.pid), (floor, floor_process.pid), Signer(platform))
            )
    report(backend, results)


def report(backend: str, results: list[Round]) -> None:
    best_subject = max(r.subject.launches for r in results)
    best_floor = max(r.floor.launches for r in results)
    ratio = best_subject / best_floor
    verdict = "met" if ratio >= 0.5 else "MISSED"
    # CPU: the median round's, in milliseconds (the server process only, not PostgreSQL's).
    subject_cpu = 1000 * statistics.median_low(r.subject.cpu for r in results)
    floor_cpu = 1000 * statistics.median_low(r.floor.cpu for r in results)

    def split(flows: list[Flow]) -> str:
        """The median round's CPU per login and per launch post, in milliseconds."""
        login = 1000 * statistics.median_low(f.login_cpu for f in flows) / LAUNCHES
        launch = 1000 * statistics.median_low(f.launch_cpu for f in flows) / LAUNCHES
        return f"login {login:.2f} + launch {launch:.2f} ms"

    subject_split, floor_split = split([r.subject for r in results]), split([r.floor for r in results])
    print(
        f"LTI complete launches (login + launch, key set cached, {backend}): ratio {ratio:.2f} "
        f"(target >= 0.50: {verdict})\n"
        f"  subject {best_subject:,.0f} launches/s; floor {best_floor:,.0f} launches/s (a bare Litestar "
        "app: HMAC-signed state, RS256 id_token, the nonce used up by one committed INSERT)\n"
        f"  server CPU per launch: subject {subject_cpu:.2f} ms, floor {floor_cpu:.2f} ms "
        f"(CPU ratio {floor_cpu / subject_cpu:.2f})\n"
        f"  of which: subject {subject_split}, floor {floor_split}\n"
        f"  ({ROUNDS} alternating rounds of {LAUNCHES} at concurrency {CONCURRENCY}; best of each)",
        flush=True,
    )
