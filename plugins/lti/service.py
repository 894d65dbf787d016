"""Logins, launches and deep linking.

Everything that waits (the database, the platform's key set) happens here, asynchronously,
before pylti1p3 runs; pylti1p3 then validates in memory (see adapter.py). Its validation is
a few hundred microseconds of CPU (one RS256 verification with a cached key: see bench/lti.py),
so it runs on the event loop rather than paying a thread hand-off per launch.
"""

import asyncio
import contextlib
import hashlib
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast
from urllib.parse import urlencode

import jwt
import msgspec
import requests
from sqlalchemy import bindparam, exists, insert, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import QueuePool

from plugins.contract import (
    BadRequest,
    Completion,
    Context,
    Forbidden,
    InvalidInput,
    Learner,
    LoopWriter,
    Memo,
    NotFound,
    OneTripStatement,
    OneTripStep,
    OpenRooms,
    Unauthorized,
    add_participant,
    emit,
    issue_learner_token,
    open_console_session,
    table,
    utcnow,
)
from plugins.lti import storage as post_messages
from plugins.lti.adapter import (
    COOKIE_PREFIX,
    LitestarCookies,
    LitestarRequest,
    OneRegistration,
    RowStorage,
    ToolLaunch,
    ToolLogin,
    parse_unverified,
    session_service,
)
from plugins.lti.claims import DL, LTI, Custom, LaunchClaims
from plugins.lti.keys import ToolKeys
from plugins.lti.keysets import KeySets
from plugins.lti.metrics import Launches
from plugins.lti.models import LtiDeepLink, LtiLaunch, LtiLink, LtiRegistration, LtiUsedNonce
from plugins.lti.states import Login, Signer
from schemas.events import LtiStarted
from schemas.lti import DeepLinkResponse

SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
DEEP_LINK_TTL = timedelta(minutes=30)
CACHE_TTL = 5.0
LINK_TTL = 60.0
"""Seconds a process trusts its memory of a resource link's module (saves a write per launch)."""
# LTI roles that get the facilitator view (context and institution roles, any vocabulary).
INSTRUCTOR_ROLES = ("Instructor", "ContentDeveloper", "Administrator", "TeachingAssistant", "Mentor")
LEARNER_ROLES = ("Learner", "Student")
# Roles only an LMS's own administrators hold (institution and system roles, LTI 1.3 vocabulary):
# a teacher can't give one to themselves in their course, as they can some context roles.
LMS_ADMIN_ROLES = (
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/system/person#SysAdmin",
)


class LtiConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """District settings of the LTI plugin (registrations have their own API)."""

    front_end_url: str = ""
    """Where launches land instead of `/player/` (the same fragment is appended)."""
    token_ttl_minutes: int = 240
    """How long the learner token a launch hands out lasts."""


class LoginAnswer(msgspec.Struct, frozen=True, kw_only=True):
    redirect_url: str = ""
    html: str = ""
    cookies: dict[str, tuple[str, int | None]] = {}


class Launched(msgspec.Struct, frozen=True, kw_only=True):
    location: str = ""
    state: str
    html: str = ""
    """A page to answer instead (reading the state's secret from the platform's storage)."""
    console_session: str = ""
    """A console session the launch opened (`view=console`): the cookie to set."""


class NeedsStorage(Exception):
    """The launch came without the state cookie from a platform offering postMessage storage."""

    def __init__(self, html: str) -> None:
        super().__init__("read the state from the platform's storage")
        self.html = html


def _role_names(roles: list[str]) -> set[str]:
    """The short names of LTI roles, any vocabulary (`…/membership#Learner`, `…#Student`, `Learner`)."""
    return {r.rsplit("#", 1)[-1].rsplit("/", 1)[-1] for r in roles}


def is_instructor(roles: list[str]) -> bool:
    return not _role_names(roles).isdisjoint(INSTRUCTOR_ROLES)


def is_lms_admin(roles: list[str]) -> bool:
    return not set(roles).isdisjoint(LMS_ADMIN_ROLES)


def is_learner(roles: list[str]) -> bool:
    """A learner of the context, the only role whose launches get scores back (AGS)."""
    return not is_instructor(roles) and not _role_names(roles).isdisjoint(LEARNER_ROLES)


