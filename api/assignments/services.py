"""Assignments: HR assigns a module to a school, a role, or a role at one school, due on a day
in the district's time zone. Learners see what applies to them, `/outstanding` says who is
overdue, and `sweep_overdue` sends `assignment.overdue` once per assignment and employee.

An assignment applies to an active (or on leave) roster employee whose school and role match
its codes, an empty code matching any; a learner who matches no roster employee is placed by
their own profile. When several assignments of one module apply, the earliest due date counts.
"""

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.completions.records import Filters, record_query, resolved_roster
from api.content.catalog import Catalog
from api.db import Sessions
from api.errors import Conflict, InvalidInput, NotFound
from api.models import (
    Assignment,
    AssignmentNotice,
    Completion,
    District,
    Learner,
    ModuleRecord,
    ModuleVersion,
    RosterEmployee,
    utcnow,
)
from api.outbox.emit import emit
from api.roster.services import CHASED_STATUSES, matched_employee
from schemas.assignments import AssignmentCreate, AssignmentView
from schemas.events import AssignmentOverdue, EmployeeRef
from schemas.problem import FieldError

# A due date out here is a typo, and the far ends of the calendar can't be moved into UTC.
EARLIEST_DUE, LATEST_DUE = date(2000, 1, 1), date(2999, 12, 31)
INSERT_CHUNK = 500  # notice rows per INSERT: well under SQLite's bound-parameter limit


def assignment_view(row: Assignment) -> AssignmentView:
    return AssignmentView(
        id=row.id,
        module_id=row.module_id,
        school_code=row.school_code,
        role_code=row.role_code,
        due_on=row.due_on,
        due_at=row.due_at,
        created_at=row.created_at,
    )


def applies(assignment: Assignment, school: str, role: str) -> bool:
    return assignment.school_code in ("", school) and assignment.role_code in ("", role)


def earliest(assignments: Iterable[Assignment], school: str, role: str) -> dict[str, Assignment]:
    """Per module, the assignment with the earliest due date among those that apply."""
    out: dict[str, Assignment] = {}
    for a in assignments:
        if applies(a, school, role) and (a.module_id not in out or a.due_at < out[a.module_id].due_at):
            out[a.module_id] = a
    return out


def end_of_day(day: date, time_zone: str) -> datetime:
    """The first instant after `day` in the time zone, in UTC: when something due that day is late."""
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(time_zone)).astimezone(UTC)


async def district_assignments(
    session: AsyncSession, district_id: uuid.UUID, module_id: str = ""
) -> list[Assignment]:
    query = select(Assignment).where(Assignment.district_id == district_id)
    if module_id:
        query = query.where(Assignment.module_id == module_id)
    return list((await session.scalars(query.order_by(Assignment.due_at, Assignment.id))).all())


async def learner_due(session: AsyncSession, learner_id: uuid.UUID) -> dict[str, Assignment]:
    """Per module, the assignment that sets when the learner should have done it: placed by
    the roster employee they match (active or on leave), else by their own profile."""
    learner = await session.get(Learner, learner_id)
    if learner is None:
        return {}
    employee = await matched_employee(session, learner)
    if employee is not None:
        if employee.status not in CHASED_STATUSES:
            return {}
        school, role = employee.school_code, employee.role_code
    else:
        school, role = learner.school, learner.role
    return earliest(await district_assignments(session, learner.district_id), school, role)


class AssignmentService:
    """One district's assignments, as HR makes and reads them."""

    def __init__(
        self, sessions: Sessions, catalog: Catalog, district_id: uuid.UUID, key_id: uuid.UUID | None
    ) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.district_id = district_id
        self.key_id = key_id

    async def create(self, body: AssignmentCreate) -> AssignmentView:
        errors: list[FieldError] = []
        try:
            await self.catalog.entry(body.module_id)
        except NotFound:
            errors.append(
                FieldError(field="$.module_id", message="is not a module; GET /api/v1/modules lists them")
            )
        if not EARLIEST_DUE <= body.due_on <= LATEST_DUE:
            errors.append(
                FieldError(field="$.due_on", message=f"must be between {EARLIEST_DUE} and {LATEST_DUE}")
            )
        if not body.school_code and not body.role_code:
            errors.append(
                FieldError(
                    field="$.school_code",
                    message="or $.role_code is needed: assign to a school, a role, or both",
                )
            )
        if errors:
            raise InvalidInput(
                "The assignment can't be made: " + "; ".join(f"{e.field} {e.message}" for e in errors),
                errors=errors,
            )
        try:
            async with self.sessions.begin() as session:
                district = await session.get(District, self.district_id)
                time_zone = district.time_zone if district else "UTC"
                row = Assignment(
                    district_id=self.district_id,
                    module_id=body.module_id,
                    school_code=body.school_code,
                    role_code=body.role_code,
                    due_on=body.due_on,
                    due_at=end_of_day(body.due_on, time_zone),
                    created_at=utcnow(),
                    key_id=self.key_id,
                )
                session.add(row)
                await session.flush()
                return assignment_view(row)
        except IntegrityError:
            async with self.sessions() as session:
                existing = await session.scalar(
                    select(Assignment.id).where(
                        Assignment.district_id == self.district_id,
                        Assignment.module_id == body.module_id,
                        Assignment.school_code == body.school_code,
                        Assignment.role_code == body.role_code,
                    )
                )
            raise Conflict(
                f"Module {body.module_id!r} is already assigned to this school and role "
                f"(assignment {existing}); to change its due date, DELETE /api/v1/assignments/{existing} "
                "and assign it again."
            ) from None

    async def list(self, module_id: str) -> list[AssignmentView]:
        async with self.sessions() as session:
            return [
                assignment_view(r) for r in await district_assignments(session, self.district_id, module_id)
            ]

    async def delete(self, assignment_id: uuid.UUID) -> None:
        """Delete the assignment (its overdue notices with it): nobody is chased for it any more."""
        async with self.sessions.begin() as session:
            row = await session.get(Assignment, assignment_id)
            if row is None or row.district_id != self.district_id:
                raise NotFound(
                    f"No assignment {assignment_id} in this district; GET /api/v1/assignments lists them."
                )
            await session.delete(row)


