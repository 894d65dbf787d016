"""The one error vocabulary of Front Office and its mapping to RFC 9457 problem responses.

    FrontOfficeError                 any error a client can act on (4xx)
    ├── BadRequest              400  a query parameter, cursor or header is malformed
    ├── Unauthorized            401  no credentials, or unknown, revoked or expired ones
    ├── Forbidden               403  the credentials lack the scope or role the route needs
    ├── NotFound                404  no such object in the caller's district (never 403: ids don't leak)
    ├── Conflict                409  the request clashes with the current state
    ├── UnsupportedMediaType    415  a body in a content type the route does not take
    └── InvalidInput            422  a well-formed request whose values break a rule

Litestar's own exceptions (unknown route, wrong method, body too large, body that does not
decode) and unexpected exceptions are mapped here too, so every error has one shape. A 500 says
nothing of its cause; the cause is logged with the request id the response carries.
"""

import logging
import re
from typing import Any, ClassVar

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ExceptionHandlersMap

from api.http.request_id import request_id
from schemas.problem import FieldError, Problem

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("frontoffice.errors")


class FrontOfficeError(Exception):
    """Base of every error a client can act on; `detail` says what to do."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class BadRequest(FrontOfficeError):
    """A query parameter, cursor or header is malformed."""


class Unauthorized(FrontOfficeError):
    """No credentials, or unknown, revoked or expired ones."""

    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(FrontOfficeError):
    """The credentials are valid but lack the scope or role the route needs."""

    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(FrontOfficeError):
    """No such object in the caller's district."""

    status, slug, title = 404, "not-found", "Not found"


class Conflict(FrontOfficeError):
    """The request clashes with the current state of the object."""

    status, slug, title = 409, "conflict", "Conflict"


class UnsupportedMediaType(FrontOfficeError):
    """A request body in a content type the route does not take."""

    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class InvalidInput(FrontOfficeError):
    """A well-formed request whose values break a rule."""

    status, slug, title = 422, "invalid-input", "Invalid input"


# Problem types for statuses Litestar raises itself, and for the unexpected.
_HTTP_TYPES: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("body-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid-input", "Invalid input"),
    429: ("too-many-requests", "Too many requests"),
    500: ("internal-error", "Internal server error"),
    503: ("unavailable", "Service unavailable"),
}

PROBLEM_DESCRIPTIONS: dict[str, str] = (
    {slug: title for slug, title in _HTTP_TYPES.values()}
    | {
        cls.slug: (cls.__doc__ or cls.title).strip()
        for cls in (
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            UnsupportedMediaType,
            InvalidInput,
        )
    }
    | {
        "validation-failed": "The body, a path or a query parameter did not validate; "
        "`errors` lists each field.",
        "idempotency-key-reused": "An Idempotency-Key was sent again with a different request.",
        "idempotency-key-in-use": "The first request with this Idempotency-Key is still being handled.",
    }
)


def problem_type(slug: str) -> str:
    """The URI of a problem type; it resolves to `GET /problems/{slug}` on this service."""
    return f"/problems/{slug}"


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    body = Problem(
        type=problem_type(slug),
        title=title,
        status=status,
        detail=detail,
        instance=request.scope.get("path"),
        request_id=request_id(request.scope),
        errors=errors,
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


REALM = "frontoffice"
# RFC 6750 §3: an error_description is a quoted-string of printable ASCII without `"` or `\`.
_DESCRIPTION_CHARS = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def bearer_challenge(request: Request[Any, Any, Any], detail: str) -> dict[str, str]:
    """The `WWW-Authenticate` header of a 401 (RFC 6750 §3): the Bearer scheme and realm, plus
    `invalid_token` when a bearer credential was sent and did not pass."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    challenge = f'Bearer realm="{REALM}"'
    if scheme.lower() == "bearer" and credential.strip():
        description = _DESCRIPTION_CHARS.sub("", detail)
        challenge += f', error="invalid_token", error_description="{description}"'
    return {"WWW-Authenticate": challenge}


def _on_front_office_error(request: Request[Any, Any, Any], exc: FrontOfficeError) -> Response[Problem]:
    return problem_response(
        request,
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=bearer_challenge(request, exc.detail) if exc.status == 401 else None,
    )


_MSGSPEC_PATH = re.compile(r" - at `(\$[^`]*)`$")


def _field_errors(exc: ValidationException) -> list[FieldError]:
    """Litestar's validation details as field errors with a `$.path` the client can follow."""
    out: list[FieldError] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid value"))
        key = item.get("key")
        match = _MSGSPEC_PATH.search(message)
        if match:
            field, message = match.group(1), message[: match.start()]
        elif key and item.get("source") not in (None, "body"):
            source = item["source"]
            field = f"{getattr(source, 'value', source)}:{key}"
        else:
            field = f"$.{key}" if key else "$"
        out.append(FieldError(field=field, message=message))
    return out


def _on_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    slug, title = _HTTP_TYPES.get(status, ("http-error", "HTTP error"))
    headers = {k: v for k, v in (exc.headers or {}).items()}
    if isinstance(exc, ValidationException):
        errors = _field_errors(exc)
        detail = "The request is not valid: " + "; ".join(f"{e.field}: {e.message}" for e in errors)
        if not errors:
            detail = f"The request is not valid: {exc.detail}"
        return problem_response(
            request,
            status=400,
            slug="validation-failed",
            title="Validation failed",
            detail=detail,
            errors=errors or None,
            headers=headers,
        )
    detail = _HTTP_DETAILS.get(status) or exc.detail or title
    if status == 400 and ("JSON" in detail or "truncated" in detail):
        detail = f"The body is not valid JSON ({detail}); send a JSON document."
    if status == 405:
        path = request.scope.get("path")
        detail = f"{request.method} is not allowed on {path}; see /docs for the methods it takes."
    if status == 401:
        headers.update(bearer_challenge(request, detail))
    return problem_response(request, status=status, slug=slug, title=title, detail=detail, headers=headers)


_HTTP_DETAILS: dict[int, str] = {
    404: "There is no such route; see /docs for the routes this service offers.",
    413: "The request body is larger than this service accepts; send a smaller one.",
}


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.exception("unhandled error", extra={"request_id": request_id(request.scope)})
    return problem_response(
        request,
        status=500,
        slug="internal-error",
        title="Internal server error",
        detail="Something went wrong on our side. It has been logged; quote the request id if you report it.",
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    FrontOfficeError: _on_front_office_error,
    HTTPException: _on_http_exception,
    Exception: _on_unexpected,
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI response entries for the problem responses a route may give."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=_HTTP_TYPES.get(status, ("", "Error"))[1],
            generate_examples=False,  # random examples would make the checked-in document drift
        )
        for status in statuses
    }
