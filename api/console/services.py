"""The console's units of work: a district's OpenID Connect settings, a sign-in from start to
session, the session read back, and sign-out. Every one is written to the audit log."""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import httpx
import msgspec
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.audit import add_audit
from api.console import oidc
from api.console.people import NotAllowed, email_of, groups_of, lms_role_of, role_of
from api.crypto import SecretBox
from api.db import Sessions
from api.errors import BadRequest, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from api.identity.auth import (
    CONSOLE_IDLE,
    CONSOLE_LIFETIME,
    Principal,
    district_slug,
    hash_session,
    load_session,
)
from api.models import ConsoleLogin, ConsoleProvider, ConsoleSession, District, utcnow
from api.settings import Settings
from schemas.admin import ScopeName
from schemas.console import (
    ConsoleProviderSettings,
    ConsoleProviderView,
    ConsoleSessionView,
    RoleName,
    RoleRule,
)
from schemas.problem import FieldError

LOGIN_TIME = timedelta(minutes=10)
"""How long a sign-in may take from the login route to the callback."""


@dataclass(frozen=True, slots=True)
class Started:
    """Where to send the browser, and the state to bind to it (a cookie)."""

    url: str
    state: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    session_id: str
    district: str


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _checked_rules(rules: list[RoleRule]) -> list[dict[str, str]]:
    errors = []
    for i, rule in enumerate(rules):
        if bool(rule.email) == bool(rule.group):
            errors.append(FieldError(field=f"$.roles[{i}]", message="give either email or group, not both"))
        if (rule.role == "principal") != bool(rule.school):
            message = (
                "a principal's rule names their school"
                if rule.role == "principal"
                else "only a principal has a school"
            )
            errors.append(FieldError(field=f"$.roles[{i}].school", message=message))
    if errors:
        raise InvalidInput(
            "Some role rules can't be used; each names an email or a group, and a principal's a school.",
            errors=errors,
        )
    return [msgspec.to_builtins(rule) for rule in rules]


