"""One timing of each HTTP request, handed to every recorder (the access log, the metrics)."""

import time
from collections.abc import Callable, Sequence

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

Recorder = Callable[[Scope, int, float], None]
"""Told of each finished HTTP request: its scope, status and duration in seconds."""


class Observed:
    """ASGI wrapper: times each HTTP request once and tells every recorder how it ended (500 when
    the app raised before answering)."""

    def __init__(self, app: ASGIApp, recorders: Sequence[Recorder]) -> None:
        self.app = app
        self.recorders = tuple(recorders)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_seen(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_seen)
        finally:
            seconds = time.perf_counter() - started
            for record in self.recorders:
                record(scope, status, seconds)
