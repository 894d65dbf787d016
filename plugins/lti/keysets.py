"""Platform key sets, fetched asynchronously over the guarded HTTP client and cached for as
long as the platform's `Cache-Control: max-age` (less `Age`) or `Expires` says, held between
MIN_TTL and MAX_TTL (DEFAULT_TTL when it says neither): a key the platform removes stops
verifying launches within that time. A `kid` the cached set lacks refetches once (some LMSs
rotate keys hourly), at most once a few seconds per URL so a flood of made-up kids cannot make
us hammer the platform."""

import asyncio
import email.utils
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm
from jwt.exceptions import InvalidKeyError

from plugins.contract import Unauthorized, UnsafeDestination

MIN_TTL = 60.0
"""Seconds a key set is kept at least, whatever the platform says (`no-cache` included)."""
MAX_TTL = 86_400.0
"""Seconds a key set is kept at most: a removed key verifies launches for a day at worst."""
DEFAULT_TTL = 300.0
"""Seconds a key set is kept when the platform sends neither `Cache-Control` nor `Expires`."""
REFETCH_GAP = 5.0


def freshness(headers: httpx.Headers) -> float:
    """How long a fetched key set may be used, from its response's caching headers (RFC 9111)."""
    directives = {
        name.strip().lower(): value.strip().strip('"')
        for name, _, value in (d.partition("=") for d in headers.get("cache-control", "").split(","))
    }
    if "no-store" in directives or "no-cache" in directives:
        return MIN_TTL
    seconds: float | None = None
    if directives.get("max-age", "").isdigit():
        age = headers.get("age", "0").strip()
        seconds = float(directives["max-age"]) - (float(age) if age.isdigit() else 0.0)
    elif "expires" in headers:
        try:
            expires = email.utils.parsedate_to_datetime(headers["expires"])
            sent = email.utils.parsedate_to_datetime(headers["date"]) if "date" in headers else None
        except (TypeError, ValueError):
            return MIN_TTL  # an invalid Expires means already expired (RFC 9111 5.3)
        now = sent or datetime.now(UTC)
        if expires.tzinfo is None or now.tzinfo is None:
            return MIN_TTL
        seconds = (expires - now).total_seconds()
    if seconds is None:
        return DEFAULT_TTL
    return min(MAX_TTL, max(MIN_TTL, seconds))


def _pems(keys: list[Any]) -> dict[str, RSAPublicKey]:
    """The RSA keys of a JWKS, loaded, by kid (once per fetch: PyJWT would parse a PEM on every
    launch otherwise)."""
    out: dict[str, RSAPublicKey] = {}
    for jwk in keys:
        if not isinstance(jwk, dict) or "kid" not in jwk or jwk.get("kty") != "RSA":
            continue
        try:
            key = RSAAlgorithm.from_jwk(jwk)
        except (InvalidKeyError, ValueError, KeyError):
            continue
        if isinstance(key, RSAPublicKey):
            out[str(jwk["kid"])] = key
    return out


class KeySets:
    def __init__(self, http: httpx.AsyncClient, clock: Callable[[], float] = time.monotonic) -> None:
        self.http = http
        self.clock = clock
        # url -> (keys by kid, monotonic time until which they may be used)
        self._sets: dict[str, tuple[dict[str, RSAPublicKey], float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._missed: dict[str, float] = {}  # when an unknown kid last made us refetch

    async def _fetch(self, url: str) -> dict[str, RSAPublicKey]:
        try:
            response = await self.http.get(url, timeout=httpx.Timeout(10.0), follow_redirects=False)
            response.raise_for_status()
            fetched = _pems(response.json()["keys"])
            ttl = freshness(response.headers)
        except (httpx.HTTPError, UnsafeDestination, ValueError, KeyError, TypeError) as exc:
            raise Unauthorized(
                f"The platform's key set at {url} could not be read ({type(exc).__name__}); "
                "the launch cannot be verified. Check the registration's key_set_url."
            ) from None
        self._sets[url] = (fetched, self.clock() + ttl)
        return fetched

    async def key(self, url: str, kid: str) -> RSAPublicKey:
        """The public key with this `kid` from the platform's key set."""
        cached = self._sets.get(url)
        if cached is not None and self.clock() < cached[1] and kid in cached[0]:
            return cached[0][kid]
        async with self._locks.setdefault(url, asyncio.Lock()):
            cached = self._sets.get(url)
            now = self.clock()
            if cached is None or now >= cached[1]:
                keys = await self._fetch(url)
            elif kid in cached[0]:
                keys = cached[0]  # fetched by a concurrent launch meanwhile
            elif now - self._missed.get(url, -REFETCH_GAP) >= REFETCH_GAP:
                self._missed[url] = now
                keys = await self._fetch(url)
            else:
                keys = cached[0]
        if kid not in keys:
            raise Unauthorized(
                f"The id_token is signed with key {kid!r}, which the platform's key set does not hold."
            )
        return keys[kid]
