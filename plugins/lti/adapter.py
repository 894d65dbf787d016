"""pylti1p3 behind Litestar, with no network I/O and its open doors closed.

pylti1p3 validates messages; this adapter feeds it what was fetched asynchronously beforehand
(the registration from the database, the platform key from the key-set cache, the state's
nonce) and overrides what it does not check, or checks too loosely:

- the nonce must be the one this service issued with this state (pylti1p3 is shown only that
  one: see states.py); single use is enforced afterwards, by recording the nonce as used;
- the state must match the browser's state cookie (pylti1p3 also accepts a state seen before
  with the same id_token, which is a replay);
- `aud` must hold our client id and nothing else, `azp` must be ours when present (and is
  required with several audiences), `exp`/`iat` are required and checked with a small skew,
  and an `iat` older than MAX_AGE is refused (pylti1p3 verifies none of these: verify_aud off);
- only the two message types this tool handles are taken (not privacy or review launches);
- no key set is ever fetched with `requests`.
"""

import base64
import math
import re
import time
from typing import Any, NamedTuple, cast

import msgspec
import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm
from pylti1p3.cookie import CookieService
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.registration import Registration
from pylti1p3.request import Request
from pylti1p3.session import SessionService
from pylti1p3.tool_config.abstract import ToolConfAbstract

from plugins.contract import Forbidden, Unauthorized
from plugins.lti import claims
from plugins.lti.models import LtiRegistration
from plugins.lti.states import PREFIX, Login

SKEW = 30
"""Seconds of clock difference allowed on exp and iat."""
MAX_AGE = 600
"""An id_token issued longer ago than this is refused even if its exp is later."""
MESSAGE_TYPES = frozenset({"LtiResourceLinkRequest", "LtiDeepLinkingRequest"})
COOKIE_PREFIX = "lti1p3-"
REQUIRED = ("exp", "iat", "iss", "aud", "nonce")
"""Claims every id_token must carry (OpenID Connect Core 2; `sub` is checked with the claims)."""
RS256 = RSAAlgorithm(RSAAlgorithm.SHA256)


class IdToken(NamedTuple):
    """A compact JWS, split and decoded but not yet verified."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def _segment(part: str) -> bytes:
    """One base64url segment, strictly (RFC 7515): no padding, no other characters, and only
    its one canonical spelling, so a token can't be altered without breaking its signature."""
    if len(part) % 4 == 1 or not _BASE64URL.fullmatch(part):
        raise ValueError("not base64url")
    decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    if base64.urlsafe_b64encode(decoded).rstrip(b"=") != part.encode():
        raise ValueError("not the canonical base64url")
    return decoded


def parse_unverified(id_token: str) -> IdToken:
    """The parts of a JWT, unverified: read once per launch, to find the registration and key,
    and handed to pylti1p3 (which would otherwise parse it again). The signature is verified
    once, in `ToolLaunch.validate_jwt_signature`."""
    parts = id_token.split(".")
    if len(parts) != 3:
        raise ValueError("a JWT has three parts")
    try:
        header, body = (msgspec.json.decode(_segment(p)) for p in parts[:2])
    except msgspec.DecodeError as exc:
        raise ValueError("not JSON") from exc
    if not isinstance(header, dict) or not isinstance(body, dict):
        raise ValueError("the header and claims of a JWT are objects")
    signing_input = id_token.rpartition(".")[0].encode()
    return IdToken(header, body, signing_input, _segment(parts[2]))


