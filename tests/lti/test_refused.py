"""Launches that must be refused: each answered 4xx with a problem body, no learner created."""

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from api.db import Sessions
from tests.conftest import Tenant
from tests.lti.conftest import LEARNER, MODULE, Client, fragment, learners, login, register
from tests.lti.platform import Platform, new_private_pem

pytestmark = pytest.mark.anyio
LTI = "https://purl.imsglobal.org/spec/lti/claim/"


async def prepared(client: Client, platform: Platform, sub: str = "user-1", **kw: Any) -> dict[str, str]:
    """A valid launch form, not yet posted (the browser holds the state cookie)."""
    auth = await login(client, platform, sub)
    form = platform.launch(auth, sub=sub, roles=LEARNER, custom={"module": MODULE}, **kw)
    return {"id_token": form["id_token"], "state": form["state"]}


def resign(
    platform: Platform,
    id_token: str,
    change: Callable[[dict[str, Any]], None],
    key: str | None = None,
    kid: str | None = None,
) -> str:
    claims = jwt.decode(id_token, options={"verify_signature": False})
    change(claims)
    return jwt.encode(
        claims, key or platform.signing_key, algorithm="RS256", headers={"kid": kid or platform.kid}
    )


async def refused(client: Client, sessions: Sessions, form: dict[str, str], status: int) -> dict[str, Any]:
    response = await client.post("/lti/launch", data=form, follow_redirects=False)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await learners(sessions) == 0
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
async def canvas_registered(lti_client: Client, district_a: Tenant, canvas: Platform) -> Platform:
    await register(lti_client, district_a, canvas)
    return canvas


def _set(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(claims: dict[str, Any]) -> None:
        claims[name] = value

    return change


def _drop(name: str) -> Callable[[dict[str, Any]], None]:
    def change(claims: dict[str, Any]) -> None:
        del claims[name]

    return change


CASES: dict[str, tuple[Callable[[dict[str, Any]], None], int, str]] = {
    "expired": (_set("exp", int(time.time()) - 120), 401, "expired"),
    "issued-long-ago": (_set("iat", int(time.time()) - 3600), 401, "iat"),
    "wrong-aud": (_set("aud", ["10000000000001", "someone-else"]), 401, "other parties"),
    "wrong-azp": (_set("azp", "someone-else"), 401, "azp"),
    "unknown-client-id": (_set("aud", "not-registered"), 403, "register"),
    "unknown-issuer": (_set("iss", "https://evil.example"), 403, "register"),
    "unknown-deployment": (_set(LTI + "deployment_id", "dep-99"), 403, "deployment_ids"),
    "wrong-message-type": (_set(LTI + "message_type", "LtiSubmissionReviewRequest"), 401, "message type"),
    "wrong-version": (_set(LTI + "version", "1.1"), 401, "version"),
    # Signed by the platform, but unusable: the platform's fault, said so with the claim's name.
    "missing-roles": (_drop(LTI + "roles"), 422, "claim/roles"),
    "missing-resource-link": (_drop(LTI + "resource_link"), 422, "resource_link claim"),
    "missing-sub": (_drop("sub"), 422, "field `sub`"),
    "missing-exp": (_drop("exp"), 401, "exp"),
    "exp-not-a-number": (_set("exp", "soon"), 401, "exp"),
    "missing-iat": (_drop("iat"), 401, "iat"),
    "issued-in-the-future": (_set("iat", int(time.time()) + 3600), 401, "iat"),
    "not-yet-valid": (_set("nbf", int(time.time()) + 3600), 401, "nbf"),
    "missing-nonce": (_drop("nonce"), 401, "nonce"),
    "foreign-nonce": (_set("nonce", "a-nonce-we-never-issued"), 401, "Nonce"),
}


async def test_bad_claims_are_refused(
    lti_client: Client, sessions: Sessions, canvas_registered: Platform
) -> None:
    for case, (change, status, words) in CASES.items():  # one app for all: each is its own login
        form = await prepared(lti_client, canvas_registered)
        form["id_token"] = resign(canvas_registered, form["id_token"], change)
        body = await refused(lti_client, sessions, form, status)
        assert words.lower() in body["detail"].lower(), case


async def test_tampered_signature(
    lti_client: Client, sessions: Sessions, canvas_registered: Platform
) -> None:
    form = await prepared(lti_client, canvas_registered)
    header, _, signature = form["id_token"].split(".")
    claims = jwt.decode(form["id_token"], options={"verify_signature": False})
    claims["sub"] = "admin"
    payload = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(claims).encode()).decode()
    form["id_token"] = f"{header}.{payload}.{signature}"
    assert "signature" in (await refused(lti_client, sessions, form, 401))["detail"].lower()