class ConsoleService:
    """The console for one request: settings, sign-in and sessions."""

    def __init__(
        self, sessions: Sessions, http: httpx.AsyncClient, box: SecretBox, settings: Settings
    ) -> None:
        self.sessions = sessions
        self.http = http
        self.box = box
        self.settings = settings
        self.redirect_uri = f"{settings.base_url}/console/callback"

    def _view(self, row: ConsoleProvider, slug: str) -> ConsoleProviderView:
        return ConsoleProviderView(
            issuer=row.issuer,
            client_id=row.client_id,
            allowed_domains=list(row.allowed_domains),
            roles=msgspec.convert(row.roles, list[RoleRule]),
            groups_claim=row.groups_claim,
            redirect_uri=self.redirect_uri,
            login_url=f"{self.settings.base_url}/console/{slug}/login",
            updated_at=row.updated_at,
        )

    async def provider(self, district_id: uuid.UUID) -> ConsoleProviderView:
        async with self.sessions() as session:
            row = await session.get(ConsoleProvider, district_id)
            if row is None:
                raise NotFound("This district has no console sign-in yet; PUT its identity provider first.")
            return self._view(row, await district_slug(session, district_id))

    async def set_provider(self, principal: Principal, data: ConsoleProviderSettings) -> ConsoleProviderView:
        try:
            issuer = oidc.checked_issuer(data.issuer, allow_http=self.settings.console_allow_http)
        except ValueError as exc:
            raise InvalidInput(
                str(exc), errors=[FieldError(field="$.issuer", message="not an https URL")]
            ) from None
        rules = _checked_rules(data.roles)
        async with self.sessions.begin() as session:
            row = await session.get(ConsoleProvider, principal.district_id)
            if row is None:
                row = ConsoleProvider(district_id=principal.district_id)
                session.add(row)
            row.issuer = issuer
            row.client_id = data.client_id
            row.client_secret_sealed = self.box.seal(data.client_secret)
            row.allowed_domains = sorted({d.casefold() for d in data.allowed_domains})
            row.groups_claim = data.groups_claim
            row.roles = rules
            row.updated_at = utcnow()
            add_audit(
                session,
                principal.district_id,
                principal.key_id,
                "console.provider",
                {"issuer": issuer, "client_id": data.client_id},
                len(rules),
                actor=principal.actor,
            )
            await session.flush()
            return self._view(row, await district_slug(session, principal.district_id))

    async def _settings_of(self, slug: str) -> tuple[uuid.UUID, ConsoleProvider]:
        async with self.sessions() as session:
            district = await session.scalar(select(District.id).where(District.slug == slug))
            row = None if district is None else await session.get(ConsoleProvider, district)
        if district is None or row is None:
            raise NotFound(f"No district {slug!r} signs in to the console here; check the address.")
        return district, row

    async def _metadata(self, row: ConsoleProvider) -> Any:
        try:
            return await oidc.discover(self.http, row.issuer)
        except oidc.ProviderError as exc:
            raise BadRequest(
                f"Sign-in can't start: {exc}. Ask your district administrator to check the console's "
                "identity provider settings."
            ) from None

    async def start(self, slug: str) -> Started:
        """A new sign-in: its state, nonce and PKCE verifier kept (single use), and the provider's URL."""
        district_id, row = await self._settings_of(slug)
        metadata = await self._metadata(row)
        state, nonce, verifier = oidc.new_secrets()
        async with self.sessions.begin() as session:
            session.add(
                ConsoleLogin(
                    state_hash=_state_hash(state),
                    district_id=district_id,
                    nonce=nonce,
                    code_verifier=verifier,
                    created_at=utcnow(),
                )
            )
            # Sign-ins never finished are dropped here, so the table stays small without a sweep.
            await session.execute(delete(ConsoleLogin).where(ConsoleLogin.created_at < utcnow() - LOGIN_TIME))
        url = oidc.authorization_url(metadata, row.client_id, self.redirect_uri, state, nonce, verifier)
        return Started(url=url, state=state)

    async def finish(self, state: str, code: str, browser_state: str) -> SignedIn:
        """The provider sent the browser back: the sign-in's state is used up (a second use is
        refused), the code exchanged, the id_token checked, and a session made."""
        if not state or not code:
            raise BadRequest(
                "The sign-in came back without its state and code; start again from the console."
            )
        # The state must be the one this browser started with: a sign-in started elsewhere (an
        # attacker's own, to sign the victim in as the attacker) is refused.
        if not browser_state or not hmac.compare_digest(browser_state.encode(), state.encode()):
            raise BadRequest("This sign-in was not started in this browser; start again from the console.")
        async with self.sessions.begin() as session:
            login = (
                await session.execute(
                    delete(ConsoleLogin)
                    .where(ConsoleLogin.state_hash == _state_hash(state))
                    .returning(
                        ConsoleLogin.district_id,
                        ConsoleLogin.nonce,
                        ConsoleLogin.code_verifier,
                        ConsoleLogin.created_at,
                    )
                )
            ).one_or_none()
        if login is None or utcnow() - login.created_at > LOGIN_TIME:
            raise BadRequest("This sign-in was used already or has expired; start again from the console.")
        async with self.sessions() as session:
            row = await session.get(ConsoleProvider, login.district_id)
            slug = await district_slug(session, login.district_id)
        if row is None:
            raise NotFound("This district's console sign-in was removed; ask your district administrator.")
        try:
            client_secret = self.box.open(row.client_secret_sealed)
        except ValueError:  # sealed under another FRONTOFFICE_SECRET_KEY
            raise Conflict(
                "This district's sign-in secret can no longer be read (the service's secret key was "
                "changed); ask your district administrator to enter the client secret again."
            ) from None
        metadata = await self._metadata(row)
        try:
            tokens = await oidc.exchange_code(
                self.http,
                metadata,
                row.client_id,
                client_secret,
                code,
                self.redirect_uri,
                login.code_verifier,
            )
            claims = await oidc.verified_claims(self.http, metadata, tokens, row.client_id, login.nonce)
        except oidc.RefusedToken as exc:
            raise Unauthorized(f"Sign-in refused: {exc}. Start again from the console.") from None
        except oidc.ProviderError as exc:
            raise BadRequest(f"Sign-in failed: {exc}. Ask your district administrator to check it.") from None
        try:
            email = email_of(claims, row.allowed_domains)
            role, school = role_of(row.roles, email, groups_of(claims, row.groups_claim))
        except NotAllowed as exc:
            raise Forbidden(f"Sign-in refused: {exc}.") from None
        name = claims.get("name") if isinstance(claims.get("name"), str) else email
        async with self.sessions.begin() as session:
            session_id = add_console_session(
                session, login.district_id, str(claims["sub"]), str(name), email, role, school, {}
            )
        return SignedIn(session_id=session_id, district=slug)

    async def session(self, principal: Principal, slug: str, session_id: str) -> ConsoleSessionView:
        """The signed-in person, for the console's pages; only on their own district's URL."""
        async with self.sessions() as session:
            row = await load_session(session, session_id)
            own = await district_slug(session, row.district_id)
        if own != slug:
            raise Forbidden(f"You are signed in to {own}'s console, not {slug}'s; sign in there to use it.")
        return ConsoleSessionView(
            district=own,
            name=row.name,
            email=row.email,
            role=cast(RoleName, row.role),
            school=row.school,
            scopes=cast(list[ScopeName], sorted(principal.scopes)),
            csrf_token=row.csrf_token,
            idle_expires_at=row.last_seen_at + CONSOLE_IDLE,
            expires_at=row.expires_at,
        )

    async def sign_out(self, principal: Principal, slug: str, session_id: str) -> None:
        await self.session(principal, slug, session_id)  # the same refusals
        async with self.sessions.begin() as session:
            row = await load_session(session, session_id)
            row.ended_at = utcnow()
            add_audit(session, row.district_id, None, "console.sign_out", {}, 0, actor=principal.actor)


