"""Registrations: the admin API, dynamic registration against a platform, tool key rotation."""

from urllib.parse import quote

import pytest

from api.crypto import SecretBox
from api.db import Sessions
from plugins.lti.keys import ToolKeys
from tests.conftest import Tenant
from tests.lti.conftest import BASE, SECRET_KEY, Client, fragment, launch, register
from tests.lti.platform import Platform

pytestmark = pytest.mark.anyio


async def test_admin_api_creates_updates_and_deletes(
    lti_client: Client, district_a: Tenant, district_b: Tenant, canvas: Platform
) -> None:
    created = await register(lti_client, district_a, canvas)
    again = await register(lti_client, district_a, canvas, deployment_ids=["dep-1", "dep-2"])
    assert again["id"] == created["id"] and again["deployment_ids"] == ["dep-1", "dep-2"]
    taken = await lti_client.post(
        "/api/v1/lti/registrations", json=canvas.registration_body(), headers=district_b.headers
    )
    assert taken.status_code == 409
    url = f"/api/v1/lti/registrations/{created['id']}"
    assert (await lti_client.get(url, headers=district_b.headers)).status_code == 404
    assert (await lti_client.get(url, headers=district_a.headers)).json()["client_id"] == canvas.client_id
    bad = {**canvas.registration_body(), "key_set_url": "not a url"}
    response = await lti_client.post("/api/v1/lti/registrations", json=bad, headers=district_a.headers)
    assert response.status_code == 400 and "key_set_url" in response.text
    assert (await lti_client.delete(url, headers=district_a.headers)).status_code == 204
    assert (await lti_client.get("/api/v1/lti/registrations", headers=district_a.headers)).json() == []


async def test_dynamic_registration(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    canvas.issuer = canvas.url  # the platform's issuer is the prefix of its configuration URL
    canvas.registration.set_iss(canvas.url)
    made = await lti_client.post("/api/v1/lti/registration-url", headers=district_a.headers)
    assert made.status_code == 201 and made.json()["url"].startswith(f"{BASE}/lti/register/")
    path = made.json()["url"].removeprefix(BASE)
    config = quote(f"{canvas.url}/.well-known/openid-configuration", safe="")
    page = await lti_client.get(f"{path}?openid_configuration={config}&registration_token=reg-tok-1")
    assert page.status_code == 200, page.text
    assert "org.imsglobal.lti.close" in page.text
    (auth, sent) = canvas.registration_requests[0]
    assert auth == "Bearer reg-tok-1"
    assert sent["initiate_login_uri"] == f"{BASE}/lti/login" and sent["jwks_uri"] == f"{BASE}/lti/jwks"
    tool = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert {m["type"] for m in tool["messages"]} == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in sent["scope"]
    (listed,) = (await lti_client.get("/api/v1/lti/registrations", headers=district_a.headers)).json()
    assert listed["issuer"] == canvas.url and listed["deployment_ids"] == [canvas.deployment_id]
    # The registration works: a launch goes through.
    canvas.use_tool_keys((await lti_client.get("/lti/jwks")).json())
    fragment(await launch(lti_client, canvas, "u1"))
    # A forged or tampered ticket is refused.
    forged = await lti_client.get(f"/lti/register/{path.rsplit('/', 1)[1]}x?openid_configuration={config}")
    assert forged.status_code == 401


async def test_key_rotation_keeps_the_old_key_published(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    old = (await lti_client.get("/lti/jwks")).json()["keys"]
    new_kid = await ToolKeys(sessions, SecretBox(SECRET_KEY, "plugin-secrets")).rotate()
    keys = (await lti_client.get("/lti/jwks")).json()["keys"]
    assert [k["kid"] for k in keys] == [old[0]["kid"], new_kid]
    assert ToolKeys(sessions, SecretBox(SECRET_KEY, "plugin-secrets")).signing is not None
    signing = await ToolKeys(sessions, SecretBox(SECRET_KEY, "plugin-secrets")).signing()
    assert signing.kid == new_kid