async def _titles(session: AsyncSession, module_ids: set[str]) -> dict[str, str]:
    """The current title of each module (the published document's), for the event."""
    rows = await session.execute(
        select(ModuleRecord.id, ModuleVersion.document)
        .join(
            ModuleVersion,
            (ModuleVersion.module_id == ModuleRecord.id)
            & (ModuleVersion.version == ModuleRecord.current_version),
        )
        .where(ModuleRecord.id.in_(module_ids))
    )
    return {module_id: str(document.get("title", module_id)) for module_id, document in rows}


async def _sweep_district(
    sessions: Sessions, district_id: uuid.UUID, due: list[Assignment], now: datetime
) -> int:
    sent = 0
    async with sessions.begin() as session:
        roster = list(
            (
                await session.scalars(
                    select(RosterEmployee).where(
                        RosterEmployee.district_id == district_id, RosterEmployee.status.in_(CHASED_STATUSES)
                    )
                )
            ).all()
        )
        completed = {
            (r[0], r[1])
            for r in (
                await session.execute(
                    record_query(district_id, Filters(status="completed"))
                    .with_only_columns(resolved_roster, Completion.module_id)
                    .where(resolved_roster.is_not(None))
                    .distinct()
                )
            ).all()
        }
        notified = {
            (r[0], r[1])
            for r in (
                await session.execute(
                    select(AssignmentNotice.assignment_id, AssignmentNotice.roster_employee_id).where(
                        AssignmentNotice.assignment_id.in_([a.id for a in due])
                    )
                )
            ).all()
        }
        # In key order: two sweeps insert the same pairs in the same order, so neither waits
        # on the other while holding a row the other waits for (no deadlock on PostgreSQL).
        pending = [
            (assignment, employee)
            for assignment in sorted(due, key=lambda a: a.id)
            for employee in sorted(roster, key=lambda e: e.id)
            if applies(assignment, employee.school_code, employee.role_code)
            and (employee.id, assignment.module_id) not in completed
            and (assignment.id, employee.id) not in notified
        ]
        if not pending:
            return 0
        titles = await _titles(session, {a.module_id for a, _ in pending})
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        by_pair = {(a.id, e.id): (a, e) for a, e in pending}
        for start in range(0, len(pending), INSERT_CHUNK):
            chunk = pending[start : start + INSERT_CHUNK]
            # A concurrent sweep that wrote the same pair first wins: ours is skipped (on
            # PostgreSQL this waits for its commit), so the event is written once.
            inserted = await session.execute(
                dialect.insert(AssignmentNotice)
                .values(
                    [
                        {
                            "assignment_id": a.id,
                            "roster_employee_id": e.id,
                            "district_id": district_id,
                            "sent_at": now,
                        }
                        for a, e in chunk
                    ]
                )
                .on_conflict_do_nothing(
                    index_elements=[AssignmentNotice.assignment_id, AssignmentNotice.roster_employee_id]
                )
                .returning(AssignmentNotice.assignment_id, AssignmentNotice.roster_employee_id)
            )
            for assignment_id, employee_id in inserted.all():
                assignment, employee = by_pair[(assignment_id, employee_id)]
                await emit(
                    session,
                    district_id,
                    AssignmentOverdue(
                        assignment_id=assignment.id,
                        module_id=assignment.module_id,
                        module_title=titles.get(assignment.module_id, assignment.module_id),
                        due_on=assignment.due_on,
                        employee=EmployeeRef(
                            employee_id=employee.employee_id,
                            name=employee.name,
                            email=employee.email,
                            school_code=employee.school_code,
                            role_code=employee.role_code,
                        ),
                        overdue_at=now,
                    ),
                    at=now,
                )
                sent += 1
    return sent


async def sweep_overdue(sessions: Sessions, now: datetime) -> int:
    """Write `assignment.overdue` for every (assignment, employee) past due at `now` with no
    live completion of the module and no notice yet; the number written. Safe to run again and
    from many workers at once: the notice's key lets one writer per pair through."""
    async with sessions() as session:
        due = list((await session.scalars(select(Assignment).where(Assignment.due_at <= now))).all())
    by_district: dict[uuid.UUID, list[Assignment]] = {}
    for assignment in due:
        by_district.setdefault(assignment.district_id, []).append(assignment)
    sent = 0
    for district_id, assignments in by_district.items():
        sent += await _sweep_district(sessions, district_id, assignments, now)
    return sent
