"""The console's OpenID Connect client (the relying party), on Authlib's OIDC pieces.

Authlib builds the authorization URL, makes the PKCE challenge and validates the provider's
metadata and the id_token's claims (iss, aud, exp, iat, nonce, azp, at_hash); joserfc, which
Authlib uses underneath, checks the signature against the provider's key set. Every call to
the provider (discovery, token, key set) goes through the guarded outbound client, so an
issuer a district types in can't make the service reach an internal address.

Errors: `ProviderError` when the provider can't be reached or answers wrongly (the district's
settings need a look), `RefusedToken` when an id_token must not sign anyone in.
"""

import base64
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from api.outbound import UnsafeDestination

# Asymmetric algorithms only: an HS256 id_token would be signed with the client secret, which a
# key set can't vouch for.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
CLOCK_LEEWAY_SECONDS = 60


class ProviderError(Exception):
    """The identity provider could not be reached, or answered in a way OIDC does not allow."""


class RefusedToken(Exception):
    """The id_token is not valid for this sign-in (signature, issuer, audience, nonce, expiry)."""


def checked_issuer(issuer: str, *, allow_http: bool) -> str:
    """The issuer URL as it is compared with the id_token's `iss`; ValueError when it is not an
    https URL with a host (http too when `allow_http`: development and tests only)."""
    parts = urlsplit(issuer)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{issuer!r} is not an issuer URL; it looks like https://accounts.google.com")
    return issuer


def new_secrets() -> tuple[str, str, str]:
    """A sign-in's state, nonce and PKCE code verifier."""
    return generate_token(43), generate_token(43), generate_token(64)


async def _json(http: httpx.AsyncClient, request: httpx.Request, what: str) -> dict[str, Any]:
    try:
        response = await http.send(request)
    except (httpx.HTTPError, UnsafeDestination, OSError) as exc:
        raise ProviderError(f"the identity provider's {what} could not be reached ({exc})") from None
    if response.status_code != 200:
        raise ProviderError(f"the identity provider's {what} answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise ProviderError(f"the identity provider's {what} did not answer JSON") from None
    if not isinstance(body, dict):
        raise ProviderError(f"the identity provider's {what} did not answer a JSON object")
    return body


async def discover(http: httpx.AsyncClient, issuer: str) -> OpenIDProviderMetadata:
    """The provider's metadata from `{issuer}/.well-known/openid-configuration`, checked."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    metadata = OpenIDProviderMetadata(await _json(http, http.build_request("GET", url), "discovery document"))
    try:
        metadata.validate()
    except ValueError as exc:
        raise ProviderError(f"the identity provider's discovery document is not valid ({exc})") from None
    # OIDC Discovery 4.3: the document must name the issuer it was fetched for.
    if metadata.get("issuer") != issuer:
        raise ProviderError(
            f"the discovery document names the issuer {metadata.get('issuer')!r}, not {issuer!r}"
        )
    return metadata


def authorization_url(
    metadata: OpenIDProviderMetadata,
    client_id: str,
    redirect_uri: str,
    state: str,
    nonce: str,
    code_verifier: str,
) -> str:
    """Where the browser goes to sign in: the code flow with PKCE (S256) and a nonce."""
    url: str = prepare_grant_uri(
        metadata["authorization_endpoint"],
        client_id,
        "code",
        redirect_uri=redirect_uri,
        scope="openid email profile",
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(code_verifier),
        code_challenge_method="S256",
    )
    return url


async def exchange_code(
    http: httpx.AsyncClient,
    metadata: OpenIDProviderMetadata,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    code_verifier: str,
) -> dict[str, Any]:
    """The token response for `code` (client_secret_basic, with the PKCE verifier)."""
    request = http.build_request(
        "POST",
        metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        },
        headers={"Accept": "application/json"},
    )
    # client_secret_basic (RFC 6749 2.3.1): each part form-encoded, then Base64.
    basic = base64.b64encode(f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()).decode()
    request.headers["Authorization"] = f"Basic {basic}"
    try:
        response = await http.send(request)
    except (httpx.HTTPError, UnsafeDestination, OSError) as exc:
        raise ProviderError(f"the identity provider's token endpoint could not be reached ({exc})") from None
    if response.status_code in (400, 401):
        # invalid_grant: the code was used already, expired, or was issued for another client.
        raise RefusedToken("the identity provider refused the sign-in code (used already, or expired)")
    if response.status_code != 200:
        raise ProviderError(f"the identity provider's token endpoint answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise ProviderError("the identity provider's token endpoint did not answer JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
        raise ProviderError("the identity provider's token response has no id_token")
    return body


async def verified_claims(
    http: httpx.AsyncClient,
    metadata: OpenIDProviderMetadata,
    tokens: dict[str, Any],
    client_id: str,
    nonce: str,
) -> dict[str, Any]:
    """The id_token's claims once its signature (the provider's key set), issuer, audience,
    expiry and nonce are checked; RefusedToken otherwise."""
    key_set = await _json(http, http.build_request("GET", metadata["jwks_uri"]), "key set")
    try:
        keys = KeySet.import_key_set(key_set)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError):
        raise ProviderError("the identity provider's key set can't be read") from None
    try:
        token = jwt.decode(tokens["id_token"], keys, algorithms=list(SIGNING_ALGORITHMS))
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": metadata["issuer"]},
                "aud": {"essential": True, "value": client_id},
                "nonce": {"essential": True, "value": nonce},
            },
            params={"nonce": nonce, "client_id": client_id, "access_token": tokens.get("access_token")},
        )
        claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
    except (JoseError, ValueError) as exc:
        raise RefusedToken(f"the id_token is not valid for this sign-in ({exc})") from None
    return dict(claims)
