"""Whole responses of routes marked `opt={"response_cache": True}` (the content API), kept for
`ttl` seconds and answered without entering Litestar at all.

Entries are keyed by everything a content response depends on: path, query, the
`Authorization` value (so each credential is checked once, by the route, before its answer is
cached), `Accept-Language` and `If-None-Match`. Only 200 and 304 answers are kept. The content
itself is already cached per version, so this only saves the framework's per-request work;
the price is that a revocation or publish by another process shows up to `ttl` seconds later,
on top of what the key cache and catalog already allow (a revocation here clears it at once).
"""

import time
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

Key = tuple[str, bytes, bytes, bytes, bytes]


class Cached(msgspec.Struct, frozen=True):
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: str
    stored_at: float


def _header(scope: Any, name: bytes) -> bytes:
    return next((v for k, v in scope.get("headers", ()) if k == name), b"")


class ResponseCache:
    def __init__(self, ttl: float = 1.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Key, Cached] = {}

    @staticmethod
    def key(scope: Any) -> Key | None:
        authorization = _header(scope, b"authorization")
        # Without the header the credential is a console session's cookie (or none): such an
        # answer must not be keyed by an empty credential, or a caller without one would get it.
        if scope.get("method") != "GET" or not scope["path"].startswith("/api/") or not authorization:
            return None
        return (
            scope["path"],
            scope.get("query_string", b""),
            authorization,
            _header(scope, b"accept-language"),
            _header(scope, b"if-none-match"),
        )

    def get(self, key: Key) -> Cached | None:
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry.stored_at > self.ttl:
            return None
        return entry

    def put(self, key: Key, status: int, headers: list[tuple[bytes, bytes]], body: bytes, route: str) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        kept = [(k, v) for k, v in headers if k.lower() != b"x-request-id"]
        self._entries[key] = Cached(
            status=status, headers=kept, body=body, route=route, stored_at=time.monotonic()
        )

    def clear(self) -> None:
        self._entries.clear()


def _cacheable(scope: Scope) -> bool:
    """Whether the routed handler opted into the response cache (known once routing ran)."""
    handler = scope.get("route_handler")
    return handler is not None and bool(handler.opt.get("response_cache"))


class ServeCached:
    """ASGI wrapper: answers from `cache` where it can, and keeps the answers of routes that opted
    in. A cached answer sets the scope's `path_template` to its route, for the metrics and log."""

    def __init__(self, app: ASGIApp, cache: ResponseCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self.cache.key(scope) if scope["type"] == ScopeType.HTTP else None
        if key is None:
            await self.app(scope, receive, send)
            return
        cached = self.cache.get(key)
        if cached is not None:
            scope["path_template"] = cached.route
            await send(
                {"type": "http.response.start", "status": cached.status, "headers": list(cached.headers)}
            )
            await send({"type": "http.response.body", "body": cached.body, "more_body": False})
            return
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        body = bytearray()

        async def send_kept(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body" and _cacheable(scope):
                body.extend(message.get("body", b""))  # never a streamed export: it is not cacheable
            await send(message)

        await self.app(scope, receive, send_kept)
        if status in (200, 304) and _cacheable(scope):
            self.cache.put(key, status, headers, bytes(body), scope.get("path_template", ""))
