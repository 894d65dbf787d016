"""The completion record as HR reads it: a completion joined to its learner and, at read time,
to the roster employee the learner matches (HR's link by hand, else by employee id, else by
lowercased email), with the module's title and maximum score from the published content."""

import hashlib
import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec
from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select
from sqlalchemy.orm import aliased

from api.content.catalog import Catalog
from api.db import Sessions
from api.models import Completion, Learner, ModuleVersion, RosterEmployee
from schemas.content import Module
from schemas.hr import CompletionRecord, Employee, ModuleRef, Outcome, Placement

by_link = aliased(RosterEmployee, name="r_link")
by_id = aliased(RosterEmployee, name="r_id")
by_email = aliased(RosterEmployee, name="r_email")


class Period(msgspec.Struct, frozen=True):
    """When records were completed: at or after `start`, before `end` (either open)."""

    start: datetime | None = None
    end: datetime | None = None


class Filters(msgspec.Struct, frozen=True, kw_only=True):
    """What HR narrowed a pull or export to; every field optional."""

    completed_from: datetime | None = None
    completed_to: datetime | None = None
    module: str = ""
    school: str = ""
    role: str = ""
    employee: str = ""
    status: Literal["", "completed", "voided"] = ""

    def scope(self) -> str:
        """A short digest of the filters: cursors are only valid for the filters they came from."""
        return hashlib.sha256(msgspec.json.encode(self)).hexdigest()[:16]

    def as_dict(self) -> dict[str, Any]:
        """The filters that were set, for the audit log."""
        values = msgspec.to_builtins(self)
        return {k: v for k, v in values.items() if v not in ("", None)}


class ModuleInfo(msgspec.Struct, frozen=True):
    title: str
    max_points: float | None


def max_points(module: Module) -> float | None:
    """The points a module's knowledge checks are scored out of; None if it has none."""
    quizzes = [f for f in module.forms if f.kind == "knowledge_check"]
    if not quizzes:
        return None
    return sum(float(getattr(item, "points", 1.0)) for form in quizzes for item in form.items) / len(quizzes)


async def module_infos(sessions: Sessions, catalog: Catalog) -> dict[tuple[str, str], ModuleInfo]:
    """Title and maximum score of every published (module, version); versions are immutable and
    the catalog keeps them in memory, so this costs one small query."""
    async with sessions() as session:
        pairs = (await session.execute(select(ModuleVersion.module_id, ModuleVersion.version))).all()
    out: dict[tuple[str, str], ModuleInfo] = {}
    for module_id, version in pairs:
        module = (await catalog.entry(module_id, version)).module
        out[(module_id, version)] = ModuleInfo(title=module.title, max_points=max_points(module))
    return out


def _pick(*columns: Any) -> ColumnElement[Any]:
    return func.coalesce(*columns)


# The resolved employee and placement: the roster's when a roster employee matches (the link
# HR made by hand first), else the learner's own profile.
resolved_employee = _pick(by_link.employee_id, by_id.employee_id, by_email.employee_id, Learner.employee_id)
resolved_school = _pick(by_link.school_code, by_id.school_code, by_email.school_code, Learner.school)
resolved_role = _pick(by_link.role_code, by_id.role_code, by_email.role_code, Learner.role)
resolved_roster = _pick(by_link.id, by_id.id, by_email.id)
resolved_name = _pick(by_link.name, by_id.name, by_email.name, Learner.name)
resolved_email = _pick(by_link.email, by_id.email, by_email.email, Learner.email)
resolved_school_name = _pick(by_link.school_name, by_id.school_name, by_email.school_name, Learner.school)
resolved_department = _pick(by_link.department, by_id.department, by_email.department, literal(""))
resolved_role_title = _pick(by_link.role_title, by_id.role_title, by_email.role_title, Learner.role)