def _time(claims: dict[str, Any], name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Unauthorized(f"The id_token's {name} is not a number of seconds.")
    return value


class LitestarRequest(Request):
    """The parameters of a login or launch (query or form), already read by the handler."""

    def __init__(self, params: dict[str, str], secure: bool) -> None:
        self.params = params
        self.secure = secure

    def is_secure(self) -> bool:
        return self.secure

    def get_param(self, key: str) -> str:
        return self.params.get(key, "")


class LitestarCookies(CookieService):
    """Reads the request's cookies; cookies pylti1p3 sets are collected for the response."""

    def __init__(self, cookies: dict[str, str]) -> None:
        self.cookies = cookies
        self.set: dict[str, tuple[str, int | None]] = {}

    def get_cookie(self, name: str) -> str | None:
        return self.cookies.get(COOKIE_PREFIX + name)

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        self.set[COOKIE_PREFIX + name] = (str(value), exp)


class LitestarRedirect(Redirect[str]):
    """The redirect is answered by the handler; this only carries the URL."""

    def __init__(self, location: str) -> None:
        self.location = location

    def do_redirect(self) -> str:
        return self.location

    def do_js_redirect(self) -> str:
        return self.location

    def set_redirect_url(self, location: str) -> None:
        self.location = location

    def get_redirect_url(self) -> str:
        return self.location


class RowStorage(LaunchDataStorage[Any]):
    """pylti1p3's launch-data storage, in memory for one request: at a launch it holds the
    nonce issued with the launch's state (nothing else is kept between login and launch)."""

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.values: dict[str, Any] = dict(values or {})

    def get_session_cookie_name(self) -> str | None:
        return None  # no session cookie: the signed state is the session

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        return self.values.get(self._prepare_key(key))

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        self.values[self._prepare_key(key)] = value

    def check_value(self, key: str) -> bool:
        return self._prepare_key(key) in self.values

    @classmethod
    def with_nonce(cls, nonce: str) -> "RowStorage":
        storage = cls()
        storage.set_value("lti1p3-nonce-" + nonce, True)
        return storage


def session_service(request: LitestarRequest, storage: RowStorage) -> SessionService:
    service = SessionService(request)
    service.set_data_storage(storage)
    return service


def pylti_registration(row: LtiRegistration, key_set: dict[str, Any] | None = None) -> Registration:
    reg = Registration()
    reg.set_issuer(row.issuer).set_client_id(row.client_id).set_auth_login_url(row.auth_login_url)
    reg.set_auth_token_url(row.auth_token_url).set_key_set_url(row.key_set_url)
    if row.auth_audience:
        reg.set_auth_audience(row.auth_audience)
    reg.set_key_set(key_set)  # type: ignore[arg-type]
    return reg


class OneRegistration(ToolConfAbstract[LitestarRequest]):
    """pylti1p3's tool configuration for the one registration the request is about (looked up
    in the database before pylti1p3 runs). Many client ids per issuer, always."""

    def __init__(self, row: LtiRegistration, key_set: dict[str, Any] | None = None) -> None:
        self.row = row
        self.registration = pylti_registration(row, key_set)

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        raise LtiException("Registrations are found by issuer and client id")

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration:
        if iss == self.row.issuer and client_id == self.row.client_id:
            return self.registration
        raise LtiException("Registration not found.")

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return None

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        if deployment_id in self.row.deployment_ids:
            return Deployment().set_deployment_id(deployment_id)
        return None


class ToolLogin(OIDCLogin[LitestarRequest, OneRegistration, SessionService, LitestarCookies, str]):
    """pylti1p3's login, with the state and nonce this service signed (see states.py)."""

    def __init__(
        self,
        request: LitestarRequest,
        config: OneRegistration,
        sessions: SessionService,
        cookies: LitestarCookies,
        issued: Login,
    ) -> None:
        super().__init__(request, config, sessions, cookies)
        self.issued = issued

    def _get_uuid(self) -> str:
        # pylti1p3 asks for a uuid only to make the state: "state-" + this.
        return self.issued.state.removeprefix(PREFIX)

    def _generate_nonce(self) -> str:
        return self.issued.nonce

    def get_redirect(self, url: str) -> LitestarRedirect:
        return LitestarRedirect(url)

    def get_response(self, html: str) -> str:
        return html


class ToolLaunch(MessageLaunch[LitestarRequest, OneRegistration, SessionService, LitestarCookies]):
    """A message launch verified against a key fetched beforehand, with the checks above."""

    def __init__(
        self,
        request: LitestarRequest,
        config: OneRegistration,
        storage: RowStorage,
        cookies: LitestarCookies,
        public_key: RSAPublicKey,
        client_id: str,
        parsed: IdToken,
        unused_http: requests.Session,
    ) -> None:
        super().__init__(
            request,
            config,
            session_service=session_service(request, storage),
            cookie_service=cookies,
            launch_data_storage=storage,
            requests_session=unused_http,  # never used (see fetch_public_key); saves making one
        )
        self.public_key = public_key
        self.client_id = client_id
        self.parsed = parsed
        self.claims: claims.LaunchClaims | None = None

    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)

    def get_client_id(self) -> str:
        return self.client_id

    def fetch_public_key(self, key_set_url: str) -> Any:
        raise LtiException("key sets are fetched asynchronously before validation")

    def get_public_key(self) -> tuple[Any, str]:  # a loaded key, not a PEM
        alg = self._jwt.get("header", {}).get("alg")
        if alg != "RS256":
            raise Unauthorized(f"The id_token is signed with {alg!r}; LTI 1.3 requires RS256.")
        return self.public_key, "RS256"

    def validate_jwt_format(self) -> "ToolLaunch":
        # Parsed once, by the service.
        self._jwt = cast(Any, {"header": self.parsed.header, "body": self.parsed.claims})
        return self

    def validate_state(self) -> "ToolLaunch":
        state = self._get_request_param("state")
        if not state:
            raise Unauthorized("The launch has no state; start it again from the LMS.")
        if self._cookie_service.get_cookie(state) != state:
            raise Unauthorized(
                "The launch's state does not match this browser's state cookie (a cookie blocked "
                "in the LMS frame, or a launch started in another browser); open it in a new tab."
            )
        return self

    def validate_jwt_signature(self) -> "ToolLaunch":
        """RS256 with the platform's key (PyJWT's algorithm, on the token parsed once), then the
        claims RFC 7519 and LTI 1.3 require, with SKEW seconds of clock difference."""
        public_key, _ = self.get_public_key()
        token = self.parsed
        if "crit" in token.header:  # no JWS extension is understood here (RFC 7515, 4.1.11)
            raise Unauthorized("The id_token's header names critical extensions; refused.")
        if not RS256.verify(token.signing_input, public_key, token.signature):
            raise Unauthorized("The id_token is not valid: its signature does not verify.")
        claims = token.claims
        for name in REQUIRED:
            if name not in claims:
                raise Unauthorized(f"The id_token is not valid: it has no `{name}` claim.")
        now = time.time()
        if _time(claims, "exp") <= now - SKEW:
            raise Unauthorized("The id_token has expired; launch again from the LMS.")
        iat = _time(claims, "iat")
        if iat > now + SKEW or iat < now - MAX_AGE:
            raise Unauthorized("The id_token's iat is in the future or too old; launch again.")
        if "nbf" in claims and _time(claims, "nbf") > now + SKEW:
            raise Unauthorized("The id_token's nbf is in the future; launch again.")
        aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if self.client_id not in aud:
            raise Unauthorized("The id_token's aud does not name this tool's client id.")
        if any(a != self.client_id for a in aud):
            raise Unauthorized("The id_token's aud names other parties besides this tool; refused.")
        azp = claims.get("azp")
        if azp is not None and azp != self.client_id:
            raise Unauthorized("The id_token's azp is not this tool's client id.")
        return self

    def validate_deployment(self) -> "ToolLaunch":
        deployment = self._get_deployment_id()
        if deployment not in self._tool_config.row.deployment_ids:
            raise Forbidden(
                f"Deployment {deployment!r} of this platform is not registered; an administrator "
                "must add it to the registration's deployment_ids."
            )
        return self

    def validate_nonce(self) -> "ToolLaunch":
        if not isinstance(self._get_jwt_body().get("nonce"), str):
            raise Unauthorized("The id_token's nonce is missing or not a string; launch again from the LMS.")
        super().validate_nonce()
        return self

    def validate_message(self) -> "ToolLaunch":
        message_type = self._get_jwt_body().get("https://purl.imsglobal.org/spec/lti/claim/message_type")
        if not isinstance(message_type, str) or message_type not in MESSAGE_TYPES:
            raise Unauthorized(
                f"The message type {message_type!r} is not one this tool takes "
                f"({', '.join(sorted(MESSAGE_TYPES))})."
            )
        # Decoded before pylti1p3's validators, which take every claim for a dict.
        self.claims = claims.decode(self._get_jwt_body())
        super().validate_message()
        return self

    def save_launch_data(self) -> "ToolLaunch":
        return self  # the service keeps what it needs; nothing is cached for later restores

    def verified(self) -> claims.LaunchClaims:
        """Validate everything and return the claims this tool uses; LtiException becomes a 401,
        claims of the wrong type or size a 422."""
        try:
            self.validate()
        except LtiException as exc:
            raise Unauthorized(f"The launch is not valid: {exc}.") from None
        assert self.claims is not None  # decoded by validate_message
        return self.claims
