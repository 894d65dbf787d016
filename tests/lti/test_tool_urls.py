"""The tool's URLs for an LMS administrator registering it by hand: the ones dynamic
registration sends, behind the `admin` scope."""

import pytest

from api.db import Sessions
from tests.conftest import Tenant, make_tenant
from tests.lti.conftest import BASE, Client

pytestmark = pytest.mark.anyio


async def test_tool_urls_are_the_ones_launches_use(
    lti_client: Client, district_a: Tenant, sessions: Sessions
) -> None:
    response = await lti_client.get("/api/v1/lti/tool", headers=district_a.headers)
    assert response.status_code == 200, response.text
    tool = response.json()
    assert tool == {
        "login_url": f"{BASE}/lti/login",
        "launch_url": f"{BASE}/lti/launch",
        "jwks_url": f"{BASE}/lti/jwks",
        "domain": "testserver.local",
    }
    # The key set it names is the one the tool publishes.
    jwks = await lti_client.get(tool["jwks_url"].removeprefix(BASE))
    assert jwks.status_code == 200 and jwks.json()["keys"]

    assert (await lti_client.get("/api/v1/lti/tool")).status_code == 401
    reader = await make_tenant(sessions, "district-reader", ["hr:read"])
    refused = await lti_client.get("/api/v1/lti/tool", headers=reader.headers)
    assert refused.status_code == 403 and "admin" in refused.json()["detail"]
