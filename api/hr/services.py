"""HR's reads of completion records: pages, the changes feed, summaries, transcripts,
certificates and their public verification, and the audit log of every pull."""

import uuid
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import exists, func, or_, select

from api.content.catalog import Catalog
from api.db import Sessions
from api.errors import BadRequest, NotFound
from api.hr import cursors
from api.hr.changes import changes_query
from api.hr.records import (
    Filters,
    ModuleInfo,
    after,
    module_infos,
    record_query,
    resolved_roster,
    to_record,
)
from api.models import AuditEntry, Completion, District, Learner, RosterEmployee, utcnow
from schemas.hr import (
    AuditView,
    ChangesPage,
    CompletionChangeItem,
    CompletionPage,
    CompletionRecord,
    HrTranscript,
    Outstanding,
    Summary,
    SummaryGroup,
    UnmatchedLearner,
    Verification,
)

MAX_PAGE = 1000
CHASED_STATUSES = ("active", "leave")  # who HR counts and chases; inactive and terminated are not


async def audit(
    sessions: Sessions,
    district_id: uuid.UUID,
    key_id: uuid.UUID | None,
    action: str,
    filters: dict[str, Any],
    row_count: int,
) -> None:
    """Record a pull or export (its own short transaction: call it holding no session)."""
    async with sessions.begin() as session:
        session.add(
            AuditEntry(
                district_id=district_id,
                key_id=key_id,
                action=action,
                filters=filters,
                row_count=row_count,
                at=utcnow(),
            )
        )