def add_console_session(
    session: AsyncSession,
    district_id: uuid.UUID,
    subject: str,
    name: str,
    email: str,
    role: str,
    school: str,
    how: dict[str, str],
) -> str:
    """Open a console session in the caller's transaction, audited as a sign-in with the person's
    name (and `how`, e.g. `{"via": "lti"}`); the session's id, the cookie's value."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    shown = (name or email or subject)[:200]
    session.add(
        ConsoleSession(
            id_hash=hash_session(session_id),
            district_id=district_id,
            subject=subject[:500],
            email=email[:320],
            name=shown,
            role=role,
            school=school,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + CONSOLE_LIFETIME,
        )
    )
    add_audit(
        session,
        district_id,
        None,
        "console.sign_in",
        {"role": role, "school": school, **how},
        0,
        actor=f"{shown} <{email}>" if email else shown,
    )
    return session_id


@dataclass(frozen=True, slots=True)
class LmsSession:
    """A console session opened by an LTI launch: the cookie's value, where to go, as whom."""

    session_id: str
    district: str
    role: str


async def open_lms_session(
    sessions: Sessions,
    district_id: uuid.UUID,
    subject: str,
    name: str,
    email: str,
    lms_admin: bool,
) -> LmsSession:
    """A console session for a verified LTI launch by an instructor or LMS administrator (the
    LTI plugin checks the launch and that its roles are not a learner's); the role from
    `lms_role_of`. Audited as a sign-in with the person's name, `via: lti`."""
    async with sessions.begin() as session:
        provider = await session.get(ConsoleProvider, district_id)
        rules = list(provider.roles) if provider is not None else []
        domains = list(provider.allowed_domains) if provider is not None else []
        role, school = lms_role_of(rules, domains, email, lms_admin)
        session_id = add_console_session(
            session, district_id, subject, name, email, role, school, {"via": "lti"}
        )
        slug = await district_slug(session, district_id)
    return LmsSession(session_id=session_id, district=slug, role=role)
