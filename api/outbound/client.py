"""The one outbound HTTP client: every call passes the SSRF guard, with explicit timeouts."""

import httpx

from api.outbound.guard import GuardedTransport
from api.settings import Settings


def make_client(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The client outbound calls share; `transport` defaults to a `GuardedTransport` allowing
    `settings.outbound_allowlist`. Close it (`async with`) when done."""
    if transport is None:
        transport = GuardedTransport(allowlist=list(settings.outbound_allowlist))
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(settings.outbound_timeout_seconds),
        follow_redirects=False,
        # A proxy from the environment would route around the guard.
        trust_env=False,
    )
