"""Fixtures of the LTI tests: the app on https://testserver.local (the state cookie is
Secure), allowed to reach loopback, and real platforms (lti1p3platform) on 127.0.0.1."""

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.db import Sessions
from api.models import Learner
from api.outbox.dispatcher import Dispatcher
from api.plugin import load_plugins
from api.runtime import open_runtime
from api.settings import Settings
from tests.conftest import AppFor, Tenant
from tests.lti.platform import Platform

SECRET_KEY = "lti-tests-secret-key-of-32-bytes-or-more!"
BASE = "https://testserver.local"
MODULE = "who-are-our-customers"
LEARNER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
INSTRUCTOR = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
Client = AsyncTestClient[Litestar]


@pytest.fixture
def lti_settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(
        settings, secret_key=SECRET_KEY, base_url=BASE, outbound_allowlist=["127.0.0.1"]
    )


@pytest.fixture
async def lti_client(lti_settings: Settings, app_for: AppFor) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=app_for(lti_settings), base_url=BASE) as client:
        yield client


@pytest.fixture
def canvas() -> Iterator[Platform]:
    with Platform("https://canvas.instructure.com", "10000000000001", "dep-1", BASE).running() as p:
        yield p


@pytest.fixture
def moodle() -> Iterator[Platform]:
    with Platform("https://moodle.district-b.org", "moodle-client", "1", BASE).running() as p:
        yield p


@pytest.fixture
async def dispatcher(lti_settings: Settings) -> AsyncIterator[Dispatcher]:
    # Generous bounds: the tests deliver in one round and look, so a request timed out or a lease
    # run out (the delivery is then skipped) on a loaded machine would fail them.
    patient = msgspec.structs.replace(lti_settings, outbound_timeout_seconds=30.0)
    async with open_runtime(patient, load_plugins(["lti"])) as runtime:
        yield Dispatcher(runtime.context(), runtime.plugins, lease=timedelta(minutes=10))


async def register(client: Client, tenant: Tenant, platform: Platform, **changes: Any) -> dict[str, Any]:
    body = {**platform.registration_body(), **changes}
    response = await client.post("/api/v1/lti/registrations", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    platform.use_tool_keys((await client.get("/lti/jwks")).json())
    return response.json()  # type: ignore[no-any-return]


async def login(client: Client, platform: Platform, sub: str, *, post: bool = False) -> dict[str, str]:
    """The platform starts a login; the tool answers with its redirect to the platform's
    authorization endpoint, whose query the platform answers with a launch."""
    url = urlsplit(platform.login_url(sub))
    if post:
        response = await client.post(url.path, data=dict(parse_qsl(url.query)), follow_redirects=False)
    else:
        response = await client.get(f"{url.path}?{url.query}", follow_redirects=False)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{platform.url}/auth"
    cookie = response.headers["set-cookie"]
    assert "SameSite=none" in cookie or "samesite=none" in cookie.lower()
    assert "secure" in cookie.lower() and "httponly" in cookie.lower()
    return dict(parse_qsl(location.query))


async def launch(
    client: Client,
    platform: Platform,
    sub: str = "user-1",
    *,
    roles: list[str] | None = None,
    custom: dict[str, str] | None = None,
    post: bool = False,
    **claims: Any,
) -> httpx.Response:
    auth = await login(client, platform, sub, post=post)
    form = platform.launch(
        auth,
        sub=sub,
        roles=roles or LEARNER,
        custom={"module": MODULE} if custom is None else custom,
        **claims,
    )
    assert form["launch_url"] == f"{BASE}/lti/launch"
    return await client.post(
        "/lti/launch", data={"id_token": form["id_token"], "state": form["state"]}, follow_redirects=False
    )


def fragment(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert "#" in location and "?" not in location.split("#")[0]
    return dict(parse_qsl(location.split("#", 1)[1], keep_blank_values=True))


async def learners(sessions: Sessions) -> int:
    async with sessions() as session:
        return (await session.execute(select(func.count()).select_from(Learner))).scalar_one()
