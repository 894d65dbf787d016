"""The one error vocabulary of Front Office, each error an RFC 9457 problem type (answered by
api/http/problems.py) with the OpenAPI entries that document it.

    FrontOfficeError                 any error a client can act on (4xx)
    ├── BadRequest              400  a query parameter, cursor or header is malformed
    ├── Unauthorized            401  no credentials, or unknown, revoked or expired ones
    ├── Forbidden               403  the credentials lack the scope or role the route needs
    ├── NotFound                404  no such object in the caller's district (never 403: ids don't leak)
    ├── Conflict                409  the request clashes with the current state
    ├── Gone                    410  the object existed and was closed for good (a feedback link)
    ├── UnsupportedMediaType    415  a body in a content type the route does not take
    └── InvalidInput            422  a well-formed request whose values break a rule
"""

from typing import ClassVar

from litestar.openapi.datastructures import ResponseSpec

from schemas.problem import FieldError, Problem

PROBLEM_JSON = "application/problem+json"


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


class Gone(FrontOfficeError):
    """The object existed and has been closed for good (a school's feedback link)."""

    status, slug, title = 410, "gone", "Gone"


class UnsupportedMediaType(FrontOfficeError):
    """A request body in a content type the route does not take."""

    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class InvalidInput(FrontOfficeError):
    """A well-formed request whose values break a rule."""

    status, slug, title = 422, "invalid-input", "Invalid input"


# Problem types for statuses Litestar raises itself, and for the unexpected.
HTTP_TYPES: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    410: ("gone", "Gone"),
    413: ("body-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid-input", "Invalid input"),
    429: ("too-many-requests", "Too many requests"),
    500: ("internal-error", "Internal server error"),
    503: ("unavailable", "Service unavailable"),
}

PROBLEM_DESCRIPTIONS: dict[str, str] = (
    {slug: title for slug, title in HTTP_TYPES.values()}
    | {
        cls.slug: (cls.__doc__ or cls.title).strip()
        for cls in (
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            Gone,
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


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI response entries for the problem responses a route may give."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=HTTP_TYPES.get(status, ("", "Error"))[1],
            generate_examples=False,  # random examples would make the checked-in document drift
        )
        for status in statuses
    }
