"""RFC 9457 problem details, the body of every error response."""

from typing import Annotated

import msgspec
from msgspec import Meta


class FieldError(msgspec.Struct, kw_only=True):
    """One invalid field of a request."""

    field: Annotated[str, Meta(description="Where the problem is, e.g. `$.scopes[0]` or a query parameter.")]
    message: Annotated[str, Meta(description="What is wrong with it.")]


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An error, as `application/problem+json` (RFC 9457)."""

    type: Annotated[str, Meta(description="URI naming the kind of problem; GET it for a description.")]
    title: Annotated[str, Meta(description="Short summary of the kind of problem.")]
    status: Annotated[int, Meta(description="The HTTP status code.")]
    detail: Annotated[str, Meta(description="What went wrong this time and what to do about it.")]
    instance: Annotated[str | None, Meta(description="The request path.")] = None
    request_id: Annotated[str | None, Meta(description="Quote this when asking for help.")] = None
    errors: Annotated[
        list[FieldError] | None, Meta(description="Each invalid field, for validation problems.")
    ] = None
