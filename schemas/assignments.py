"""Payloads of assignments: HR assigns a module to a school, a role, or a role at one school,
due on a day in the district's time zone."""

import uuid
from datetime import date, datetime
from typing import Annotated

from msgspec import Meta

from schemas.base import Wire


class AssignmentCreate(Wire, kw_only=True):
    """Assign a module: to every employee of a school, of a role, or of a role at one school
    (school and role codes as on the roster)."""

    module_id: Annotated[str, Meta(min_length=1, max_length=64)]
    school_code: Annotated[str, Meta(max_length=50, description="A school code; empty: every school.")] = ""
    role_code: Annotated[str, Meta(max_length=50, description="A job role code; empty: every role.")] = ""
    due_on: Annotated[
        date,
        Meta(
            description="Due by the end of this day in the district's time zone (YYYY-MM-DD, "
            "2000-01-01 to 2999-12-31)."
        ),
    ]


class AssignmentView(Wire, kw_only=True):
    """An assignment as HR reads it."""

    id: uuid.UUID
    module_id: str
    school_code: str
    role_code: str
    due_on: date
    due_at: Annotated[datetime, Meta(description="The first instant it is overdue (UTC).")]
    created_at: datetime