def issuer_hash(issuer: str) -> str:
    return hashlib.sha256(issuer.encode()).hexdigest()[:16]


EXTERNAL_ID_MAX = 200
"""The size of a learner's external id."""


def learner_external_id(issuer: str, sub: str) -> str:
    """The learner of (issuer, sub): `lti:<issuer hash>:<sub>` while that fits (the id every LTI
    learner has had), else `ltih:<issuer hash>:<SHA-256 of sub>`, whole and distinct for every
    `sub` of up to 255 characters. Its own prefix keeps it apart from every `lti:` id."""
    readable = f"lti:{issuer_hash(issuer)}:{sub}"
    if len(readable) <= EXTERNAL_ID_MAX:
        return readable
    return f"ltih:{issuer_hash(issuer)}:{hashlib.sha256(sub.encode()).hexdigest()}"


def _client_id(claims: dict[str, Any]) -> str:
    aud = claims.get("aud")
    if isinstance(aud, str) and aud:
        return aud
    if isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
        azp = claims.get("azp")
        if len(aud) > 1 and not isinstance(azp, str):
            raise Unauthorized("The id_token names several audiences and no azp; refused.")
        return azp if isinstance(azp, str) else aud[0]
    raise Unauthorized("The id_token has no aud naming this tool.")


# The launch's statements, built once with bound parameters: SQLAlchemy then compiles each
# once and finds it in its cache by a constant key (no per-launch statement building).
_COMPLETIONS = table(Completion)
COMPLETED = (
    select(_COMPLETIONS.c.id)
    .where(
        _COMPLETIONS.c.learner_id == bindparam("learner_id"),
        _COMPLETIONS.c.module_id == bindparam("module_id"),
        _COMPLETIONS.c.voided_at.is_(None),
    )
    .limit(1)
)
INSERT_DEEP_LINK = insert(table(LtiDeepLink))
LEARNER_FIELDS = ("name", "email", "employee_id", "school", "role", "updated_at")
LAUNCH_FIELDS = (
    "registration_id",
    "district_id",
    "sub",
    "resource_link_id",
    "lineitem",
    "lineitems",
    "scopes",
    "updated_at",
)


class Statements(NamedTuple):
    """The launch's dialect-specific statements."""

    learner: Any
    """Insert or update the learner; answers its id."""
    launch: Any
    """Insert or update what grades back need; answers its id."""
    link: Any
    """Remember the module of a resource link."""
    nonce: Any
    """Use a nonce up: inserts one row, or none if it was used before."""
    nonce_and_learner: Any
    """PostgreSQL only (None on SQLite, which has no data-modifying CTE): `nonce` then `learner`
    in one statement, the learner written only if the nonce was not used before; answers the
    learner's id, or no row for a used nonce."""


LEARNER_COLUMNS = ("id", "district_id", "external_id", *LEARNER_FIELDS, "created_at")


def _nonce(make: Any) -> Any:
    nonces = table(LtiUsedNonce)
    nonce = make(nonces).values(nonce=bindparam("nonce"), expires_at=bindparam("expires_at"))
    return nonce.on_conflict_do_nothing(index_elements=["nonce"])


def _learner_from(make: Any, condition: Any) -> Any:
    """`INSERT learner SELECT <bound values> WHERE condition ON CONFLICT DO UPDATE ... RETURNING
    id`: every column a bound parameter or its server default (no Python-side defaults)."""
    learners = table(Learner)
    values = select(*(bindparam(k, type_=learners.c[k].type) for k in LEARNER_COLUMNS)).where(condition)
    # The other columns take their server defaults (progress_version).
    upsert = make(learners).from_select(list(LEARNER_COLUMNS), values, include_defaults=False)
    upsert = upsert.on_conflict_do_update(
        index_elements=[learners.c.district_id, learners.c.external_id],
        set_={k: upsert.excluded[k] for k in LEARNER_FIELDS},
    )
    return upsert.returning(learners.c.id)


