"""Opaque, tamper-evident cursors: a position signed with HMAC-SHA256 and bound to the district
and the filters it was made for, so a cursor edited, forged, or reused elsewhere is a 400."""

import base64
import binascii
import hashlib
import hmac
import uuid
from typing import Any

import msgspec

from api.errors import BadRequest

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(list[Any]).decode


def _sign(secret: str, payload: bytes) -> bytes:
    return hmac.new(f"hr-cursor:{secret}".encode(), payload, hashlib.sha256).digest()[:16]


def encode(secret: str, kind: str, district_id: uuid.UUID, scope: str, position: list[Any]) -> str:
    """A cursor for `position` in the `kind` listing of `district_id` with filters `scope`."""
    payload = _encode([kind, district_id.hex, scope, position])
    token = payload + _sign(secret, payload)
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def decode(secret: str, kind: str, district_id: uuid.UUID, scope: str, cursor: str) -> list[Any]:
    """The position a cursor holds; BadRequest if it is malformed, tampered with or foreign."""
    bad = BadRequest(
        "The cursor is not valid: pass back exactly the `next_cursor` a previous response gave, "
        "with the same filters, or leave it out to start from the beginning."
    )
    try:
        token = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise bad from None
    payload, signature = token[:-16], token[-16:]
    if len(token) <= 16 or not hmac.compare_digest(signature, _sign(secret, payload)):
        raise bad
    try:
        got_kind, district, got_scope, position = _decode(payload)
    except (msgspec.DecodeError, ValueError):
        raise bad from None
    if (
        got_kind != kind
        or district != district_id.hex
        or got_scope != scope
        or not isinstance(position, list)
    ):
        raise bad
    return position
