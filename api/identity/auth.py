"""Authentication and authorization: API keys (hashed, scoped), console sessions (a cookie,
with a CSRF token on every state-changing call) and the scope guard.

A key reads `fo_<prefix>_<secret>`. The prefix finds the row; the SHA-256 of the whole key
must match the stored hash (keys are 256-bit random, so a fast hash is as safe as a slow
one and keeps every request cheap). The principal a request acts as is `request.auth`.
"""

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta
from enum import StrEnum
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Sessions
from api.errors import Forbidden, Unauthorized
from api.identity import tokens
from api.memo import Memo
from api.models import ApiKey, AuditEntry, ConsoleSession, District, utcnow


class Scope(StrEnum):
    """What a key may do. `admin` manages the district's keys and settings."""

    ADMIN = "admin"
    CONTENT_READ = "content:read"
    CONTENT_FACILITATE = "content:facilitate"
    PROGRESS_WRITE = "progress:write"
    REPORTS_READ = "reports:read"
    HR_READ = "hr:read"
    FEEDBACK_READ = "feedback:read"
    DIALOGUES_READ = "dialogues:read"
    DIALOGUES_WRITE = "dialogues:write"
    ASSIGNMENTS_WRITE = "assignments:write"
    MEASURES_WRITE = "measures:write"
    PLANS_READ = "plans:read"
    PLANS_WRITE = "plans:write"
    IMPACT_READ = "impact:read"
    WORKSHOPS_RUN = "workshops:run"
    LEARNER = "learner"  # held only by learner tokens, never granted to a key


LEARNER_SCOPES = frozenset({Scope.CONTENT_READ.value, Scope.LEARNER.value})
# An instructor (a facilitator token) also reads the script and the group's reports, and runs
# live workshops.
FACILITATOR_SCOPES = LEARNER_SCOPES | {
    Scope.CONTENT_FACILITATE.value,
    Scope.REPORTS_READ.value,
    Scope.WORKSHOPS_RUN.value,
}
ALL_KEY_SCOPES = [scope.value for scope in Scope if scope is not Scope.LEARNER]
"""Every scope a key may hold, in the order they are documented."""
KEY_SCOPES = frozenset(ALL_KEY_SCOPES)


# A person signed in to the console acts with their role's scopes, as a key would with its own:
# - district_admin: every key scope (runs the district: keys, settings, integrations);
# - hr: HR's records and exports, assignments, the schools' feedback, inbox and measures;
# - principal: hr:read, reports:read, content:read, their school's concerns inbox
#   (dialogues:read, dialogues:write), and only on routes that filter by school, always to
#   their own school, or that read no district data (`school_scoped`);
# - facilitator: what a facilitator token holds (the script and the group's reports).
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "district_admin": KEY_SCOPES,
    "hr": frozenset(
        s.value
        for s in (
            Scope.HR_READ,
            Scope.REPORTS_READ,
            Scope.CONTENT_READ,
            Scope.ASSIGNMENTS_WRITE,
            Scope.FEEDBACK_READ,
            Scope.DIALOGUES_READ,
            Scope.DIALOGUES_WRITE,
            Scope.MEASURES_WRITE,
        )
    ),
    "principal": frozenset(
        s.value
        for s in (
            Scope.HR_READ,
            Scope.REPORTS_READ,
            Scope.CONTENT_READ,
            Scope.DIALOGUES_READ,
            Scope.DIALOGUES_WRITE,
        )
    ),
    "facilitator": FACILITATOR_SCOPES - {Scope.LEARNER.value},
}


class Credential(StrEnum):
    """The kinds of bearer credential; the values name their OpenAPI security schemes."""

    API_KEY = "apiKey"
    LEARNER_TOKEN = "learnerToken"


# The scopes a credential of each kind may hold, and those every one of its kind holds.
MAY_HOLD = {Credential.API_KEY: KEY_SCOPES, Credential.LEARNER_TOKEN: FACILITATOR_SCOPES}
ALWAYS_HOLDS = {Credential.API_KEY: frozenset[str](), Credential.LEARNER_TOKEN: LEARNER_SCOPES}


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who a request acts for: a district, through an API key or as one of its learners."""

    district_id: uuid.UUID
    scopes: frozenset[str]
    key_id: uuid.UUID | None = None
    learner_id: uuid.UUID | None = None
    cohort: str = ""
    session: str = ""
    """A console session's hashed id; empty for keys and learner tokens."""
    actor: str = ""
    """The person behind a console session: `Name <email>`."""
    school: str = ""
    """A principal's school: they see that school only."""

    @property
    def caller(self) -> str:
        """A stable name for the caller (idempotency keys are scoped by it)."""
        if self.session:
            return f"console:{self.session}"
        return f"key:{self.key_id}" if self.key_id else f"learner:{self.learner_id}"

    def school_filter(self, school: str) -> str:
        """The school a school-filtered read is limited to: a principal's own (asking for another
        school is a 403), anyone else's choice."""
        if not self.school:
            return school
        if school and school != self.school:
            raise Forbidden(f"You see only your school ({self.school}); leave `school` out or use that code.")
        return self.school


