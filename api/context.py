"""Per-request context: the request id, the JSON access log line and Prometheus metrics.

`RequestContext` wraps Litestar's whole ASGI handler (routing included), so unknown routes,
wrong methods and errors are logged, counted and given an `X-Request-ID` like any other.
"""

import logging
import re
import secrets
import time
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Histogram

from api.response_cache import ResponseCache

_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("frontoffice.access")


def request_id(scope: Any) -> str:
    """The request's id: the caller's `X-Request-ID` if well-formed, else a new one."""
    state = scope.setdefault("state", {})
    rid = state.get("request_id")
    if rid is None:
        incoming = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), b"")
        text = incoming.decode("latin-1")
        rid = text if _INCOMING_ID.match(text) else secrets.token_hex(8)
        state["request_id"] = rid
    return str(rid)


class Metrics:
    """Request counts and latency by route template, on a registry of this app's own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "frontoffice_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "frontoffice_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )


def _cacheable(scope: Scope) -> bool:
    """Whether the routed handler opted into the response cache (known once routing ran)."""
    handler = scope.get("route_handler")
    return handler is not None and bool(handler.opt.get("response_cache"))


class RequestContext:
    """ASGI wrapper: request id header, one access log line and metrics per HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics, cache: ResponseCache) -> None:
        self.app = app
        self.metrics = metrics
        self.cache = cache
        self._allow: dict[str, bytes] | None = None

    def _fix_allow(self, scope: Scope, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """Litestar 2's automatic OPTIONS answer lists only the methods of the first handler
        registered on a path; list every method of the path instead."""
        if self._allow is None:
            methods: dict[str, set[str]] = {}
            for route in scope["app"].routes:
                methods.setdefault(route.path_format, set()).update(getattr(route, "methods", ()))
            self._allow = {path: ", ".join(sorted(m)).encode() for path, m in methods.items()}
        allow = self._allow.get(scope.get("path_template", ""))
        if allow is None:
            return headers
        return [(k, v) for k, v in headers if k.lower() != b"allow"] + [(b"allow", allow)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = request_id(scope)
        status = 500
        key = self.cache.key(scope)
        cached = self.cache.get(key) if key else None
        if cached is not None:
            status = cached.status
            headers = [*cached.headers, (b"x-request-id", rid.encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": cached.body, "more_body": False})
            self._observe(scope, cached.route, status, rid, started)
            return
        start: dict[str, Any] = {}
        body = bytearray()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                start["headers"] = list(headers)
                headers.append((b"x-request-id", rid.encode()))
                if scope.get("method") == "OPTIONS" and status == 204:
                    headers = self._fix_allow(scope, headers)
                message = {**message, "headers": headers}
            elif key is not None and message["type"] == "http.response.body" and _cacheable(scope):
                body.extend(message.get("body", b""))  # never a streamed export: it is not cacheable
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
            if key is not None and status in (200, 304) and _cacheable(scope):
                self.cache.put(key, status, start["headers"], bytes(body), scope.get("path_template", ""))
        finally:
            self._observe(scope, scope.get("path_template") or "<unmatched>", status, rid, started)

    def _observe(self, scope: Scope, route: str, status: int, rid: str, started: float) -> None:
        """One access log line and the metrics of a request."""
        elapsed = time.perf_counter() - started
        method = scope.get("method", "")
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.latency.labels(method, route).observe(elapsed)
        access_log.info(
            "request",
            extra={
                "request_id": rid,
                "method": method,
                "path": scope.get("path"),
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )
