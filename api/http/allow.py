"""The `Allow` header of automatic OPTIONS answers, listing every method of the path."""

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class FixAllow:
    """ASGI wrapper: Litestar 2's automatic OPTIONS answer lists only the methods of the first
    handler registered on a path; list every method of the path instead."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._allow: dict[str, bytes] | None = None

    def _fixed(self, scope: Scope, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
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
        if scope["type"] != ScopeType.HTTP or scope.get("method") != "OPTIONS":
            await self.app(scope, receive, send)
            return

        async def send_fixed(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 204:
                message = {**message, "headers": self._fixed(scope, list(message.get("headers", [])))}
            await send(message)

        await self.app(scope, receive, send_fixed)
