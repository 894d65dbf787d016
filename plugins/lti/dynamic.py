"""LTI Dynamic Registration (1EdTech, supported by Moodle, Canvas and Brightspace): an
administrator pastes one Front Office URL into the LMS; the LMS opens it with its
`openid_configuration` URL and a `registration_token`; we read the platform's configuration,
send ours (launch, login, JWKS, deep linking, scopes, custom parameters), and store the
registration (issuer, client id, deployment) the platform answers with, for the district the
URL was made for.

The URL carries a ticket: a random secret whose SHA-256 is stored with the district
(`lti_registration_tickets`). It is good for one registration within TICKET_TTL: the first
registration through it takes it (a conditional update), and gives it back only if that
registration fails, so the administrator can try again. Administrators list the open ones and
revoke them; whoever sees a URL later cannot attach their own LMS with it."""

import hashlib
import html
import secrets
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec
from sqlalchemy import delete, select, update

from plugins.contract import (
    BadRequest,
    InvalidInput,
    NotFound,
    Sessions,
    Unauthorized,
    UnsafeDestination,
    utcnow,
)
from plugins.lti.grades import LINEITEM
from plugins.lti.models import LtiRegistrationTicket
from plugins.lti.registrations import Registrations
from plugins.lti.service import SCORE, Runtime
from schemas.lti import RegistrationUrl, RegistrationUrlView, RegistrationView, RegistrationWrite

TICKET_TTL = timedelta(hours=1)
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = [
    SCORE,
    LINEITEM,
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
]
CLOSE_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>Front Office registered</title>
<p>Front Office is registered with {issuer} (client id {client_id}). You can close this window.</p>
<script>(window.opener || window.parent).postMessage({{subject: "org.imsglobal.lti.close"}}, "*");</script>
</html>"""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _url_view(row: LtiRegistrationTicket) -> RegistrationUrlView:
    return RegistrationUrlView(id=row.id, created_at=row.created_at, expires_at=row.expires_at)


class Tickets:
    """A district's registration URLs: made, listed while open, revoked."""

    def __init__(self, sessions: Sessions, district_id: uuid.UUID) -> None:
        self.sessions = sessions
        self.district_id = district_id

    async def issue(self, base_url: str) -> RegistrationUrl:
        """A new registration URL (shown once: only its secret's hash is kept)."""
        secret = secrets.token_urlsafe(32)
        now = utcnow().replace(microsecond=0)
        row = LtiRegistrationTicket(
            district_id=self.district_id,
            secret_hash=_hash(secret),
            created_at=now,
            expires_at=now + TICKET_TTL,
        )
        async with self.sessions.begin() as session:
            await session.execute(  # the district's spent and expired tickets go
                delete(LtiRegistrationTicket).where(
                    LtiRegistrationTicket.district_id == self.district_id,
                    LtiRegistrationTicket.expires_at <= now,
                )
            )
            session.add(row)
            await session.flush()
        return RegistrationUrl(id=row.id, url=f"{base_url}/lti/register/{secret}", expires_at=row.expires_at)

    async def open(self) -> list[RegistrationUrlView]:
        """The district's registration URLs not yet used and not expired, newest first."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(LtiRegistrationTicket)
                    .where(
                        LtiRegistrationTicket.district_id == self.district_id,
                        LtiRegistrationTicket.used_at.is_(None),
                        LtiRegistrationTicket.expires_at > utcnow(),
                    )
                    .order_by(LtiRegistrationTicket.created_at.desc(), LtiRegistrationTicket.id)
                )
            ).scalars()
            return [_url_view(r) for r in rows]

    async def revoke(self, ticket_id: uuid.UUID) -> None:
        async with self.sessions.begin() as session:
            gone = await session.execute(
                delete(LtiRegistrationTicket).where(
                    LtiRegistrationTicket.id == ticket_id,
                    LtiRegistrationTicket.district_id == self.district_id,
                )
            )
        if gone.rowcount != 1:  # type: ignore[attr-defined]
            raise NotFound("No such registration URL in this district.")


async def take(sessions: Sessions, secret: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The ticket of a registration URL, taken for one registration: (ticket id, district id)."""
    now = utcnow()
    async with sessions.begin() as session:
        row = (
            await session.execute(
                select(LtiRegistrationTicket).where(LtiRegistrationTicket.secret_hash == _hash(secret))
            )
        ).scalar_one_or_none()
        taken = (
            await session.execute(
                update(LtiRegistrationTicket)
                .where(
                    LtiRegistrationTicket.id == row.id,
                    LtiRegistrationTicket.used_at.is_(None),
                    LtiRegistrationTicket.expires_at > now,
                )
                .values(used_at=now)
            )
            if row is not None
            else None
        )
        if row is None or taken is None or taken.rowcount != 1:  # type: ignore[attr-defined]
            raise Unauthorized(
                "This registration URL is not valid: it was used already, revoked or has expired "
                "(each is good for one registration within an hour). Ask a Front Office "
                "administrator of the district for a new one."
            )
        return row.id, row.district_id


