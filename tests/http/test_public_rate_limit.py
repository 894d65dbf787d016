"""The public routes' rate limit, over HTTP: the request past the limit is a 429 problem that
reaches no handler; credentials and the operators' probes are not counted; the client behind a
trusted proxy is the one it names; and processes sharing Redis share the count."""

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import pytest
import redis
from litestar import Litestar
from litestar.testing import AsyncTestClient
from litestar.types import Receive, Scope, Send

from api.app import create_app
from api.http.rate_limit import KEY_PREFIX, bucket
from api.settings import Settings
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
REDIS_URL = os.environ.get("FRONTOFFICE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
Client = AsyncTestClient[Any]


def at(app: Litestar, address: str) -> Any:
    """`app` as reached from `address` (the test client's own peer is the name `testclient`)."""

    async def from_address(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "client": (address, 40000)}  # type: ignore[assignment]
        await app(scope, receive, send)

    return from_address


@asynccontextmanager
async def client_at(settings: Settings, address: str) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=at(create_app(settings), address)) as client:
        yield client


def limited(settings: Settings, rate: str, **changes: Any) -> Settings:
    return msgspec.structs.replace(settings, rate_limit_public=rate, **changes)


def some_address() -> str:
    """An address of the documentation range, in a /64 no other test (or other run on this
    Redis) uses."""
    return f"2001:db8:{secrets.token_hex(2)}:{secrets.token_hex(2)}::1"


@pytest.fixture
def redis_url() -> str:
    """Redis at FRONTOFFICE_TEST_REDIS_URL (default 127.0.0.1:6379); unreachable, the test is
    skipped, except under CI=true, where it fails."""
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2) as probe:
            probe.ping()
    except (redis.RedisError, OSError) as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI=true and is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    return REDIS_URL


async def test_the_request_past_the_limit_is_a_429_problem(settings: Settings, district_a: Tenant) -> None:
    async with client_at(limited(settings, "3/minute"), "192.0.2.10") as client:
        for remaining in ("2", "1", "0"):
            response = await client.get("/verify/no-such-code")
            assert response.status_code == 404
            assert response.headers["ratelimit-limit"] == "3"
            assert response.headers["ratelimit-remaining"] == remaining
            assert response.headers["ratelimit-policy"] == "3;w=60"
        refused = await client.get("/verify/no-such-code")
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["ratelimit-remaining"] == "0"
        problem = refused.json()
        assert problem["type"] == "/problems/too-many-requests" and problem["status"] == 429
        assert problem["instance"] == "/verify/no-such-code" and problem["request_id"]
        assert "make 3 requests per minute" in problem["detail"] and "Try again in" in problem["detail"]
        # One budget for every public route.
        for path in ("/", "/lti/jwks", "/player/", "/docs/openapi.json", "/problems/not-found"):
            assert (await client.get(path)).status_code == 429, path
        # The operators' probes are never refused, nor is a caller with a credential counted.
        for _ in range(5):
            for path in ("/healthz", "/readyz", "/metrics"):
                response = await client.get(path)
                assert response.status_code == 200 and "ratelimit-limit" not in response.headers
            response = await client.get("/api/v1/keys", headers=district_a.headers)
            assert response.status_code == 200 and "ratelimit-limit" not in response.headers


async def test_a_long_window_says_how_long_to_wait(settings: Settings) -> None:
    async with client_at(limited(settings, "1/hour"), "192.0.2.11") as client:
        assert (await client.get("/problems/not-found")).status_code == 200
        refused = await client.get("/problems/not-found")
        assert refused.status_code == 429 and "1 request per hour" in refused.json()["detail"]
        assert 3500 < int(refused.headers["retry-after"]) <= 3600
        # Counted and logged like any answer.
        metrics = (await client.get("/metrics")).text
    assert 'route="/problems/{slug}",status="429"} 1.0' in metrics


async def test_behind_a_trusted_proxy_the_forwarded_client_counts(settings: Settings) -> None:
    behind_proxy = limited(settings, "2/minute", trusted_proxies=["192.0.2.0/28"])
    async with client_at(behind_proxy, "192.0.2.1") as proxy:

        async def status(forwarded: str) -> int:
            return (await proxy.get("/", headers={"X-Forwarded-For": forwarded})).status_code

        assert [await status("203.0.113.7") for _ in range(3)] == [200, 200, 429]
        assert await status("203.0.113.8") == 200  # another client: a budget of its own
        # A client can't dodge its limit with a made-up hop of its own: the proxies appended the
        # address they were called from, and the nearest untrusted one is the client.
        assert await status("198.51.100.1, 203.0.113.7") == 429
        assert await status("203.0.113.7, 192.0.2.2") == 429  # through two trusted proxies
    # From an address that is not a trusted proxy, X-Forwarded-For is not believed.
    async with client_at(behind_proxy, "198.51.100.20") as direct:
        statuses = [
            (await direct.get("/", headers={"X-Forwarded-For": f"203.0.113.{n}"})).status_code
            for n in range(3)
        ]
        assert statuses == [200, 200, 429]


async def test_processes_sharing_redis_share_the_count(settings: Settings, redis_url: str) -> None:
    shared = limited(settings, "4/minute", rate_limit_store=redis_url)
    address = some_address()
    try:
        async with client_at(shared, address) as one, client_at(shared, address) as other:
            statuses = [
                (await client.get("/lti/jwks")).status_code for client in (one, other, one, other, one, other)
            ]
            assert statuses == [200, 200, 200, 200, 429, 429]
        # In memory, each process counts alone.
        alone = limited(settings, "4/minute")
        async with client_at(alone, address) as one, client_at(alone, address) as other:
            statuses = [
                (await client.get("/lti/jwks")).status_code for client in (one, other, one, other, one, other)
            ]
            assert statuses == [200] * 6
    finally:
        with redis.Redis.from_url(redis_url) as cleanup:
            cleanup.delete(KEY_PREFIX + bucket(address))


async def test_an_unreachable_store_lets_requests_through(settings: Settings) -> None:
    nowhere = limited(settings, "1/minute", rate_limit_store="redis://127.0.0.1:1/0")
    async with client_at(nowhere, "192.0.2.12") as client:
        assert [(await client.get("/")).status_code for _ in range(3)] == [200, 200, 200]


async def test_an_ipv6_client_is_counted_by_its_64(settings: Settings) -> None:
    behind_proxy = limited(settings, "2/minute", trusted_proxies=["192.0.2.0/28"])
    async with client_at(behind_proxy, "192.0.2.1") as proxy:
        # One host taking a new address for every request: one count.
        statuses = [
            (await proxy.get("/", headers={"X-Forwarded-For": f"2001:db8:0:7::{n + 1}"})).status_code
            for n in range(3)
        ]
        assert statuses == [200, 200, 429]
        assert (await proxy.get("/", headers={"X-Forwarded-For": "2001:db8:0:8::1"})).status_code == 200
