"""Query parameters shared by the routes that page through a district's rows, and the moments
(`from`, `to`) that narrow them: an ISO 8601 date-time with its offset, or a plain date that
means midnight in the district's time zone."""

import re
from datetime import UTC, date, datetime, time, tzinfo
from typing import Annotated

from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.params import QueryParameter

from api.errors import BadRequest

MAX_PAGE = 1000

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description=f"Page size, at most {MAX_PAGE}.")]

# Exactly YYYY-MM-DD: date.fromisoformat also takes `20261201` and week dates, which nobody types
# into a filter on purpose.
_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def moment_query(name: str, meaning: str) -> QueryParameter:
    """A `from`/`to` query parameter, documented as either of the two forms it takes."""
    return QueryParameter(
        name=name,
        description=f"{meaning}: an ISO 8601 date-time with its offset (`2026-12-01T08:00:00Z`), or a "
        "plain date (`2026-12-01`), which means that day's midnight in the district's time zone.",
        schema_extra={
            "one_of": [
                Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME),
                Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE),
            ]
        },
    )


def is_plain_date(value: str | None) -> bool:
    """Whether `value` is a plain date (so reading it needs the district's time zone)."""
    return value is not None and _PLAIN_DATE.fullmatch(value) is not None


def moment(value: str | None, name: str, zone: tzinfo) -> datetime | None:
    """The instant, in UTC, a `from`/`to` value names; a plain date is midnight in `zone`. Any
    value that names no instant a datetime holds is a 400 saying which forms are taken."""
    if value is None:
        return None
    forms = "e.g. 2026-09-01T00:00:00Z, or a plain date such as 2026-09-01"
    if is_plain_date(value):
        try:
            when = datetime.combine(date.fromisoformat(value), time(), tzinfo=zone)
        except ValueError:
            raise BadRequest(f"`{name}` is not a calendar date; {forms}.") from None
    else:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise BadRequest(f"`{name}` is not an ISO 8601 date-time; {forms}.") from None
        if when.tzinfo is None:
            raise BadRequest(
                f"`{name}` needs a time zone, e.g. 2026-09-01T00:00:00Z; "
                "or give a plain date such as 2026-09-01."
            )
    try:
        return when.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before the first instant a datetime holds
        raise BadRequest(
            f"`{name}` is out of range once in UTC; give a date or date-time between years 1 and 9999."
        ) from None
