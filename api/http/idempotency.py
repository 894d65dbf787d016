"""`Idempotency-Key` on every POST: the same key and body get the first response again; the
same key with another body is a 422; nothing is done twice.

The first request claims the key by inserting a pending record (a unique constraint decides
between concurrent retries) before its handler runs, and stores the response after. A 5xx
or a crash releases the key, so the client's retry runs afresh.
"""

import hashlib
import re
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from api.db import Sessions
from api.errors import PROBLEM_JSON, problem_type
from api.http.request_id import request_id
from api.identity.auth import Principal
from api.models import IdempotencyRecord
from schemas.problem import Problem

_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


class IdempotencyMiddleware:
    """ASGI middleware for POST requests that carry an `Idempotency-Key` header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = next((v for k, v in scope.get("headers", ()) if k == b"idempotency-key"), None)
        principal = scope.get("auth")
        if scope["type"] != ScopeType.HTTP or scope.get("method") != "POST" or key is None:
            await self.app(scope, receive, send)
            return
        if not isinstance(principal, Principal):
            await self.app(scope, receive, send)  # unauthenticated: the route answers 401 itself
            return
        text = key.decode("latin-1")
        if not _KEY.match(text):
            await _problem(
                scope,
                send,
                400,
                "bad-request",
                "Bad request",
                "The Idempotency-Key header must be 1 to 200 visible ASCII characters.",
            )
            return
        body, more = await _read_body(receive, scope["app"].state.runtime.settings.max_body_bytes)
        if more:  # over the size limit: let the route refuse it (413) without recording anything
            await self.app(scope, _replay(body, more, receive), send)
            return
        digest = hashlib.sha256(
            b"\0".join(
                [
                    scope["method"].encode(),
                    scope["path"].encode(),
                    scope.get("query_string", b""),
                    _canonical(body),
                ]
            )
        ).hexdigest()
        sessions: Sessions = scope["app"].state.runtime.sessions
        record = await _claim(sessions, principal, text, digest)
        if record is not None:
            await _answer_repeat(scope, send, record, digest)
            return
        captured: dict[str, Any] = {"status": 500, "content_type": "", "body": bytearray()}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                headers = dict(message.get("headers", []))
                captured["content_type"] = headers.get(b"content-type", b"").decode("latin-1")
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, _replay(body, False, receive), capture)
        finally:
            await _finish(sessions, principal, text, captured)


def _canonical(body: bytes) -> bytes:
    """The body as its decoded value: the same JSON with other spacing or key order is the same
    request. A body that is not JSON is compared as it is (the route refuses it anyway)."""
    try:
        return msgspec.json.encode(msgspec.json.decode(body), order="sorted")
    except msgspec.DecodeError:
        return body


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The request body, and whether it went past `limit` (then only the first part is read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Any = await receive()
        chunk: bytes = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False
        if size > limit:
            return b"".join(chunks), True


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay


def _where(principal: Principal, key: str) -> Any:
    return (
        (IdempotencyRecord.district_id == principal.district_id)
        & (IdempotencyRecord.caller == principal.caller)
        & (IdempotencyRecord.key == key)
    )


async def _claim(sessions: Sessions, principal: Principal, key: str, digest: str) -> IdempotencyRecord | None:
    """Claim the key for this request; the existing record if another request has it."""
    try:
        async with sessions.begin() as session:
            session.add(
                IdempotencyRecord(
                    district_id=principal.district_id,
                    caller=principal.caller,
                    key=key,
                    request_hash=digest,
                    status=0,
                    content_type="",
                    body=b"",
                )
            )
        return None
    except IntegrityError:
        async with sessions() as session:
            return (
                await session.execute(select(IdempotencyRecord).where(_where(principal, key)))
            ).scalar_one()


async def _finish(sessions: Sessions, principal: Principal, key: str, captured: dict[str, Any]) -> None:
    async with sessions.begin() as session:
        if captured["status"] >= 500:
            await session.execute(delete(IdempotencyRecord).where(_where(principal, key)))
        else:
            await session.execute(
                update(IdempotencyRecord)
                .where(_where(principal, key))
                .values(
                    status=captured["status"],
                    content_type=captured["content_type"],
                    body=bytes(captured["body"]),
                )
            )


async def _answer_repeat(scope: Scope, send: Send, record: IdempotencyRecord, digest: str) -> None:
    if record.request_hash != digest:
        await _problem(
            scope,
            send,
            422,
            "idempotency-key-reused",
            "Idempotency key reused",
            "This Idempotency-Key was first used with a different request; use a new key for a new request.",
        )
    elif record.status == 0:
        await _problem(
            scope,
            send,
            409,
            "idempotency-key-in-use",
            "Request in progress",
            "The first request with this Idempotency-Key is still being handled; retry in a moment.",
        )
    else:
        headers = [(b"content-type", record.content_type.encode()), (b"idempotent-replayed", b"true")]
        start: Any = {"type": "http.response.start", "status": record.status, "headers": headers}
        await send(start)
        end: Any = {"type": "http.response.body", "body": record.body, "more_body": False}
        await send(end)


async def _problem(scope: Scope, send: Send, status: int, slug: str, title: str, detail: str) -> None:
    body = msgspec.json.encode(
        Problem(
            type=problem_type(slug),
            title=title,
            status=status,
            detail=detail,
            instance=scope.get("path"),
            request_id=request_id(scope),
        )
    )
    start: Any = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", PROBLEM_JSON.encode())],
    }
    end: Any = {"type": "http.response.body", "body": body, "more_body": False}
    await send(start)
    await send(end)