async def give_back(sessions: Sessions, ticket_id: uuid.UUID) -> None:
    """A registration through the ticket failed: it may be used again (while unexpired)."""
    async with sessions.begin() as session:
        await session.execute(
            update(LtiRegistrationTicket).where(LtiRegistrationTicket.id == ticket_id).values(used_at=None)
        )


def tool_configuration(runtime: Runtime) -> dict[str, Any]:
    base = runtime.base_url
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{base}/lti/login",
        "redirect_uris": [runtime.launch_url],
        "client_name": "Front Office",
        "jwks_uri": f"{base}/lti/jwks",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIGURATION: {
            "domain": urlsplit(base).netloc,
            "target_link_uri": runtime.launch_url,
            "custom_parameters": {"employee_id": "$Person.sourcedId", "school": "$Context.org"},
            "claims": ["iss", "sub", "name", "email", "locale"],
            "messages": [
                {"type": "LtiResourceLinkRequest", "target_link_uri": runtime.launch_url},
                {
                    "type": "LtiDeepLinkingRequest",
                    "target_link_uri": runtime.launch_url,
                    "label": "Front Office modules",
                },
            ],
        },
    }


async def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code not in (200, 201):
        raise InvalidInput(f"The platform's {what} answered {response.status_code}.")
    try:
        body = response.json()
    except ValueError:
        raise InvalidInput(f"The platform's {what} did not answer JSON.") from None
    if not isinstance(body, dict):
        raise InvalidInput(f"The platform's {what} did not answer a JSON object.")
    return body


async def register(runtime: Runtime, secret: str, params: dict[str, str]) -> RegistrationView:
    """Register the platform opening the registration URL of `secret`, using its ticket up."""
    config_url = params.get("openid_configuration", "")
    if not config_url.startswith(("https://", "http://")):
        raise BadRequest("Open this URL from the LMS's dynamic registration: it lacks openid_configuration.")
    ticket_id, district_id = await take(runtime.sessions, secret)
    try:
        return await _register(runtime, district_id, config_url, params)
    except Exception:
        await give_back(runtime.sessions, ticket_id)
        raise


async def _register(
    runtime: Runtime, district_id: uuid.UUID, config_url: str, params: dict[str, str]
) -> RegistrationView:
    token = params.get("registration_token", "")
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        config = await _json(
            await runtime.http.get(config_url, headers=auth, follow_redirects=False), "OpenID configuration"
        )
        issuer = str(config.get("issuer", ""))
        if not issuer or not config_url.startswith(issuer.rstrip("/") + "/"):
            raise InvalidInput(f"The platform's issuer {issuer!r} does not match {config_url}.")
        endpoint = str(config.get("registration_endpoint", ""))
        if not endpoint:
            raise InvalidInput("The platform's OpenID configuration has no registration_endpoint.")
        answer = await _json(
            await runtime.http.post(
                endpoint, json=tool_configuration(runtime), headers=auth, follow_redirects=False
            ),
            "registration endpoint",
        )
    except (httpx.HTTPError, UnsafeDestination) as exc:
        raise InvalidInput(f"The platform could not be reached: {exc}") from None
    tool = answer.get(TOOL_CONFIGURATION) or {}
    deployment = tool.get("deployment_id") if isinstance(tool, dict) else None
    try:
        data = msgspec.convert(
            {
                "issuer": issuer,
                "client_id": str(answer["client_id"]),
                "deployment_ids": [str(deployment)] if deployment else [],
                "auth_login_url": config["authorization_endpoint"],
                "auth_token_url": config["token_endpoint"],
                "key_set_url": config["jwks_uri"],
                "auth_audience": config.get("authorization_server"),
            },
            RegistrationWrite,
        )
    except KeyError as exc:
        raise InvalidInput(f"The platform's answer lacks {exc.args[0]}.") from None
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"The platform's configuration is not usable: {exc}") from None
    view, _ = await Registrations(runtime.sessions, district_id).put(data)
    return view


def close_page(view: RegistrationView) -> str:
    return CLOSE_PAGE.format(issuer=html.escape(view.issuer), client_id=html.escape(view.client_id))