def _nonce_and_learner() -> Any:
    """`WITH used AS (INSERT nonce ... ON CONFLICT DO NOTHING RETURNING nonce) INSERT learner
    SELECT ... WHERE EXISTS (SELECT FROM used) ON CONFLICT DO UPDATE ... RETURNING id`: one round
    trip for the launch's write, where it writes nothing else."""
    used = _nonce(pg_insert).returning(table(LtiUsedNonce).c.nonce).cte("used")
    return _learner_from(pg_insert, exists(select(used.c.nonce))).add_cte(used)


def _statements(dialect: Dialect) -> Statements:
    make: Any = pg_insert if dialect.name == "postgresql" else sqlite_insert
    # SQLite reads `INSERT ... SELECT ... ON CONFLICT` only with a WHERE in the SELECT.
    nonce, learner = _nonce(make), _learner_from(make, true())
    launches = table(LtiLaunch)
    launch = make(launches)
    launch = launch.on_conflict_do_update(
        index_elements=[launches.c.learner_id, launches.c.module_id],
        set_={k: launch.excluded[k] for k in LAUNCH_FIELDS},
    ).returning(launches.c.id)
    links = table(LtiLink)
    link = make(links)
    link = link.on_conflict_do_update(
        index_elements=[links.c.registration_id, links.c.resource_link_id],
        set_={k: link.excluded[k] for k in ("module_id", "updated_at")},
    )
    both = _nonce_and_learner() if dialect.name == "postgresql" else None
    return Statements(learner, launch, link, nonce, both)


class SqliteWrite(NamedTuple):
    """SQLite: a launch's nonce and learner, compiled once, written by a `LoopWriter` of the
    runtime's own in one transaction, on the event loop while the write lock is free."""

    writer: LoopWriter
    nonce: OneTripStatement
    learner: OneTripStatement

    @classmethod
    def of(cls, engine: AsyncEngine, statements: Statements) -> "SqliteWrite":
        writer = LoopWriter(engine.url.database or "")
        nonce = OneTripStatement(statements.nonce, engine.dialect)
        return cls(writer, nonce, OneTripStatement(statements.learner, engine.dialect))


def _replayed() -> Unauthorized:
    return Unauthorized(
        "This launch's state and nonce were already used (a replayed launch); launch again from the LMS."
    )


def _writers(engine: AsyncEngine, sqlite: bool) -> int:
    """How many launches write at once: one on SQLite (one writer at a time); on PostgreSQL as
    many as the pool keeps connections, so that a burst of launches never opens overflow
    connections (each a new connection, closed again as soon as it is returned)."""
    pool = engine.sync_engine.pool
    return 1 if sqlite else pool.size() if isinstance(pool, QueuePool) else 5


def _kept_data(data: str) -> Any:
    """A deep-linking request's `data` as it came, from its JSON text (a row written before the
    text was JSON holds the raw string: as it was then)."""
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError:
        return data


def _fragment_target(base: str, fragment: dict[str, str]) -> str:
    return f"{base}#{urlencode(fragment)}"


