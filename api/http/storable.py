"""Text the database can't store, refused at the wire.

PostgreSQL's text types can't hold the NUL character (SQLite can), so a NUL anywhere in a
request (a path or query value, a JSON string, a form or CSV body) would be stored on one
database and fail on the other. Every request is checked once, before its handler, and a NUL
is a 422 naming where it is, the same on both databases.
"""

from typing import Any

import msgspec
from litestar import Request

from api.errors import InvalidInput
from schemas.problem import FieldError

NUL = "\x00"
# Binary bodies are checked by their route once unpacked (a zip's bytes hold NULs by nature).
BINARY_TYPES = ("application/zip",)
_MESSAGE = "contains a NUL character (\\u0000), which can't be stored; remove it"


async def refuse_unstorable_text(request: Request[Any, Any, Any], has_body: bool) -> None:
    """Raise a 422 naming every place in the request that holds a NUL."""
    errors: list[FieldError] = []
    # A NUL reaches the path decoded and the query string raw or as %00: most requests have
    # neither, and are spared parsing their query here.
    query: bytes = request.scope["query_string"]
    if NUL in request.scope["path"] or b"\x00" in query or b"%00" in query:
        errors += [
            FieldError(field=name, message=f"path parameter {_MESSAGE}")
            for name, value in request.path_params.items()
            if isinstance(value, str) and NUL in value
        ]
        errors += [
            FieldError(field=key.replace(NUL, "\\u0000"), message=f"query parameter {_MESSAGE}")
            for key, value in request.query_params.multi_items()
            if NUL in key or NUL in value
        ]
    if has_body and request.content_type[0] not in BINARY_TYPES:
        errors += _in_body(await request.body(), request.content_type[0])
    if errors:
        raise InvalidInput(
            "A value in the request contains a NUL character; remove it and try again.", errors=errors
        )


def _in_body(body: bytes, media_type: str) -> list[FieldError]:
    # A JSON text holds NUL only as the escape \u0000: the body is walked only when it has one.
    if media_type == "application/json":
        if b"\\u0000" not in body:
            return []
        try:
            value = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return []  # malformed JSON: the route's own decoding answers it
        return [FieldError(field=path, message=_MESSAGE) for path in _paths_with_nul(value, "$")]
    if b"\x00" in body or (media_type == "application/x-www-form-urlencoded" and b"%00" in body):
        line = body[: body.find(b"\x00")].count(b"\n") + 1 if b"\x00" in body else None
        return [FieldError(field="body" if line is None else f"body line {line}", message=_MESSAGE)]
    return []


def _paths_with_nul(value: object, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if NUL in value else []
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _paths_with_nul(v, f"{path}[{i}]")]
    if isinstance(value, dict):
        found = [path] if any(NUL in key for key in value) else []
        return found + [p for k, v in value.items() for p in _paths_with_nul(v, f"{path}.{k}")]
    return []
