"""LTI Dynamic Registration (1EdTech, supported by Moodle, Canvas and Brightspace): an
administrator pastes one Front Office URL into the LMS; the LMS opens it with its
`openid_configuration` URL and a `registration_token`; we read the platform's configuration,
send ours (launch, login, JWKS, deep linking, scopes, custom parameters), and store the
registration (issuer, client id, deployment) the platform answers with, for the district the
URL was made for. The URL carries a signed, expiring ticket naming the district."""

import html
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import msgspec

from plugins.contract import BadRequest, InvalidInput, Unauthorized, UnsafeDestination, utcnow
from plugins.lti.grades import LINEITEM
from plugins.lti.registrations import Registrations
from plugins.lti.service import SCORE, Runtime
from schemas.lti import RegistrationView, RegistrationWrite

AUDIENCE = "frontoffice:lti-registration"
TICKET_TTL = timedelta(days=7)
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


def ticket(key: str, district_id: uuid.UUID) -> tuple[str, datetime]:
    """A signed ticket for the district's registration URL, and when it expires."""
    expires = utcnow() + TICKET_TTL
    token = jwt.encode(
        {"aud": AUDIENCE, "dst": str(district_id), "exp": int(expires.timestamp())}, key, algorithm="HS256"
    )
    return token, expires.replace(microsecond=0)


def district_of(key: str, token: str) -> uuid.UUID:
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], audience=AUDIENCE)
        return uuid.UUID(claims["dst"])
    except (jwt.InvalidTokenError, KeyError, ValueError):
        raise Unauthorized(
            "This registration URL is not valid or has expired; ask Front Office for a new one."
        ) from None


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


async def register(runtime: Runtime, district_id: uuid.UUID, params: dict[str, str]) -> RegistrationView:
    config_url = params.get("openid_configuration", "")
    if not config_url.startswith(("https://", "http://")):
        raise BadRequest("Open this URL from the LMS's dynamic registration: it lacks openid_configuration.")
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
