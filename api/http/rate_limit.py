"""The rate limit of the public routes: those anyone may call without a credential (`/verify`,
the LTI login, launch, key set and registration, the landing page, the player's files, a
school's feedback page and answer route, the workshop join route and room pages, the docs).

Each client address gets `FRONTOFFICE_RATE_LIMIT_PUBLIC` requests (e.g. 300 a minute) across all
of them, in a window that starts with its first request; the next one is a 429 problem with
`Retry-After`, and never reaches its handler. Routes with a credential are not counted (their
callers are known, and answer for what they do), nor the operators' `/healthz`, `/readyz` and
`/metrics` (`opt={"rate_limit": False}`), which probes and scrapers call from one address.

Counts are kept in this process (`memory`) or in Redis, where every process of a deployment
shares them: one atomic script per request (INCR, and the window's expiry on the first), so
processes counting at once never lose a request between a read and a write.

The client is the peer address, or, when the peer is a proxy listed in
`FRONTOFFICE_TRUSTED_PROXIES`, the nearest address in `X-Forwarded-For` that is not one.
"""

import ipaddress
import logging
import math
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol

import msgspec
import redis.asyncio
from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings, rate_window

log = logging.getLogger("frontoffice.rate_limit")

KEY_PREFIX = "frontoffice:rate:public:"
_WHO = "frontoffice.rate_limit.who"  # the client's bucket, in the request scope's state
EXEMPT = "rate_limit"
"""Route `opt` key: False exempts a public route from the limit."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_limited(opt: Mapping[str, Any]) -> bool:
    """Whether a route with this `opt` is public and not exempt: the limit applies to it."""
    return bool(opt.get("exclude_from_auth")) and opt.get(EXEMPT) is not False


def bucket(address: str) -> str:
    """Whose count a request from `address` adds to: the address, or for IPv6 its /64 (one
    household or host holds a whole /64, and could otherwise take a new address per request)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class Window(msgspec.Struct, frozen=True):
    """A client's requests so far in its window, this one included, and when the window ends."""

    count: int
    resets_in: float
    """Seconds until the window ends."""


class Counter(Protocol):
    """Where request counts are kept."""

    async def hit(self, key: str, seconds: int) -> Window:
        """Count a request of `key` in its window of `seconds` (a new one if none is open)."""
        ...

    async def aclose(self) -> None: ...


