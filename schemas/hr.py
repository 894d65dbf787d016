"""Payloads of HR completion records: the roster, completion records, the changes feed,
summaries, transcripts, certificate verification and the audit log."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from msgspec import Meta

from schemas.base import Wire

EmploymentStatus = Literal["active", "leave", "inactive", "terminated"]
EMPLOYMENT_STATUSES: tuple[str, ...] = ("active", "leave", "inactive", "terminated")


# --- Roster --------------------------------------------------------------------------------


class RosterRow(Wire, kw_only=True):
    """One employee as HR describes them (a JSON roster row or a CSV line)."""

    employee_id: Annotated[str, Meta(min_length=1, max_length=100, description="HR's employee id.")]
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    email: Annotated[str, Meta(max_length=320, description="Matched case-insensitively.")] = ""
    school_code: Annotated[str, Meta(max_length=50)] = ""
    school_name: Annotated[str, Meta(max_length=200)] = ""
    department: Annotated[str, Meta(max_length=200)] = ""
    role_code: Annotated[str, Meta(max_length=50)] = ""
    role_title: Annotated[str, Meta(max_length=200)] = ""
    status: EmploymentStatus = "active"


class RosterUpload(Wire, kw_only=True):
    """A bulk upsert of roster rows (by employee id)."""

    employees: Annotated[list[dict[str, Any]], Meta(description="Rows shaped as RosterRow.")]


class RowError(Wire, kw_only=True):
    """A problem with one row of an import."""

    line: Annotated[int, Meta(description="CSV line number (the header is line 1), or JSON row index + 1.")]
    field: Annotated[str, Meta(description="The column at fault, or empty for the whole row.")]
    problem: str


class RosterImportResult(Wire, kw_only=True):
    """What an import did: rows created and updated, and each row's problems."""

    created: int
    updated: int
    rejected: int
    imported: Annotated[bool, Meta(description="False when errors stopped the whole import.")]
    errors: list[RowError]


OneRosterVersion = Literal["1.1", "1.2"]


class OneRosterRowError(Wire, kw_only=True):
    """A problem with one line of a OneRoster bundle, named in OneRoster's own terms."""

    file: Annotated[str, Meta(description="The bundle's file, e.g. `users.csv`.")]
    line: Annotated[int, Meta(description="The line in that file (the header is line 1).")]
    field: Annotated[
        str, Meta(description="The OneRoster column at fault, e.g. `$.email`; empty for the row.")
    ]
    problem: str


Url = Annotated[str, Meta(min_length=8, max_length=500, pattern=r"^https?://[^\s]+$")]


class OneRosterSourceIn(Wire, kw_only=True, forbid_unknown_fields=True):
    """A district's OneRoster REST endpoint, read into its roster every `every_hours`."""

    base_url: Annotated[Url, Meta(description="The server's base, before `/ims/oneroster/…`.")]
    version: OneRosterVersion
    token_url: Annotated[Url, Meta(description="Its OAuth 2 token endpoint (client credentials).")]
    client_id: Annotated[str, Meta(min_length=1, max_length=200)]
    client_secret: Annotated[
        str, Meta(min_length=1, max_length=500, description="Stored encrypted; never shown again.")
    ]
    every_hours: Annotated[int, Meta(ge=1, le=168)] = 24


class OneRosterSourceView(Wire, kw_only=True):
    """A district's OneRoster REST source as stored (the secret never leaves), and its last run."""

    base_url: str
    version: OneRosterVersion
    token_url: str
    client_id: str
    every_hours: int
    next_run_at: datetime
    last_run_at: datetime | None
    last_outcome: Annotated[
        Literal["", "imported", "failed"], Meta(description="Empty before the first run.")
    ]
    last_detail: Annotated[str, Meta(description="What the last run did, or why nothing was imported.")]
    last_created: int
    last_updated: int


class OneRosterImportResult(Wire, kw_only=True):
    """What a OneRoster import did: staff created and updated, users skipped (students, parents,
    guardians, relatives), and each line's problems (only when `partial=true` let the rest in)."""

    version: OneRosterVersion
    created: int
    updated: int
    skipped: Annotated[int, Meta(description="Users who are not staff, left out by design.")]
    rejected: Annotated[int, Meta(description="Lines with a problem, left out.")]
    errors: list[OneRosterRowError]


class RosterEmployeeView(Wire, kw_only=True):
    """An employee on the roster as HR reads it back, with the learner HR linked by hand."""

    employee_id: str
    name: str
    email: str
    school_code: str
    school_name: str
    department: str
    role_code: str
    role_title: str
    status: EmploymentStatus
    linked_learner_id: Annotated[
        uuid.UUID | None, Meta(description="The learner HR linked to this employee by hand, if any.")
    ]
    updated_at: datetime


class RosterPage(Wire, kw_only=True):
    """One page of the roster, in employee id order."""

    items: list[RosterEmployeeView]
    next_cursor: Annotated[
        str | None, Meta(description="Pass as `cursor` for the next page; null at the end.")
    ]


class RosterLinkRequest(Wire, kw_only=True):
    """Link a learner to a roster employee by hand (their employee id and email match none)."""

    employee_id: Annotated[str, Meta(min_length=1, max_length=100, description="HR's employee id.")]


class RosterLink(Wire, kw_only=True):
    """A learner linked by hand to a roster employee: their completions count for the employee."""

    learner_id: uuid.UUID
    employee_id: str
    name: Annotated[str, Meta(description="The employee's name on the roster.")]


class UnmatchedLearner(Wire, kw_only=True):
    """A learner no roster employee matches (no link by hand, neither employee id nor email)."""

    learner_id: uuid.UUID
    external_id: str
    name: str
    email: str
    employee_id: str
    school: str
    role: str