# Touching last_used_at on every request would make each read a write; a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def new_key() -> tuple[str, str, str]:
    """A fresh key: (the key as shown once, its prefix, its hash)."""
    prefix = secrets.token_hex(6)
    key = f"fo_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_key(key)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


_HEX = frozenset("0123456789abcdef")


def _prefix_of(key: str) -> str | None:
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "fo" or len(parts[1]) != 12 or not _HEX.issuperset(parts[1]):
        return None
    return parts[1]


# Principals of keys by hash, so a repeat request does no database work.
KeyCache = Memo[str, Principal]
KEY_CACHE_SECONDS = 5.0
"""How long a process trusts a key's principal: a revocation through this process clears its
cache at once, other processes see it within this."""


async def authenticate_key(sessions: Sessions, key: str, cache: KeyCache) -> Principal:
    """The principal for `key`, or Unauthorized if it is unknown, malformed or revoked."""
    prefix = _prefix_of(key)
    if prefix is None:
        raise Unauthorized("The API key is malformed; keys look like fo_<prefix>_<secret>.")
    key_hash = hash_key(key)
    return await cache.get(key_hash, lambda: _load_principal(sessions, prefix, key_hash))


async def _load_principal(sessions: Sessions, prefix: str, key_hash: str) -> Principal:
    now = utcnow()
    async with sessions.begin() as session:
        row = (await session.execute(select(ApiKey).where(ApiKey.prefix == prefix))).scalar_one_or_none()
        if row is None or not hmac.compare_digest(row.secret_hash, key_hash):
            raise Unauthorized("The API key is not valid; check it, or ask your administrator for one.")
        if row.revoked_at is not None:
            raise Unauthorized("The API key has been revoked; ask your administrator for a new one.")
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
            await session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
        return Principal(district_id=row.district_id, key_id=row.id, scopes=frozenset(row.scopes))


def authenticate_learner(token_key: str, token: str) -> Principal:
    """The principal of a valid learner token (no database work: the token is signed)."""
    claims = tokens.verify(token_key, token)
    return Principal(
        district_id=claims.district_id,
        learner_id=claims.learner_id,
        cohort=claims.cohort,
        scopes=FACILITATOR_SCOPES if claims.facilitator else LEARNER_SCOPES,
    )


