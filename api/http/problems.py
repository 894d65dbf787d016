"""Every error answered as an RFC 9457 problem: the app's own errors (api/errors.py), Litestar's
(unknown route, wrong method, body too large, body that does not decode), and unexpected ones,
so that every error has one shape. A 500 says nothing of its cause; the cause is logged with the
request id the response carries."""

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from api.errors import HTTP_TYPES, PROBLEM_JSON, FrontOfficeError, problem_type
from api.http.request_id import request_id
from schemas.problem import FieldError, Problem

log = logging.getLogger("frontoffice.errors")


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
    slug, title = HTTP_TYPES.get(status, ("http-error", "HTTP error"))
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
