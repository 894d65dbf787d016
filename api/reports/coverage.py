"""Training coverage over the roster: per school or role, who completed each module, and
whom HR still has to chase (with the due date HR's assignments set, and whether it passed)."""

import uuid
from typing import Literal

from sqlalchemy import select

from api.admin.audit import audit
from api.assignments.services import district_assignments, earliest
from api.completions.records import (
    Filters,
    Period,
    record_query,
    resolved_roster,
)
from api.content.catalog import Catalog
from api.db import Sessions
from api.models import Completion, RosterEmployee, utcnow
from api.roster.services import CHASED_STATUSES
from schemas.hr import (
    Outstanding,
    Summary,
    SummaryGroup,
)

ALWAYS = Period()
"""No bounds: every live completion."""


class CoverageService:
    """One district's roster against its live completions."""

    def __init__(
        self,
        sessions: Sessions,
        catalog: Catalog,
        district_id: uuid.UUID,
        key_id: uuid.UUID | None,
        actor: str = "",
    ) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.district_id = district_id
        self.key_id = key_id
        self.actor = actor
        """The person behind a console session, named in the audit log with every read."""

    async def _completed_pairs(self, period: Period = ALWAYS) -> set[tuple[uuid.UUID, str]]:
        """(roster employee id, module id) for every live completion a roster employee has,
        completed within `period`."""
        filters = Filters(status="completed", completed_from=period.start, completed_to=period.end)
        query = (
            record_query(self.district_id, filters)
            .with_only_columns(resolved_roster, Completion.module_id)
            .where(resolved_roster.is_not(None))
            .distinct()
        )
        async with self.sessions() as session:
            return {(r[0], r[1]) for r in (await session.execute(query)).all()}

    async def _roster(self, school: str = "", role: str = "") -> list[RosterEmployee]:
        query = select(RosterEmployee).where(
            RosterEmployee.district_id == self.district_id, RosterEmployee.status.in_(CHASED_STATUSES)
        )
        if school:
            query = query.where(RosterEmployee.school_code == school)
        if role:
            query = query.where(RosterEmployee.role_code == role)
        async with self.sessions() as session:
            return list((await session.execute(query.order_by(RosterEmployee.employee_id))).scalars())

    async def summary(
        self, by: Literal["school", "role"], school: str = "", role: str = "", period: Period = ALWAYS
    ) -> Summary:
        """Per school or role: active roster employees and how many completed each module (within
        `period`), within one school or role when given."""
        course = await self.catalog.course()
        roster = await self._roster(school, role)
        done = await self._completed_pairs(period)
        groups: dict[str, SummaryGroup] = {}
        for employee in roster:
            code, name = (
                (employee.school_code, employee.school_name)
                if by == "school"
                else (employee.role_code, employee.role_title)
            )
            group = groups.setdefault(
                code,
                SummaryGroup(code=code, name=name, employees=0, completed=dict.fromkeys(course.modules, 0)),
            )
            group.employees += 1
            for module_id in course.modules:
                if (employee.id, module_id) in done:
                    group.completed[module_id] += 1
        # Named in the audit log as the listing's filters are.
        given = Filters(school=school, role=role, completed_from=period.start, completed_to=period.end)
        filters = {"by": by, **given.as_dict()}
        await audit(
            self.sessions, self.district_id, self.key_id, "summary", filters, len(groups), actor=self.actor
        )
        return Summary(by=by, modules=list(course.modules), groups=[groups[k] for k in sorted(groups)])

    async def outstanding(
        self, module_id: str, school: str, role: str, overdue_only: bool = False
    ) -> list[Outstanding]:
        """Active roster employees without a live completion of the module, each with the due
        date of the earliest assignment of it that applies to them; only the overdue ones when
        `overdue_only`."""
        await self.catalog.entry(module_id)  # NotFound for an unknown module
        roster = await self._roster(school, role)
        done = await self._completed_pairs()
        async with self.sessions() as session:
            assignments = await district_assignments(session, self.district_id, module_id)
        now = utcnow()
        out: list[Outstanding] = []
        for e in roster:
            if (e.id, module_id) in done:
                continue
            due = earliest(assignments, e.school_code, e.role_code).get(module_id)
            overdue = due is not None and due.due_at <= now
            if overdue_only and not overdue:
                continue
            out.append(
                Outstanding(
                    employee_id=e.employee_id,
                    name=e.name,
                    email=e.email,
                    school_code=e.school_code,
                    role_code=e.role_code,
                    due_on=due.due_on if due else None,
                    overdue=overdue,
                )
            )
        filters: dict[str, str | bool] = {"module": module_id, "school": school, "role": role}
        if overdue_only:
            filters["overdue"] = True
        await audit(
            self.sessions,
            self.district_id,
            self.key_id,
            "outstanding",
            {k: v for k, v in filters.items() if v},
            len(out),
            actor=self.actor,
        )
        return out