COLUMNS: list[Any] = [
    Completion.id,
    Completion.learner_id,
    Completion.module_id,
    Completion.module_version,
    Completion.score,
    Completion.passed,
    Completion.attempts,
    Completion.started_at,
    Completion.completed_at,
    Completion.credit_minutes,
    Completion.certificate_code,
    Completion.voided_at,
    Completion.void_reason,
    Completion.updated_at,
    resolved_employee.label("employee_id"),
    resolved_name.label("name"),
    resolved_email.label("email"),
    _pick(by_link.status, by_id.status, by_email.status).label("employment_status"),
    by_link.id.label("by_link"),
    by_id.id.label("by_id"),
    by_email.id.label("by_email"),
    resolved_school.label("school_code"),
    resolved_school_name.label("school_name"),
    resolved_department.label("department"),
    resolved_role.label("role_code"),
    resolved_role_title.label("role_title"),
]


def record_query(district_id: uuid.UUID, filters: Filters) -> Select[Any]:
    """Every completion of the district with its resolved employee, narrowed by `filters`."""
    query = (
        select(*COLUMNS)
        .select_from(Completion)
        .join(Learner, Learner.id == Completion.learner_id)
        .outerjoin(
            by_link,
            and_(by_link.id == Learner.roster_employee_id, by_link.district_id == Learner.district_id),
        )
        .outerjoin(
            by_id,
            and_(
                Learner.roster_employee_id.is_(None),
                by_id.district_id == Learner.district_id,
                Learner.employee_id != "",
                by_id.employee_id == Learner.employee_id,
            ),
        )
        .outerjoin(
            by_email,
            and_(
                Learner.roster_employee_id.is_(None),
                by_id.id.is_(None),
                Learner.email != "",
                by_email.email_key != "",  # lets the planner skip roster rows without an email
                by_email.district_id == Learner.district_id,
                by_email.email_key == func.lower(Learner.email),
            ),
        )
        .where(Completion.district_id == district_id)
    )
    return query.where(*conditions(filters))


def conditions(filters: Filters) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if filters.completed_from is not None:
        out.append(Completion.completed_at >= filters.completed_from)
    if filters.completed_to is not None:
        out.append(Completion.completed_at < filters.completed_to)
    if filters.module:
        out.append(Completion.module_id == filters.module)
    if filters.school:
        out.append(resolved_school == filters.school)
    if filters.role:
        out.append(resolved_role == filters.role)
    if filters.employee:
        out.append(resolved_employee == filters.employee)
    if filters.status == "completed":
        out.append(Completion.voided_at.is_(None))
    elif filters.status == "voided":
        out.append(Completion.voided_at.is_not(None))
    return out


def after(completed_at: datetime, completion_id: uuid.UUID) -> ColumnElement[bool]:
    """Rows after (completed_at, id) in listing order (keyset pagination)."""
    return or_(
        Completion.completed_at > completed_at,
        and_(Completion.completed_at == completed_at, Completion.id > completion_id),
    )


def to_record(row: Any, modules: dict[tuple[str, str], ModuleInfo]) -> CompletionRecord:
    info = modules.get((row.module_id, row.module_version))
    top = info.max_points if info else None
    score = row.score
    matched: Literal["link", "employee_id", "email", "none"] = (
        "link"
        if row.by_link is not None
        else "employee_id"
        if row.by_id is not None
        else "email"
        if row.by_email is not None
        else "none"
    )
    return CompletionRecord(
        id=row.id,
        employee=Employee(
            employee_id=row.employee_id,
            name=row.name,
            email=row.email,
            status=row.employment_status or "unmatched",
            matched_by=matched,
            learner_id=row.learner_id,
        ),
        placement=Placement(
            school_code=row.school_code,
            school_name=row.school_name,
            department=row.department,
            role_code=row.role_code,
            role_title=row.role_title,
        ),
        module=ModuleRef(
            id=row.module_id, title=info.title if info else row.module_id, version=row.module_version
        ),
        outcome=Outcome(
            status="voided" if row.voided_at is not None else "completed",
            score_raw=None if score is None or top is None else round(score * top, 4),
            score_max=top if score is not None else None,
            score_scaled=score,
            passed=row.passed,
            attempts=row.attempts,
            started_at=row.started_at,
            completed_at=row.completed_at,
            voided_at=row.voided_at,
            void_reason=row.void_reason,
        ),
        credit_minutes=row.credit_minutes,
        certificate_id=row.certificate_code,
        updated_at=row.updated_at,
    )
