"""Platform key sets, fetched asynchronously over the guarded HTTP client and cached; a `kid`
the cached set lacks refetches once (some LMSs rotate keys hourly), at most once a few
seconds per URL so a flood of made-up kids cannot make us hammer the platform."""

import asyncio
import time
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm
from jwt.exceptions import InvalidKeyError

from plugins.contract import Unauthorized, UnsafeDestination

TTL = 3600.0
REFETCH_GAP = 5.0


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
    def __init__(self, http: httpx.AsyncClient, ttl: float = TTL) -> None:
        self.http = http
        self.ttl = ttl
        self._sets: dict[str, tuple[dict[str, RSAPublicKey], float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._missed: dict[str, float] = {}  # when an unknown kid last made us refetch

    async def _fetch(self, url: str) -> dict[str, RSAPublicKey]:
        try:
            response = await self.http.get(url, timeout=httpx.Timeout(10.0), follow_redirects=False)
            response.raise_for_status()
            fetched = _pems(response.json()["keys"])
        except (httpx.HTTPError, UnsafeDestination, ValueError, KeyError, TypeError) as exc:
            raise Unauthorized(
                f"The platform's key set at {url} could not be read ({type(exc).__name__}); "
                "the launch cannot be verified. Check the registration's key_set_url."
            ) from None
        self._sets[url] = (fetched, time.monotonic())
        return fetched

    async def key(self, url: str, kid: str) -> RSAPublicKey:
        """The public key with this `kid` from the platform's key set."""
        cached = self._sets.get(url)
        if cached is not None and time.monotonic() - cached[1] < self.ttl and kid in cached[0]:
            return cached[0][kid]
        async with self._locks.setdefault(url, asyncio.Lock()):
            cached = self._sets.get(url)
            now = time.monotonic()
            if cached is None or now - cached[1] >= self.ttl:
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
