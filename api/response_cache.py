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
        if scope.get("method") != "GET" or not scope["path"].startswith("/api/"):
            return None
        return (
            scope["path"],
            scope.get("query_string", b""),
            _header(scope, b"authorization"),
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
