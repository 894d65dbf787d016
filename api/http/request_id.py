"""The request id: the caller's `X-Request-ID` if well-formed, else a new one, on every answer."""

import re
import secrets
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


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


class RequestId:
    """ASGI wrapper: an `X-Request-ID` header on every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        rid = request_id(scope).encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid)]}
            await send(message)

        await self.app(scope, receive, send_with_id)