# --- Completion records ----------------------------------------------------------------------


class Employee(Wire, kw_only=True):
    """Who completed: the roster employee, or the learner's own profile when unmatched."""

    employee_id: str
    name: str
    email: str
    status: Annotated[str, Meta(description="Employment status from the roster; `unmatched` if none.")]
    matched_by: Annotated[
        Literal["link", "employee_id", "email", "none"],
        Meta(description="How the roster matched: HR's link by hand, employee id, or email."),
    ]
    learner_id: uuid.UUID


class Placement(Wire, kw_only=True):
    """Where the employee works (the roster's; the learner's profile when unmatched)."""

    school_code: str
    school_name: str
    department: str
    role_code: str
    role_title: str


class ModuleRef(Wire, kw_only=True):
    id: str
    title: str
    version: str


class Outcome(Wire, kw_only=True):
    status: Literal["completed", "voided"]
    score_raw: float | None
    score_max: float | None
    score_scaled: Annotated[float | None, Meta(description="0 to 1.")]
    passed: bool | None
    attempts: int
    started_at: datetime
    completed_at: datetime
    voided_at: datetime | None
    void_reason: str | None


class CompletionRecord(Wire, kw_only=True):
    """A completion record as HR reads it."""

    id: uuid.UUID
    employee: Employee
    placement: Placement
    module: ModuleRef
    outcome: Outcome
    credit_minutes: float
    certificate_id: str
    updated_at: datetime


class CompletionPage(Wire, kw_only=True):
    items: list[CompletionRecord]
    next_cursor: Annotated[
        str | None, Meta(description="Pass as `cursor` for the next page; null at the end.")
    ]


class CompletionChangeItem(Wire, kw_only=True):
    """A record as it is now, for one change to it (its creation or its voiding)."""

    change_id: int
    record: CompletionRecord


class ChangesPage(Wire, kw_only=True):
    items: list[CompletionChangeItem]
    next_cursor: Annotated[str, Meta(description="Pull again from here; keep it when items is empty.")]
    has_more: Annotated[bool, Meta(description="True: pull again now; false: caught up, pull later.")]


class ExportRow(Wire, kw_only=True):
    """One completion record as the exports flatten it: a CSV row (the fields are its columns, in
    this order) or an NDJSON line."""

    record_id: uuid.UUID
    employee_id: Annotated[str, Meta(description="HR's employee id; the learner's own if unmatched.")]
    employee_name: str
    employee_email: str
    employee_status: Annotated[
        str,
        Meta(
            description="Employment status from the roster (active, leave, inactive, terminated); "
            "`unmatched` if none."
        ),
    ]
    matched_by: Annotated[
        Literal["link", "employee_id", "email", "none"],
        Meta(description="How the roster matched the learner: HR's link by hand, employee id, or email."),
    ]
    school_code: str
    school_name: str
    department: str
    role_code: Annotated[str, Meta(description="Job role code.")]
    role_title: str
    module_id: str
    module_title: str
    module_version: str
    status: Literal["completed", "voided"]
    score_raw: Annotated[
        float | None, Meta(description="Points scored; null for modules without a scored quiz.")
    ]
    score_max: Annotated[float | None, Meta(description="Points possible; null without a scored quiz.")]
    score_scaled: Annotated[float | None, Meta(description="0 to 1; null without a scored quiz.")]
    passed: bool | None
    attempts: Annotated[int, Meta(description="Knowledge-check attempts the learner submitted.")]
    started_at: datetime
    completed_at: datetime
    voided_at: datetime | None
    void_reason: str | None
    credit_minutes: Annotated[float, Meta(description="Professional-development credit, in minutes.")]
    certificate_id: Annotated[str, Meta(description="The certificate's code; check it at `/verify/{code}`.")]
    updated_at: Annotated[datetime, Meta(description="When the record last changed (created or voided).")]


# --- Summaries -------------------------------------------------------------------------------


class SummaryGroup(Wire, kw_only=True):
    """One school or role's roster and how many of its employees completed each module."""

    code: str
    name: str
    employees: int
    completed: Annotated[dict[str, int], Meta(description="Module id to employees with a live completion.")]


class Summary(Wire, kw_only=True):
    by: Literal["school", "role"]
    modules: list[str]
    groups: list[SummaryGroup]


class Outstanding(Wire, kw_only=True):
    """An active roster employee without a live completion of a module: who HR chases."""

    employee_id: str
    name: str
    email: str
    school_code: str
    role_code: str
    due_on: Annotated[
        date | None,
        Meta(description="When the module is due for them (HR's assignments); null: not assigned."),
    ] = None
    overdue: Annotated[bool, Meta(description="Past its due date and not completed.")] = False


# --- Transcript, verification, audit ---------------------------------------------------------


class HrTranscript(Wire, kw_only=True):
    employee_id: str
    name: str
    email: str
    records: list[CompletionRecord]
    total_credit_minutes: float


class Verification(Wire, kw_only=True):
    """What the public verification of a certificate code says: nothing more than this."""

    valid: bool
    name: str | None = None
    module: str | None = None
    completed_on: str | None = None
    district: str | None = None
    voided_on: Annotated[
        str | None,
        Meta(description="The date the district voided the record, when it did (then `valid` is false)."),
    ] = None


class AuditView(Wire, kw_only=True):
    id: uuid.UUID
    key_id: uuid.UUID | None
    action: str
    filters: dict[str, Any]
    row_count: int
    at: datetime
    actor: str = ""
    """The person behind a console session (name and email); empty for an API key."""