async def test_only_the_canonical_spelling_of_a_signed_token_is_taken(
    lti_client: Client, sessions: Sessions, canvas_registered: Platform
) -> None:
    """A token is taken only as its signer spelled it (RFC 7515's unpadded base64url): padding,
    characters outside the alphabet, or another spelling of the same signature bytes are
    refused, as is a header naming a critical extension."""
    form = await prepared(lti_client, canvas_registered)
    header, payload, signature = form["id_token"].split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # The last character of a 256-byte signature carries 2 bits: its neighbour decodes the same.
    same_bytes = signature[:-1] + alphabet[alphabet.index(signature[-1]) ^ 1]
    assert jwt.utils.base64url_decode(same_bytes) == jwt.utils.base64url_decode(signature)
    for spelled in (f"{signature}==", f"{signature[:-1]}!", same_bytes, f"{signature} "):
        await refused(lti_client, sessions, {**form, "id_token": f"{header}.{payload}.{spelled}"}, 400)
    claims = jwt.decode(form["id_token"], options={"verify_signature": False})
    headers = {"kid": canvas_registered.kid, "crit": ["exp"]}
    critical = jwt.encode(claims, canvas_registered.signing_key, algorithm="RS256", headers=headers)
    assert "critical" in (await refused(lti_client, sessions, {**form, "id_token": critical}, 401))["detail"]
    # The same launch, as the platform spelled it, still goes through.
    assert (await lti_client.post("/lti/launch", data=form, follow_redirects=False)).status_code == 303


async def test_unknown_kid(lti_client: Client, sessions: Sessions, canvas_registered: Platform) -> None:
    form = await prepared(lti_client, canvas_registered)
    form["id_token"] = resign(canvas_registered, form["id_token"], lambda c: None, new_private_pem(), "kid-9")
    assert "kid-9" in (await refused(lti_client, sessions, form, 401))["detail"]


async def test_replayed_launch(lti_client: Client, sessions: Sessions, canvas_registered: Platform) -> None:
    form = await prepared(lti_client, canvas_registered)
    first = await lti_client.post("/lti/launch", data=form, follow_redirects=False)
    fragment(first)
    before = await learners(sessions)
    # The browser still has its cookie (say, a replay from the same machine): still refused.
    lti_client.cookies.set("lti1p3-" + form["state"], form["state"], domain="testserver.local", path="/lti")
    again = await lti_client.post("/lti/launch", data=form, follow_redirects=False)
    assert again.status_code == 401 and "already used" in again.json()["detail"]
    # A fresh login does not revive the old id_token: its nonce is not this state's.
    fresh = await prepared(lti_client, canvas_registered, sub="user-2")
    replay = {"id_token": form["id_token"], "state": fresh["state"]}
    assert (await lti_client.post("/lti/launch", data=replay, follow_redirects=False)).status_code == 401
    assert await learners(sessions) == before


async def test_state_mismatch(lti_client: Client, sessions: Sessions, canvas_registered: Platform) -> None:
    form = await prepared(lti_client, canvas_registered)
    other = await prepared(lti_client, canvas_registered, sub="user-2")
    lti_client.cookies.clear()
    mixed = {"id_token": form["id_token"], "state": other["state"]}
    await refused(lti_client, sessions, mixed, 401)
    # No cookie at all (a browser blocking third-party cookies): refused, saying what to do.
    assert "new tab" in (await refused(lti_client, sessions, form, 401))["detail"]


async def test_garbage_id_token(lti_client: Client, sessions: Sessions, canvas_registered: Platform) -> None:
    form = await prepared(lti_client, canvas_registered)
    for token in ["", "garbage", "a.b.c", "eyJhbGciOiJub25lIn0.bm90IGpzb24."]:
        await refused(lti_client, sessions, {**form, "id_token": token}, 400)


async def test_alg_none_and_hs256_are_refused(
    lti_client: Client, sessions: Sessions, canvas_registered: Platform
) -> None:
    form = await prepared(lti_client, canvas_registered)
    claims = jwt.decode(form["id_token"], options={"verify_signature": False})
    forged = jwt.encode(claims, "x" * 32, algorithm="HS256", headers={"kid": canvas_registered.kid})
    assert "RS256" in (await refused(lti_client, sessions, {**form, "id_token": forged}, 401))["detail"]
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": canvas_registered.kid})
    await refused(lti_client, sessions, {**form, "id_token": unsigned}, 401)


async def test_module_must_exist(lti_client: Client, sessions: Sessions, canvas_registered: Platform) -> None:
    auth = await login(lti_client, canvas_registered, "u1")
    form = canvas_registered.launch(auth, sub="u1", roles=LEARNER, custom={"module": "no-such-module"})
    data = {"id_token": form["id_token"], "state": form["state"]}
    await refused(lti_client, sessions, data, 422)


async def test_a_platform_key_set_that_cannot_be_read(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas, key_set_url=f"{canvas.url}/nowhere")
    form = await prepared(lti_client, canvas)
    assert "key set" in (await refused(lti_client, sessions, form, 401))["detail"]
