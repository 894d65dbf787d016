"""Request bodies: the media types a route takes, and its JSON `data` decoded once, strictly.

Litestar would parse a JSON body untyped and then convert it in lax mode, which takes `0` for
`false` and `"5"` for `5`; a client sending those has a bug it should hear about. `StrictRequest`
decodes the body straight into the route's `data` type with a decoder built once per type, and
hands Litestar that value (a Struct passes its lax conversion unchanged).
"""

import contextlib
import functools
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import SerializationException, ValidationException

from api.errors import UnsupportedMediaType
from api.http.storable import refuse_unstorable_text

JSON_TYPES = ("application/json",)
_DATA = "frontoffice.data"  # the decoded body, in the request scope's state


@functools.cache
def _decoder(data_type: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(data_type)


class StrictRequest(Request[Any, Any, Any]):
    """A request whose `json()` is the body decoded strictly into the route's `data` type."""

    async def json(self) -> Any:
        field = self.route_handler.parsed_fn_signature.parameters.get("data")
        if field is None:
            return await super().json()
        state = self.scope.setdefault("state", {})
        if _DATA not in state:
            try:
                state[_DATA] = _decoder(field.annotation).decode(await self.body())
            except msgspec.ValidationError as exc:
                raise ValidationException(extra=[{"message": str(exc), "source": "body"}]) from None
            except msgspec.DecodeError:
                return await super().json()  # malformed JSON: Litestar's own decoding answers it
        return state[_DATA]


async def require_json_body(request: Request[Any, Any, Any]) -> None:
    """A body must be JSON unless the route lists other types in `opt["accepts"]`; a JSON body
    is decoded here, so a body that does not fit is refused before any dependency runs. No value
    anywhere may hold text the database can't store."""
    has_body = request.method in ("POST", "PUT", "PATCH") and (
        request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    )
    await refuse_unstorable_text(request, has_body)
    if not has_body:
        return
    accepted: tuple[str, ...] = request.route_handler.opt.get("accepts", JSON_TYPES)
    media_type = request.content_type[0]
    if media_type not in accepted:
        raise UnsupportedMediaType(
            f"This route takes a body of type {' or '.join(accepted)}, not {media_type or 'none'}; "
            "set the Content-Type header."
        )
    if media_type == "application/json" and "data" in request.route_handler.parsed_fn_signature.parameters:
        with contextlib.suppress(SerializationException):
            await request.json()  # malformed JSON: answered where Litestar reads `data`, as before
