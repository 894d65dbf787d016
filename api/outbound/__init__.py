"""Outbound HTTP: the SSRF guard (`guard`), the aiohttp transport (`transport`) and the one
client every outbound call goes through (`client`)."""

from api.outbound.client import make_client
from api.outbound.guard import (
    GuardedTransport,
    UnsafeDestination,
    check_url,
    is_allowed_address,
    resolve_and_check,
)
from api.outbound.transport import AiohttpTransport

__all__ = [
    "AiohttpTransport",
    "GuardedTransport",
    "UnsafeDestination",
    "check_url",
    "is_allowed_address",
    "make_client",
    "resolve_and_check",
]