class MemoryCounter:
    """Counts kept in this process: enough for one process (the embedded SQLite set-up)."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._windows: dict[str, tuple[int, float]] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, seconds: int) -> Window:
        now = time.monotonic()
        count, ends = self._windows.get(key, (0, 0.0))
        if ends <= now:
            if len(self._windows) >= self._max_keys:
                self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
            count, ends = 0, now + seconds
        self._windows[key] = (count + 1, ends)
        return Window(count=count + 1, resets_in=ends - now)

    async def aclose(self) -> None:
        self._windows.clear()


# One round trip, atomic: the count, and the window's expiry set with its first request (or
# again, should a key have lost its expiry).
_HIT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class RedisCounter:
    """Counts kept in Redis, shared by every process that uses the same server."""

    def __init__(self, url: str) -> None:
        self._redis = redis.asyncio.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._hit = self._redis.register_script(_HIT)

    async def hit(self, key: str, seconds: int) -> Window:
        count, ttl = await self._hit(keys=[key], args=[seconds * 1000])
        return Window(count=int(count), resets_in=int(ttl) / 1000)

    async def aclose(self) -> None:
        await self._redis.aclose()


class PublicRateLimit:
    """The limit, its counter (open while the app runs: `lifespan`) and who the client is."""

    def __init__(self, settings: Settings, public_paths: tuple[str, ...] = ()) -> None:
        """`public_paths`: path prefixes that are public whatever their routes' `opt` (the docs)."""
        self.limit, self.seconds = rate_window(settings.rate_limit_public)
        self.public_paths = public_paths
        self.store = settings.rate_limit_store
        self.proxies: list[Network] = [
            ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies
        ]
        self.counter: Counter | None = None
        self.policy = f"{self.limit};w={self.seconds}".encode()

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """The counter, opened in the app's event loop and closed with it."""
        self.counter = MemoryCounter() if self.store == "memory" else RedisCounter(self.store)
        try:
            yield
        finally:
            counter, self.counter = self.counter, None
            await counter.aclose()

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)

    def client(self, scope: Scope) -> str:
        """The client's address: the peer's, unless the peer is a trusted proxy; then the last
        address in `X-Forwarded-For` that is not a trusted proxy (each proxy appends the address
        it was called from, so the ones before the first untrusted hop could be made up)."""
        peer = scope.get("client")
        address = peer[0] if peer else "unknown"
        if not self.proxies or not self._trusted(address):
            return address
        forwarded = b",".join(v for k, v in scope.get("headers", ()) if k == b"x-forwarded-for")
        for hop in reversed(forwarded.decode("latin-1").split(",")):
            hop = hop.strip()
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                break  # not an address: no hop from here on can be believed
            address = hop
            if not self._trusted(hop):
                break
        return address

    def who(self, scope: Scope) -> str:
        """Whose count the request adds to: the `bucket` of its `client`, worked out once per
        request (the public limit and a route's own limits all ask)."""
        state: dict[str, Any] = scope.setdefault("state", {})
        who: str | None = state.get(_WHO)
        if who is None:
            who = state[_WHO] = bucket(self.client(scope))
        return who

    async def hit(self, scope: Scope) -> Window | None:
        """Count this request; None if it can't be counted (the store is down: let it through)."""
        if self.counter is None:
            return None
        try:
            return await self.counter.hit(KEY_PREFIX + self.who(scope), self.seconds)
        except (redis.RedisError, OSError) as exc:
            log.error("public rate limit not applied: its store is unavailable (%s)", exc)
            return None

    def applies(self, scope: Scope) -> bool:
        """Whether the routed request is to a public route the limit applies to."""
        handler = scope.get("route_handler")
        if handler is None or handler.opt.get(EXEMPT) is False:
            return False
        return is_limited(handler.opt) or scope["path"].startswith(self.public_paths)

    def headers(self, window: Window) -> list[tuple[bytes, bytes]]:
        """The RateLimit headers (IETF draft-ietf-httpapi-ratelimit-headers, as Litestar names them)."""
        return [
            (b"ratelimit-policy", self.policy),
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(max(0, self.limit - window.count)).encode()),
            (b"ratelimit-reset", str(math.ceil(window.resets_in)).encode()),
        ]


class RateLimitMiddleware:
    """Litestar middleware (it runs once routing has found the route, so it knows the route's
    `opt`): counts requests to public routes and refuses those over the limit."""

    def __init__(self, app: ASGIApp, limiter: PublicRateLimit) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not self.limiter.applies(scope):
            await self.app(scope, receive, send)
            return
        window = await self.limiter.hit(scope)
        if window is None:
            await self.app(scope, receive, send)
            return
        headers = self.limiter.headers(window)
        if window.count > self.limiter.limit:
            wait = max(1, math.ceil(window.resets_in))
            raise TooManyRequestsException(
                detail=f"Too many requests from your address: without a credential, an address may "
                f"make {_requests(self.limiter.limit)} per {_every(self.limiter.seconds)}. Try again in "
                f"{_wait(wait)} (the Retry-After header says the same).",
                headers={"Retry-After": str(wait), **{k.decode(): v.decode() for k, v in headers}},
            )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_UNITS = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}


def _every(seconds: int) -> str:
    """A window's length in words: windows are one second, minute, hour or day (settings.py)."""
    return _UNITS.get(seconds, f"{seconds} seconds")


def _requests(count: int) -> str:
    return "1 request" if count == 1 else f"{count} requests"


def _wait(seconds: int) -> str:
    return "1 second" if seconds == 1 else f"{seconds} seconds"