CONSOLE_COOKIE = "__Host-fo_console"
"""The console session's cookie (`__Host-`: Secure, Path=/, no Domain, so no sibling host sets it)."""
CONSOLE_SESSION = "consoleSession"
"""Route `opt` key for routes only a console session may call; also its OpenAPI scheme's name."""
CSRF_HEADER = "x-csrf-token"
CONSOLE_IDLE = timedelta(minutes=30)
CONSOLE_LIFETIME = timedelta(hours=12)
# As for keys: touching last_seen_at on every call would make each read a write.
SESSION_SEEN_RESOLUTION = timedelta(minutes=1)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def hash_session(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def session_open(row: ConsoleSession, now: Any) -> bool:
    """Whether a console session may still be used: not ended, within its idle and absolute limits."""
    return row.ended_at is None and now < row.expires_at and now - row.last_seen_at < CONSOLE_IDLE


async def load_session(session: AsyncSession, session_id: str) -> ConsoleSession:
    """The live console session of the cookie `session_id`; Unauthorized when it is unknown or over."""
    row = await session.get(ConsoleSession, hash_session(session_id))
    if row is None or not session_open(row, utcnow()):
        raise Unauthorized("Your console session has ended or expired; sign in again.")
    return row


async def authenticate_session(
    sessions: Sessions, session_id: str, method: str, path: str, csrf: str
) -> Principal:
    """The principal of a console session. A state-changing call must carry the session's CSRF
    token (a cross-site form can send the cookie, never the header) and is written to the audit
    log with the person's name, in the transaction that checks it."""
    now = utcnow()
    async with sessions.begin() as session:
        row = await load_session(session, session_id)
        unsafe = method in UNSAFE_METHODS
        if unsafe and not (csrf and hmac.compare_digest(csrf.encode(), row.csrf_token.encode())):
            what = "a wrong" if csrf else "no"
            raise Forbidden(
                f"This call came with {what} CSRF token; send the console session's `csrf_token` as "
                "X-CSRF-Token (reload the console to get it)."
            )
        if now - row.last_seen_at > SESSION_SEEN_RESOLUTION:
            row.last_seen_at = now
        actor = f"{row.name} <{row.email}>"
        if unsafe:
            session.add(
                AuditEntry(
                    district_id=row.district_id,
                    key_id=None,
                    action="console.call",
                    filters={"method": method, "path": path},
                    row_count=0,
                    at=now,
                    actor=actor,
                )
            )
        return Principal(
            district_id=row.district_id,
            scopes=ROLE_SCOPES.get(row.role, frozenset()),
            session=row.id_hash,
            actor=actor,
            school=row.school if row.role == "principal" else "",
        )


async def district_slug(session: AsyncSession, district_id: uuid.UUID) -> str:
    slug: str = await session.scalar(select(District.slug).where(District.id == district_id)) or ""
    return slug


class BearerAuth(AbstractAuthenticationMiddleware):
    """Reads `Authorization: Bearer <key or learner token>`, or else the console's session
    cookie, on every route not marked public."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        cookie = connection.cookies.get(CONSOLE_COOKIE, "")
        if not header and cookie:
            runtime = connection.app.state.runtime
            principal = await authenticate_session(
                runtime.sessions,
                cookie,
                connection.scope.get("method", "GET"),  # type: ignore[arg-type]
                connection.scope["path"],
                connection.headers.get(CSRF_HEADER, ""),
            )
            check_scopes(principal, connection.route_handler.opt)
            return AuthenticationResult(user=principal, auth=principal)
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthorized("Send an API key or learner token as `Authorization: Bearer <credential>`.")
        runtime = connection.app.state.runtime
        credentials = credentials.strip()
        if credentials.startswith("fo_"):
            principal = await authenticate_key(runtime.sessions, credentials, runtime.key_cache)
        else:
            principal = authenticate_learner(await runtime.token_key.get(), credentials)
        check_scopes(principal, connection.route_handler.opt)
        return AuthenticationResult(user=principal, auth=principal)


def requires(*needed: Scope) -> dict[str, Any]:
    """Route `opt`: the caller must hold every scope in `needed` (checked by BearerAuth).

    Not a Litestar guard: guards copy the route handler on every call, which costs more than
    the rest of a cached content response.
    """
    return {"scopes": tuple(s.value for s in needed)}


def requires_any(*allowed: Scope) -> dict[str, Any]:
    """Route `opt`: the caller must hold at least one scope in `allowed`."""
    return {"any_scope": tuple(s.value for s in allowed)}


SCHOOL_SCOPED = "school_scoped"
"""Route `opt` key: the route limits what it reads to `Principal.school_filter`'s school, or
reads no district data at all (course content, the instruments), so a principal may call it. A
principal may call no other route that needs a scope."""


def check_scopes(principal: Principal, opt: dict[str, Any]) -> None:
    who = "console role" if principal.session else "learner token" if principal.learner_id else "API key"
    if opt.get(CONSOLE_SESSION) and not principal.session:
        raise Forbidden(f"This route is for people signed in to the console; this {who} can't call it.")
    needs = opt.get("scopes", ()) or opt.get("any_scope", ())
    if principal.school and needs and not opt.get(SCHOOL_SCOPED):
        raise Forbidden(
            "A principal's console sees their own school only, and this route is not limited to one school."
        )
    missing = [scope for scope in opt.get("scopes", ()) if scope not in principal.scopes]
    if missing:
        raise Forbidden(f"This {who} lacks the scope {', '.join(missing)} that this route needs.")
    allowed: tuple[str, ...] = opt.get("any_scope", ())
    if allowed and not principal.scopes & set(allowed):
        raise Forbidden(f"This route needs a {' or '.join(allowed)} scope, which this {who} lacks.")


def accepted_credentials(opt: dict[str, Any]) -> list[tuple[Credential, frozenset[str]]]:
    """The credentials that can pass `check_scopes` on a route with `opt`: each kind with the
    scopes it must hold beyond those every credential of its kind holds (empty: any of them).
    Alternatives that ask for more than another of the same kind are left out."""
    needed = frozenset(opt.get("scopes", ()))
    alternatives = [needed | {scope} for scope in opt.get("any_scope", ())] or [needed]
    accepted: list[tuple[Credential, frozenset[str]]] = []
    for kind in Credential:
        fits = {scopes - ALWAYS_HOLDS[kind] for scopes in alternatives if scopes <= MAY_HOLD[kind]}
        least = [scopes for scopes in fits if not any(other < scopes for other in fits)]
        accepted.extend((kind, scopes) for scopes in sorted(least, key=sorted))
    return accepted


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The authenticated principal; routes behind BearerAuth always have one."""
    principal = connection.scope.get("auth")
    if not isinstance(principal, Principal):
        raise Unauthorized("Send an API key or learner token as `Authorization: Bearer <credential>`.")
    return principal
