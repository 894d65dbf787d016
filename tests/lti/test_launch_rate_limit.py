"""A launch past the public routes' rate limit is refused before it is looked at: a 429 problem,
and no learner made, no nonce used."""

from collections.abc import AsyncIterator

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.db import Sessions
from api.settings import Settings
from tests.conftest import Tenant
from tests.lti.conftest import BASE, Client, fragment, launch, learners, register
from tests.lti.platform import Platform

pytestmark = pytest.mark.anyio


@pytest.fixture
async def limited_client(lti_settings: Settings) -> AsyncIterator[Client]:
    # Four public requests a minute: the key set, then a login and a launch, then a login.
    settings = msgspec.structs.replace(lti_settings, rate_limit_public="4/minute")
    async with AsyncTestClient(app=create_app(settings), base_url=BASE) as client:
        yield client


async def test_the_launch_past_the_limit_changes_nothing(
    limited_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    await register(limited_client, district_a, canvas)  # the admin's POST is not counted; the JWKS is
    assert fragment(await launch(limited_client, canvas, "first-user"))["view"] == "learner"
    assert await learners(sessions) == 1
    refused = await launch(limited_client, canvas, "second-user")
    assert refused.status_code == 429 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/too-many-requests" and int(refused.headers["retry-after"]) > 0
    assert await learners(sessions) == 1
    # An administrator's key is not limited: the registrations still answer.
    listed = await limited_client.get("/api/v1/lti/registrations", headers=district_a.headers)
    assert listed.status_code == 200 and len(listed.json()) == 1