class Runtime:
    """The plugin's long-lived parts, built once per app (or dispatcher) from its context."""

    def __init__(
        self,
        context: Context,
        load_config: Callable[[uuid.UUID], Awaitable[LtiConfig]],
        launches: Launches,
    ) -> None:
        self.launches = launches
        sessions, http, box, settings = context.sessions, context.http, context.secret_box, context.settings
        self.sessions = sessions
        self.catalog = context.catalog
        self.token_key = context.token_key
        self._load_config = load_config
        # Logins' states are signed under the learner tokens' key.
        self.signer = Signer(context.token_key)
        # Launches write through the engine's connections: no ORM session, nothing to flush.
        self.engine: AsyncEngine = sessions.kw["bind"]
        # A launch that writes only its nonce and learner does so in one autocommit statement
        # (PostgreSQL): no BEGIN and COMMIT round trips around it.
        self.autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.statements = _statements(self.engine.dialect)
        self.sqlite_write = SqliteWrite.of(self.engine, self.statements) if settings.is_sqlite else None
        self.http = http
        self.box = box
        self.settings = settings
        self.base_url = str(settings.base_url).rstrip("/")
        self.origin = post_messages.origin_of(self.base_url)
        """The tool's own origin: our storage page's launch posts come from it."""
        self.launch_url = f"{self.base_url}/lti/launch"
        self.keysets = KeySets(http)
        self.tool_keys = ToolKeys(sessions, box)
        self.rooms = OpenRooms(sessions)
        self.access_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self.locks: dict[str, asyncio.Lock] = {}
        self._registrations: Memo[tuple[str, str | None], LtiRegistration] = Memo(CACHE_TTL)
        self._configs: Memo[uuid.UUID, LtiConfig] = Memo(CACHE_TTL)
        self._tool_configs: dict[uuid.UUID, OneRegistration] = {}
        self._links: dict[tuple[uuid.UUID, str], tuple[str, float]] = {}
        self._writers = asyncio.Semaphore(_writers(self.engine, settings.is_sqlite))
        # pylti1p3 makes a requests session per launch unless given one; it never fetches here.
        self._requests = requests.Session()

    async def close(self) -> None:
        """Close what the runtime opened (SQLite's launch writer)."""
        if self.sqlite_write is not None:
            await self.sqlite_write.writer.close()

    async def config(self, district_id: uuid.UUID) -> LtiConfig:
        """The district's plugin settings, remembered for CACHE_TTL seconds."""
        return await self._configs.get(district_id, lambda: self._load_config(district_id))

    async def registration(self, issuer: str, client_id: str | None) -> LtiRegistration:
        """The registration of (issuer, client id), remembered for a few seconds: every launch
        looks it up twice (login and launch). A change reaches other processes within CACHE_TTL."""
        return await self._registrations.get(
            (issuer, client_id), lambda: self._registration(issuer, client_id)
        )

    async def _registration(self, issuer: str, client_id: str | None) -> LtiRegistration:
        async with self.sessions() as session:
            query = select(LtiRegistration).where(LtiRegistration.issuer == issuer)
            if client_id:
                query = query.where(LtiRegistration.client_id == client_id)
            rows = list((await session.execute(query.limit(2))).scalars())
        if not rows:
            raise Forbidden(
                f"No district has registered the platform {issuer!r}"
                + (f" with client id {client_id!r}" if client_id else "")
                + "; an administrator must register it first."
            )
        if len(rows) > 1:
            raise BadRequest(f"Platform {issuer!r} has several registrations here; send its client_id.")
        return rows[0]

    # --- OIDC login ----------------------------------------------------------------------

    async def login(self, params: dict[str, str], secure: bool, in_iframe: bool) -> LoginAnswer:
        """The redirect to the platform, with a state and nonce signed here: nothing is stored."""
        for name in ("iss", "login_hint", "target_link_uri"):
            if not params.get(name):
                raise BadRequest(f"The login request lacks `{name}`; start the launch from the LMS.")
        target = params["target_link_uri"]
        if not (target == self.base_url or target.startswith(self.base_url + "/")):
            raise BadRequest(f"target_link_uri {target!r} is not a URL of this tool ({self.base_url}).")
        row = await self.registration(params["iss"], params.get("client_id") or None)
        deployment = params.get("lti_deployment_id")
        if deployment and deployment not in row.deployment_ids:
            raise Forbidden(
                f"Deployment {deployment!r} of this platform is not registered; an administrator "
                "must add it to the registration's deployment_ids."
            )
        storage_target = params.get("lti_storage_target", "")
        signer = self.signer
        issued = signer.issue(row.id, bool(storage_target), time.time())
        request = LitestarRequest(params, secure)
        cookies = LitestarCookies({})
        sessions = session_service(request, RowStorage())
        login = ToolLogin(request, self.tool_config(row), sessions, cookies, issued)
        if in_iframe and not params.get("lti1p3_new_window"):
            # Cookies may be blocked in the LMS frame: a page checks, and offers a new tab if so.
            login.enable_check_cookies(
                main_msg="Your browser blocks cookies inside the LMS page.",
                click_msg="Open the course in a new tab.",
            )
            return LoginAnswer(html=login.redirect(self.launch_url))
        url = login.redirect(self.launch_url)
        if storage_target:  # the platform offers its frame's storage: keep the secret there too
            secret = signer.storage_secret(issued)
            page = post_messages.put_page(storage_target, url, issued.state, secret)
            return LoginAnswer(html=page, cookies=cookies.set)
        return LoginAnswer(redirect_url=url, cookies=cookies.set)

    # --- launch --------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """The write transaction of a launch. On SQLite (one writer at a time, every transaction
        a `BEGIN IMMEDIATE`) launches queue here, on the event loop, rather than in SQLite's
        busy handler, which sleeps in steps of up to 100 ms while the lock is taken."""
        async with self._writers, self.engine.begin() as connection:
            yield connection

    def _linked(self, registration_id: uuid.UUID, link_id: str) -> str | None:
        """The module of a resource link as this process last saw it (within LINK_TTL)."""
        cached = self._links.get((registration_id, link_id))
        if cached is not None and time.monotonic() - cached[1] < LINK_TTL:
            return cached[0]
        return None

    def _remember_link(self, registration_id: uuid.UUID, link_id: str, module_id: str) -> None:
        if len(self._links) > 10_000:
            self._links.clear()
        self._links[(registration_id, link_id)] = (module_id, time.monotonic())

    async def linked_module(self, registration_id: uuid.UUID, link_id: str) -> str:
        """The module a resource link of this registration showed at an earlier launch, or ""."""
        module_id = self._linked(registration_id, link_id)
        if module_id is None:
            async with self.sessions() as session:
                module_id = (
                    await session.execute(
                        select(LtiLink.module_id).where(
                            LtiLink.registration_id == registration_id, LtiLink.resource_link_id == link_id
                        )
                    )
                ).scalar_one_or_none()
            if module_id is None:
                return ""
            self._remember_link(registration_id, link_id, module_id)
        return module_id

    def tool_config(self, row: LtiRegistration) -> OneRegistration:
        """pylti1p3's configuration of a registration, built once per cached registration row."""
        cached = self._tool_configs.get(row.id)
        if cached is None or cached.row is not row:
            if len(self._tool_configs) > 10_000:
                self._tool_configs.clear()
            cached = self._tool_configs[row.id] = OneRegistration(row)
        return cached

    async def verify(
        self, params: dict[str, str], cookies: dict[str, str], same_origin: bool = False
    ) -> tuple[LtiRegistration, Login, LaunchClaims]:
        """The registration, the login and the verified claims of a launch. The nonce is not
        used up here: `use_nonce` does that, in the transaction that writes what the launch keeps."""
        id_token, state = params.get("id_token", ""), params.get("state", "")
        if not id_token or not state:
            raise BadRequest("The launch lacks `id_token` or `state`; start it again from the LMS.")
        try:
            parsed = parse_unverified(id_token)
        except ValueError:
            raise BadRequest("The id_token is not a JWT.") from None
        header, unverified = parsed.header, parsed.claims
        issuer = unverified.get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise Unauthorized("The id_token has no iss.")
        row = await self.registration(issuer, _client_id(unverified))
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("The id_token's header has no kid.")
        key = await self.keysets.key(row.key_set_url, kid)
        signer = self.signer
        login = signer.verify(state, row.id, time.time())
        # pylti1p3 is shown the one nonce issued with this state: its nonce check is the check
        # that this service issued the token's nonce for this very login.
        storage = RowStorage.with_nonce(login.nonce)
        cookies = self._browser_binding(row, params, cookies, same_origin, signer, login)
        request = LitestarRequest(params, True)
        launch = ToolLaunch(
            request,
            self.tool_config(row),
            storage,
            LitestarCookies(cookies),
            key,
            row.client_id,
            parsed,
            self._requests,
        )
        return row, login, launch.verified()

    async def use_nonce(self, connection: AsyncConnection, login: Login) -> None:
        """Use the launch's nonce up; refuse the launch if it was used before (a replay)."""
        used = await connection.execute(
            self.statements.nonce, {"nonce": login.nonce, "expires_at": login.nonce_expires_at}
        )
        if used.rowcount != 1:
            raise _replayed()

    async def use_nonce_and_upsert(
        self, connection: AsyncConnection, login: Login, learner: dict[str, Any]
    ) -> uuid.UUID:
        """Use the launch's nonce up (refusing a replay, with nothing written) and create or
        update its learner; the learner's id. One statement on PostgreSQL, two on SQLite."""
        both = self.statements.nonce_and_learner
        if both is None:
            await self.use_nonce(connection, login)
            return cast(uuid.UUID, (await connection.execute(self.statements.learner, learner)).scalar_one())
        nonce = {"nonce": login.nonce, "expires_at": login.nonce_expires_at}
        learner_id = (await connection.execute(both, {**nonce, **learner})).scalar_one_or_none()
        if learner_id is None:
            raise _replayed()
        return cast(uuid.UUID, learner_id)

    async def use_nonce_and_upsert_alone(self, login: Login, learner: dict[str, Any]) -> uuid.UUID:
        """`use_nonce_and_upsert` for a launch that writes nothing else: on PostgreSQL one
        autocommit statement; on SQLite one transaction by the `LoopWriter`."""
        sqlite = self.sqlite_write
        if sqlite is None:
            async with self._writers, self.autocommit.connect() as connection:
                return await self.use_nonce_and_upsert(connection, login, learner)
        nonce = {"nonce": login.nonce, "expires_at": login.nonce_expires_at}
        steps = [OneTripStep(sqlite.nonce, nonce, must_write=True), OneTripStep(sqlite.learner, learner)]
        async with self._writers:
            answers = await sqlite.writer.write(steps)
        if answers is None:
            raise _replayed()
        return cast(uuid.UUID, answers[1][0][0])

    def _browser_binding(
        self,
        row: LtiRegistration,
        params: dict[str, str],
        cookies: dict[str, str],
        same_origin: bool,
        signer: Signer,
        login: Login,
    ) -> dict[str, str]:
        """The cookies that bind the state to this browser; without the state cookie, the secret
        the login kept in the platform's postMessage storage does, read back by our own page."""
        state = params["state"]
        name = COOKIE_PREFIX + state
        if cookies.get(name) == state:
            return cookies
        secret = params.get(post_messages.STORAGE_SECRET)
        if secret:
            if not same_origin:
                raise Unauthorized(
                    "A launch carrying the storage secret must come from Front Office's own page."
                )
            if not signer.storage_secret_matches(login, secret):
                raise Unauthorized(
                    "The state's secret from the platform's storage does not match; launch again."
                )
            return {**cookies, name: state}
        target = params.get("lti_storage_target")
        if target:
            fields = {k: v for k, v in params.items() if k in ("id_token", "state", "lti_storage_target")}
            origin = post_messages.origin_of(row.auth_login_url)
            raise NeedsStorage(post_messages.get_page(target, origin, self.launch_url, fields))
        return cookies

    async def launch(
        self,
        params: dict[str, str],
        cookies: dict[str, str],
        same_origin: bool = False,
        in_frame: bool = False,
    ) -> Launched:
        try:
            row, login, claims = await self.verify(params, cookies, same_origin)
        except NeedsStorage as page:
            return Launched(state=params.get("state", ""), html=page.html)
        state = params["state"]
        cohort = claims.context.cohort if claims.context is not None else ""
        room: uuid.UUID | None = None
        try:
            config = await self.config(row.district_id)
            instructor = is_instructor(claims.roles)
            custom = claims.custom or Custom()
            deep_linking = claims.is_deep_linking
            if custom.get("view") == "console" and not deep_linking:
                return await self._console(row, login, claims, state, instructor, in_frame)
            module_id = custom.get("module")
            link_id = claims.resource_link.id if claims.resource_link is not None else ""
            if deep_linking and not instructor:
                raise Forbidden("Only instructors may pick modules for the LMS (deep linking).")
            remember_link = bool(module_id and link_id and self._linked(row.id, link_id) != module_id)
            if not deep_linking:
                if not module_id and link_id:
                    module_id = await self.linked_module(row.id, link_id)
                if not module_id:
                    raise InvalidInput(
                        "The LTI link names no module: give it the custom parameter module=<id> "
                        "(deep linking does), or launch it once with it so its resource link is "
                        "remembered."
                    )
                try:
                    await self.catalog.entry(module_id)
                except NotFound:
                    raise InvalidInput(
                        f"The LTI link names module {module_id!r}, which does not exist."
                    ) from None
                if not instructor:  # a learner launched into a live workshop's room joins it
                    room = await self.rooms.find(
                        row.district_id, module_id, custom.get("workshop").strip(), cohort
                    )
        except (Forbidden, InvalidInput):
            async with self.writing() as connection:  # a refused launch uses its nonce up too
                await self.use_nonce(connection, login)
            raise
        now = utcnow()
        learner: dict[str, Any] = {
            "district_id": row.district_id,
            "external_id": learner_external_id(row.issuer, claims.sub),
            "name": (claims.name or "")[:200],
            "email": (claims.email or "")[:320],
            "employee_id": custom.get("employee_id")[:100],
            "school": custom.get("school")[:200],
            "role": (custom.get("job_role") or custom.get("role"))[:100],
            "updated_at": now,
        }
        fragment = {
            "module": module_id,
            "lang": claims.presentation.lang if claims.presentation is not None else "",
            "view": "picker" if deep_linking else ("facilitator" if instructor else "learner"),
        }
        learner["id"], learner["created_at"] = uuid.uuid4(), now
        grades = claims.ags is not None and is_learner(claims.roles)
        keeps_more = deep_linking or remember_link or room is not None or grades
        if not keeps_more:
            learner_id = await self.use_nonce_and_upsert_alone(login, learner)
        else:
            # One write transaction: the nonce used up, the learner created or updated, and
            # what grades back or deep linking need. A refusal rolls it all back.
            async with self.writing() as connection:
                learner_id = await self.use_nonce_and_upsert(connection, login, learner)
                if remember_link and not deep_linking:
                    link = {"registration_id": row.id, "resource_link_id": link_id, "module_id": module_id}
                    await connection.execute(self.statements.link, {**link, "updated_at": now})
                if deep_linking:
                    settings = claims.deep_linking
                    assert settings is not None  # checked by claims.decode
                    fragment["dl"] = secrets.token_urlsafe(24)
                    await connection.execute(
                        INSERT_DEEP_LINK,
                        {
                            "id": fragment["dl"],
                            "registration_id": row.id,
                            "learner_id": learner_id,
                            "deployment_id": claims.deployment_id,
                            "return_url": settings.deep_link_return_url,
                            "data": settings.data_json,
                            "accept_multiple": settings.accept_multiple is not False,
                            "expires_at": now + DEEP_LINK_TTL,
                        },
                    )
                else:
                    await self._remember(connection, row, claims, learner_id, module_id)
                    if room is not None:
                        await add_participant(connection, room, learner_id)
        if remember_link and not deep_linking:
            self._remember_link(row.id, link_id, module_id)
        token, _ = issue_learner_token(
            self.token_key,
            row.district_id,
            learner_id,
            cohort,
            timedelta(minutes=config.token_ttl_minutes),
            instructor,
        )
        base = config.front_end_url or f"{self.base_url}/player/"
        return Launched(location=_fragment_target(base, {"token": token, **fragment}), state=state)

    async def _console(
        self,
        row: LtiRegistration,
        login: Login,
        claims: LaunchClaims,
        state: str,
        instructor: bool,
        in_frame: bool,
    ) -> Launched:
        """A launch of the console link: an instructor or LMS administrator gets a console session
        for the registration's district (its role decided conservatively by the console: see
        `open_console_session`); a learner is refused. The nonce is used up first, so a replayed
        launch opens nothing."""
        if not instructor:
            raise Forbidden(
                "Only instructors and LMS administrators may open the district console from the LMS."
            )
        if in_frame:
            # The console's cookie is SameSite=Lax: a browser drops it inside another site's frame.
            raise Forbidden(
                "The district console can't open inside the LMS's frame; set this link to open in a "
                "new window (Canvas: a new tab; Moodle: launch container New window) and launch it again."
            )
        async with self.writing() as connection:
            await self.use_nonce(connection, login)
        opened = await open_console_session(
            self.sessions,
            row.district_id,
            learner_external_id(row.issuer, claims.sub),
            claims.name or "",
            claims.email or "",
            is_lms_admin(claims.roles),
        )
        location = f"{self.base_url}/console/{opened.district}/"
        return Launched(location=location, state=state, console_session=opened.session_id)

    async def _remember(
        self,
        connection: AsyncConnection,
        row: LtiRegistration,
        claims: LaunchClaims,
        learner_id: uuid.UUID,
        module_id: str,
    ) -> uuid.UUID | None:
        """What grades back need, kept per learner and module (the newest launch wins); the
        launch row's id, or None without AGS. Only learners get scores: another role's launch
        (an instructor's, say) keeps nothing, so no `Started` nor completion score goes out
        under their userId."""
        endpoint = claims.ags
        if endpoint is None or not is_learner(claims.roles):
            return None
        now = utcnow()
        values: dict[str, Any] = {
            "registration_id": row.id,
            "district_id": row.district_id,
            "sub": claims.sub,
            "resource_link_id": claims.resource_link.id if claims.resource_link is not None else "",
            "lineitem": endpoint.lineitem,
            "lineitems": endpoint.lineitems,
            "scopes": endpoint.scope,
            "updated_at": now,
        }
        values["id"], values["learner_id"], values["module_id"] = uuid.uuid4(), learner_id, module_id
        launch_id = cast(uuid.UUID, (await connection.execute(self.statements.launch, values)).scalar_one())
        if SCORE in values["scopes"]:
            await self._started(connection, row, launch_id, learner_id, module_id, now)
        return launch_id

    async def _started(
        self,
        connection: AsyncConnection,
        row: LtiRegistration,
        launch_id: uuid.UUID,
        learner_id: uuid.UUID,
        module_id: str,
        now: datetime,
    ) -> None:
        """A learner without a completion of the module: queue a `Started` score for the
        launch (sent by the dispatcher with retries, never in the request path), as the
        plugin's own event, `lti.started`, which only this plugin takes."""
        done = await connection.execute(COMPLETED, {"learner_id": learner_id, "module_id": module_id})
        if done.first() is not None:
            return
        started = LtiStarted(launch_id=launch_id, module_id=module_id, at=now)
        await emit(connection, row.district_id, started, now)

    # --- deep linking ----------------------------------------------------------------------

    async def deep_link_response(
        self, dl_id: str, district_id: uuid.UUID, learner_id: uuid.UUID, modules: list[str]
    ) -> DeepLinkResponse:
        """The signed answer to a deep-linking request: one resource link per module picked, or
        only the first one picked where the platform said `accept_multiple: false`."""
        titles: list[tuple[str, str]] = []
        for module_id in dict.fromkeys(modules):
            try:
                entry = await self.catalog.entry(module_id)
            except NotFound:
                raise InvalidInput(f"There is no module {module_id!r}.") from None
            titles.append((module_id, entry.module.title))
        now = utcnow()
        async with self.sessions.begin() as session:
            dl = await session.get(LtiDeepLink, dl_id)
            if dl is None or dl.learner_id != learner_id:
                raise NotFound("No such deep-linking request for this instructor.")
            row = await session.get(LtiRegistration, dl.registration_id)
            if row is None or row.district_id != district_id:
                raise NotFound("No such deep-linking request for this instructor.")
            used = await session.execute(
                update(LtiDeepLink)
                .where(LtiDeepLink.id == dl_id, LtiDeepLink.used_at.is_(None), LtiDeepLink.expires_at > now)
                .values(used_at=now)
            )
            if used.rowcount != 1:  # type: ignore[attr-defined]
                raise NotFound("This deep-linking request was already answered or has expired; start again.")
            return_url, deployment_id, data = dl.return_url, dl.deployment_id, dl.data
            issuer, client_id = row.issuer, row.client_id
            if not dl.accept_multiple:
                titles = titles[:1]
        items = [
            {
                "type": "ltiResourceLink",
                "title": title,
                "url": self.launch_url,
                "custom": {"module": module_id},
                "lineItem": {"scoreMaximum": 100, "label": title, "resourceId": module_id},
            }
            for module_id, title in titles
        ]
        claims: dict[str, Any] = {
            "iss": client_id,
            "aud": issuer,
            "azp": client_id,
            "iat": int(time.time()),
            "exp": int(time.time()) + 600,
            "nonce": secrets.token_urlsafe(16),
            LTI + "message_type": "LtiDeepLinkingResponse",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": deployment_id,
            DL + "content_items": items,
        }
        if data is not None:
            claims[DL + "data"] = _kept_data(data)
        key = await self.tool_keys.signing()
        token = jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": key.kid})
        return DeepLinkResponse(return_url=return_url, jwt=token)