class HrService:
    """One district's completion records as HR reads them."""

    def __init__(
        self,
        sessions: Sessions,
        catalog: Catalog,
        district_id: uuid.UUID,
        key_id: uuid.UUID | None,
        secret: str,
        postgres: bool,
    ) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.district_id = district_id
        self.key_id = key_id
        self.secret = secret
        self.postgres = postgres

    async def _modules(self) -> dict[tuple[str, str], ModuleInfo]:
        return await module_infos(self.sessions, self.catalog)

    async def page(self, filters: Filters, cursor: str | None, limit: int) -> CompletionPage:
        """One page of records in (completed_at, id) order; new records never shift a cursor."""
        query = record_query(self.district_id, filters)
        if cursor:
            position = cursors.decode(self.secret, "records", self.district_id, filters.scope(), cursor)
            try:
                when, last = datetime.fromisoformat(position[0]), uuid.UUID(position[1])
            except (IndexError, TypeError, ValueError):
                raise BadRequest("The cursor is not valid; start again without one.") from None
            query = query.where(after(when, last))
        query = query.order_by(Completion.completed_at, Completion.id).limit(limit + 1)
        modules = await self._modules()
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
        items = [to_record(row, modules) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last_row = rows[limit - 1]
            next_cursor = cursors.encode(
                self.secret,
                "records",
                self.district_id,
                filters.scope(),
                [last_row.completed_at.isoformat(), str(last_row.id)],
            )
        await audit(self.sessions, self.district_id, self.key_id, "list", filters.as_dict(), len(items))
        return CompletionPage(items=items, next_cursor=next_cursor)

    async def changes(self, cursor: str | None, limit: int) -> ChangesPage:
        """Changes after the cursor, oldest first; see api/hr/changes.py for why none is missed."""
        position = (0, 0)
        if cursor:
            raw = cursors.decode(self.secret, "changes", self.district_id, "", cursor)
            if len(raw) != 2 or not all(isinstance(v, int) for v in raw):
                raise BadRequest("The cursor is not valid; start again without one.")
            position = (raw[0], raw[1])
        modules = await self._modules()
        async with self.sessions() as session:
            rows = (
                await session.execute(changes_query(self.district_id, position, limit, self.postgres))
            ).all()
        items = [
            CompletionChangeItem(change_id=row.change_id, record=to_record(row, modules)) for row in rows
        ]
        if rows:
            position = (rows[-1].txid, rows[-1].change_id)
        next_cursor = cursors.encode(self.secret, "changes", self.district_id, "", list(position))
        await audit(
            self.sessions, self.district_id, self.key_id, "changes", {"cursor": cursor or ""}, len(items)
        )
        return ChangesPage(items=items, next_cursor=next_cursor, has_more=len(rows) == limit)

    async def record(self, completion_id: uuid.UUID, learner_id: uuid.UUID | None = None) -> CompletionRecord:
        query = record_query(self.district_id, Filters()).where(Completion.id == completion_id)
        if learner_id is not None:
            query = query.where(Completion.learner_id == learner_id)
        modules = await self._modules()
        async with self.sessions() as session:
            row = (await session.execute(query)).one_or_none()
        if row is None:
            raise NotFound(f"No completion record {completion_id} here.")
        return to_record(row, modules)

    async def district_name(self) -> str:
        async with self.sessions() as session:
            district = await session.get(District, self.district_id)
        return district.name if district else ""

    async def transcript(self, employee_id: str) -> HrTranscript:
        filters = Filters(employee=employee_id)
        query = record_query(self.district_id, filters).order_by(Completion.completed_at, Completion.id)
        modules = await self._modules()
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
            roster = (
                await session.execute(
                    select(RosterEmployee).where(
                        RosterEmployee.district_id == self.district_id,
                        RosterEmployee.employee_id == employee_id,
                    )
                )
            ).scalar_one_or_none()
        records = [to_record(row, modules) for row in rows]
        if roster is None and not records:
            raise NotFound(f"No employee {employee_id!r} on this district's roster or among its learners.")
        name = roster.name if roster else records[0].employee.name
        email = roster.email if roster else records[0].employee.email
        await audit(
            self.sessions, self.district_id, self.key_id, "transcript", filters.as_dict(), len(records)
        )
        return HrTranscript(
            employee_id=employee_id,
            name=name,
            email=email,
            records=records,
            total_credit_minutes=sum(r.credit_minutes for r in records if r.outcome.status == "completed"),
        )

    async def _completed_pairs(self) -> set[tuple[uuid.UUID, str]]:
        """(roster employee id, module id) for every live completion a roster employee has."""
        query = (
            record_query(self.district_id, Filters(status="completed"))
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

    async def summary(self, by: Literal["school", "role"]) -> Summary:
        """Per school or role: active roster employees and how many completed each module."""
        course = await self.catalog.course()
        roster = await self._roster()
        done = await self._completed_pairs()
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
        await audit(self.sessions, self.district_id, self.key_id, "summary", {"by": by}, len(groups))
        return Summary(by=by, modules=list(course.modules), groups=[groups[k] for k in sorted(groups)])

    async def outstanding(self, module_id: str, school: str, role: str) -> list[Outstanding]:
        """Active roster employees without a live completion of the module."""
        await self.catalog.entry(module_id)  # NotFound for an unknown module
        roster = await self._roster(school, role)
        done = await self._completed_pairs()
        out = [
            Outstanding(
                employee_id=e.employee_id,
                name=e.name,
                email=e.email,
                school_code=e.school_code,
                role_code=e.role_code,
            )
            for e in roster
            if (e.id, module_id) not in done
        ]
        filters = {"module": module_id, "school": school, "role": role}
        await audit(
            self.sessions,
            self.district_id,
            self.key_id,
            "outstanding",
            {k: v for k, v in filters.items() if v},
            len(out),
        )
        return out

    async def unmatched(self, limit: int) -> list[UnmatchedLearner]:
        """Learners no roster employee matches, by employee id or by email."""
        by_id = exists().where(
            RosterEmployee.district_id == Learner.district_id,
            Learner.employee_id != "",
            RosterEmployee.employee_id == Learner.employee_id,
        )
        by_email = exists().where(
            RosterEmployee.district_id == Learner.district_id,
            Learner.email != "",
            RosterEmployee.email_key == func.lower(Learner.email),
        )
        query = (
            select(Learner)
            .where(Learner.district_id == self.district_id, ~or_(by_id, by_email))
            .order_by(Learner.name, Learner.id)
            .limit(limit)
        )
        async with self.sessions() as session:
            rows = list((await session.execute(query)).scalars())
        return [
            UnmatchedLearner(
                learner_id=r.id,
                external_id=r.external_id,
                name=r.name,
                email=r.email,
                employee_id=r.employee_id,
                school=r.school,
                role=r.role,
            )
            for r in rows
        ]

    async def audit_log(self, limit: int, action: str) -> list[AuditView]:
        query = select(AuditEntry).where(AuditEntry.district_id == self.district_id)
        if action:
            query = query.where(AuditEntry.action == action)
        async with self.sessions() as session:
            rows = list((await session.execute(query.order_by(AuditEntry.at.desc()).limit(limit))).scalars())
        return [
            AuditView(
                id=r.id, key_id=r.key_id, action=r.action, filters=r.filters, row_count=r.row_count, at=r.at
            )
            for r in rows
        ]


async def verify(sessions: Sessions, catalog: Catalog, code: str) -> Verification:
    """What a certificate code confirms: valid, for whom, which module, when. Nothing more."""
    async with sessions() as session:
        row = (
            await session.execute(
                select(Completion, District.name, Learner)
                .join(District, District.id == Completion.district_id)
                .join(Learner, Learner.id == Completion.learner_id)
                .where(Completion.certificate_code == code.strip().upper())
            )
        ).one_or_none()
        if row is None:
            raise NotFound("No certificate has this verification code; check it against the certificate.")
        completion, district, learner = row
        roster = None
        for condition in (
            RosterEmployee.employee_id == learner.employee_id if learner.employee_id else None,
            RosterEmployee.email_key == learner.email.lower() if learner.email else None,
        ):
            if roster is None and condition is not None:
                roster = (
                    await session.execute(
                        select(RosterEmployee.name).where(
                            RosterEmployee.district_id == completion.district_id, condition
                        )
                    )
                ).first()
    if completion.voided_at is not None:
        return Verification(valid=False)
    title = (await catalog.entry(completion.module_id, completion.module_version)).module.title
    return Verification(
        valid=True,
        name=roster[0] if roster else learner.name,
        module=title,
        completed_on=completion.completed_at.date().isoformat(),
        district=district,
    )
