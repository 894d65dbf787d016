"""The staff roster: rows from JSON or CSV checked one by one (line, field, problem), then
upserted by employee id. By default one bad row stops the whole import; with `partial` the
valid rows go in and the bad ones are reported. HR reads the roster back in pages, and links
by hand a learner that neither employee id nor email matches (audited)."""

import csv
import hashlib
import io
import uuid
from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.audit import add_audit, audit
from api.db import Sessions
from api.errors import BadRequest, Conflict, InvalidInput, NotFound
from api.http import cursors
from api.models import Completion, Learner, RosterEmployee, utcnow
from api.roster.oneroster import Bundle, read_bundle, refuse, where
from schemas.hr import (
    OneRosterImportResult,
    OneRosterRowError,
    RosterEmployeeView,
    RosterImportResult,
    RosterLink,
    RosterPage,
    RosterRow,
    RowError,
    UnmatchedLearner,
)

FIELDS = tuple(RosterRow.__struct_fields__)
CHASED_STATUSES = ("active", "leave")  # whom HR counts, chases and assigns; inactive, terminated not
REQUIRED = ("employee_id", "name")
MAX_ROWS = 100_000


def parse_csv(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    """(line, raw row) pairs from a CSV roster with a header row, and the problems found on the way."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return [], [RowError(line=1, field="", problem="the file is empty; send a header row and rows")]
    except csv.Error as exc:
        return [], [RowError(line=1, field="", problem=f"the header is not valid CSV: {exc}")]
    errors: list[RowError] = []
    unknown = [h for h in header if h not in FIELDS]
    missing = [f for f in REQUIRED if f not in header]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    for name in unknown:
        errors.append(
            RowError(line=1, field=name, problem=f"unknown column; the columns are {', '.join(FIELDS)}")
        )
    for name in missing:
        errors.append(RowError(line=1, field=name, problem="required column missing from the header"))
    for name in duplicated:
        errors.append(RowError(line=1, field=name, problem="column appears more than once"))
    if errors:
        return [], errors
    rows: list[tuple[int, dict[str, Any]]] = []
    line = 1
    try:
        for values in reader:
            line = reader.line_num
            if not values or values == [""]:
                continue
            if len(values) != len(header):
                errors.append(
                    RowError(
                        line=line,
                        field="",
                        problem=f"the row has {len(values)} fields; the header has {len(header)}",
                    )
                )
                continue
            rows.append((line, {k: v.strip() for k, v in zip(header, values, strict=True)}))
    except csv.Error as exc:
        errors.append(RowError(line=reader.line_num or line + 1, field="", problem=f"malformed CSV: {exc}"))
    return rows, errors


def check_rows(raw: Iterable[tuple[int, Any]]) -> tuple[list[tuple[int, RosterRow]], list[RowError]]:
    """Rows converted to RosterRow, with duplicates of an employee id or email within the upload refused."""
    good: list[tuple[int, RosterRow]] = []
    errors: list[RowError] = []
    ids: dict[str, int] = {}
    emails: dict[str, int] = {}
    for line, value in raw:
        try:
            row = msgspec.convert(value, RosterRow)
        except msgspec.ValidationError as exc:
            message = str(exc)
            field = ""
            if " - at `$." in message:
                message, _, path = message.partition(" - at `$.")
                field = path.rstrip("`")
            elif "missing required field" in message:
                field = message.rsplit("`", 2)[-2] if message.count("`") >= 2 else ""
            errors.append(RowError(line=line, field=field, problem=message))
            continue
        if row.email and ("@" not in row.email or " " in row.email):
            errors.append(
                RowError(line=line, field="email", problem=f"{row.email!r} is not an email address")
            )
            continue
        if row.employee_id in ids:
            errors.append(
                RowError(
                    line=line,
                    field="employee_id",
                    problem=f"employee {row.employee_id!r} is already on line {ids[row.employee_id]}",
                )
            )
            continue
        key = row.email.lower()
        if key and key in emails:
            errors.append(
                RowError(line=line, field="email", problem=f"{row.email!r} is already on line {emails[key]}")
            )
            continue
        ids[row.employee_id] = line
        if key:
            emails[key] = line
        good.append((line, row))
    return good, errors


class RosterQuery(msgspec.Struct, frozen=True, kw_only=True):
    """What HR narrowed a roster read to; every field optional."""

    q: str = ""
    school: str = ""
    role: str = ""
    status: str = ""

    def scope(self) -> str:
        """A short digest: a cursor is only valid for the query it came from."""
        return hashlib.sha256(msgspec.json.encode(self)).hexdigest()[:16]


class RosterService:
    """A district's roster."""

    def __init__(
        self, sessions: Sessions, district_id: uuid.UUID, key_id: uuid.UUID | None = None, actor: str = ""
    ) -> None:
        self.sessions = sessions
        self.district_id = district_id
        self.key_id = key_id
        self.actor = actor
        """The person behind a console session, named in the audit log."""

    async def import_rows(
        self, raw: list[tuple[int, Any]], parse_errors: list[RowError], partial: bool, dry_run: bool = False
    ) -> RosterImportResult:
        """Check every row, then upsert the good ones (all or, with `partial`, those without a
        problem). A `dry_run` runs every check and counts what would be created and updated,
        writing nothing: a person sees each bad row before the roster changes."""
        if len(raw) > MAX_ROWS:
            raise InvalidInput(f"A roster upload holds at most {MAX_ROWS:,} rows; split it.")
        rows, errors = check_rows(raw)
        errors = sorted([*parse_errors, *errors], key=lambda e: e.line)
        if errors and not partial:
            return RosterImportResult(
                created=0, updated=0, rejected=len({e.line for e in errors}), imported=False, errors=errors
            )
        created = updated = 0
        now = utcnow()
        async with self.sessions.begin() as session:
            existing = {
                r.employee_id: r
                for r in (
                    await session.execute(
                        select(RosterEmployee).where(RosterEmployee.district_id == self.district_id)
                    )
                ).scalars()
            }
            owner = {r.email_key: r.employee_id for r in existing.values() if r.email_key}
            accepted: list[RosterRow] = []
            for line, row in rows:
                key = row.email.lower()
                if key and owner.get(key, row.employee_id) != row.employee_id:
                    other = owner[key]
                    errors.append(
                        RowError(
                            line=line, field="email", problem=f"{row.email!r} belongs to employee {other!r}"
                        )
                    )
                    continue
                accepted.append(row)
            if errors and not partial:
                errors.sort(key=lambda e: e.line)
                return RosterImportResult(
                    created=0,
                    updated=0,
                    rejected=len({e.line for e in errors}),
                    imported=False,
                    errors=errors,
                )
            if dry_run:
                new = sum(1 for row in accepted if row.employee_id not in existing)
                errors.sort(key=lambda e: e.line)
                return RosterImportResult(
                    created=new,
                    updated=len(accepted) - new,
                    rejected=len({e.line for e in errors}),
                    imported=False,
                    errors=errors,
                )
            for row in accepted:
                target = existing.get(row.employee_id)
                if target is None:
                    target = RosterEmployee(
                        district_id=self.district_id, employee_id=row.employee_id, created_at=now
                    )
                    session.add(target)
                    created += 1
                else:
                    updated += 1
                for field in FIELDS:
                    setattr(target, field, getattr(row, field))
                target.email_key = row.email.lower()
                target.updated_at = now
        errors.sort(key=lambda e: e.line)
        return RosterImportResult(
            created=created,
            updated=updated,
            rejected=len({e.line for e in errors}),
            imported=True,
            errors=errors,
        )

    async def import_csv(self, text: str, partial: bool, dry_run: bool = False) -> RosterImportResult:
        raw, errors = parse_csv(text)
        if any(e.line == 1 for e in errors):
            return RosterImportResult(created=0, updated=0, rejected=0, imported=False, errors=errors)
        return await self.import_rows(list(raw), errors, partial, dry_run)

    async def import_json(
        self, employees: list[Any], partial: bool, dry_run: bool = False
    ) -> RosterImportResult:
        rows = [(i + 1, row) for i, row in enumerate(employees)]
        return await self.import_rows(rows, [], partial, dry_run)

    async def import_oneroster(self, data: bytes, partial: bool) -> OneRosterImportResult:
        """The staff of a OneRoster CSV bundle, through the same row checks and upsert as a CSV
        roster. Unless `partial`, any problem imports nothing and is a 422 naming each file,
        line and column."""
        return await self.import_bundle(read_bundle(data), partial)

    async def import_bundle(self, bundle: Bundle, partial: bool) -> OneRosterImportResult:
        """OneRoster's staff however they were read (a CSV bundle, the REST API); see above."""

        def named(row_errors: list[RowError]) -> list[OneRosterRowError]:
            # The roster's row errors carry users.csv lines; name the OneRoster column at fault.
            found = [
                *bundle.errors,
                *(
                    OneRosterRowError(
                        file="users.csv",
                        line=e.line,
                        field=bundle.columns.get(e.line, {}).get(e.field, f"$.{e.field}" if e.field else ""),
                        problem=e.problem,
                    )
                    for e in row_errors
                ),
            ]
            return sorted(found, key=lambda e: (e.file, e.line))

        if bundle.errors and not partial:
            raise self._refused(named(check_rows(bundle.rows)[1]))  # every problem, in one answer
        result = await self.import_rows(bundle.rows, [], partial)
        errors = named(result.errors)
        if not result.imported:
            raise self._refused(errors)
        return OneRosterImportResult(
            version=bundle.version,
            created=result.created,
            updated=result.updated,
            skipped=bundle.skipped,
            rejected=len({(e.file, e.line) for e in errors}),
            errors=errors,
        )

    @staticmethod
    def _refused(errors: list[OneRosterRowError]) -> Exception:
        first = errors[0]
        count = f"{len(errors)} problems" if len(errors) > 1 else "A problem"
        return refuse(
            f"{count} in the OneRoster bundle, so nothing was imported; the first: {where(first)}: "
            f"{first.problem}. Correct the data in the SIS and export again, or send `?partial=true` to "
            "import the other staff.",
            errors,
        )

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
            .where(
                Learner.district_id == self.district_id,
                Learner.roster_employee_id.is_(None),
                ~or_(by_id, by_email),
            )
            .order_by(Learner.name, Learner.id)
            .limit(limit)
        )
        async with self.sessions() as session:
            rows = list((await session.execute(query)).scalars())
        await self._audit_read("roster.unmatched", {"limit": limit}, len(rows))
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

    async def page(self, query: RosterQuery, cursor: str | None, limit: int, secret: str) -> RosterPage:
        """One page of the roster in employee id order, searched and filtered by `query`."""
        linked = (
            select(Learner.id)
            .where(Learner.roster_employee_id == RosterEmployee.id)
            .limit(1)
            .scalar_subquery()
        )
        statement = select(RosterEmployee, linked).where(RosterEmployee.district_id == self.district_id)
        if query.q:
            # Substring, either case: lower() on both sides (SQLite's folds ASCII letters only).
            needle = query.q.lower()
            statement = statement.where(
                or_(
                    func.lower(RosterEmployee.name).contains(needle, autoescape=True),
                    RosterEmployee.email_key.contains(needle, autoescape=True),
                    func.lower(RosterEmployee.employee_id).contains(needle, autoescape=True),
                )
            )
        if query.school:
            statement = statement.where(RosterEmployee.school_code == query.school)
        if query.role:
            statement = statement.where(RosterEmployee.role_code == query.role)
        if query.status:
            statement = statement.where(RosterEmployee.status == query.status)
        if cursor:
            position = cursors.decode(secret, "roster", self.district_id, query.scope(), cursor)
            if len(position) != 1 or not isinstance(position[0], str):
                raise BadRequest("The cursor is not valid; start again without one.")
            statement = statement.where(RosterEmployee.employee_id > position[0])
        statement = statement.order_by(RosterEmployee.employee_id).limit(limit + 1)
        async with self.sessions() as session:
            rows = (await session.execute(statement)).all()
        items = [
            RosterEmployeeView(
                employee_id=r.employee_id,
                name=r.name,
                email=r.email,
                school_code=r.school_code,
                school_name=r.school_name,
                department=r.department,
                role_code=r.role_code,
                role_title=r.role_title,
                status=r.status,  # type: ignore[arg-type]  # written only from EmploymentStatus
                linked_learner_id=learner_id,
                updated_at=r.updated_at,
            )
            for r, learner_id in rows[:limit]
        ]
        next_cursor = None
        if len(rows) > limit:
            last = items[-1].employee_id
            next_cursor = cursors.encode(secret, "roster", self.district_id, query.scope(), [last])
        filters = {**msgspec.to_builtins(query), "cursor": cursor or ""}
        await self._audit_read("roster.list", filters, len(items))
        return RosterPage(items=items, next_cursor=next_cursor)

    async def _audit_read(self, action: str, filters: dict[str, Any], row_count: int) -> None:
        """Staff names and emails were read: who read them goes in the audit log, as for records."""
        await audit(
            self.sessions, self.district_id, self.key_id, action, filters, row_count, actor=self.actor
        )

    async def _learner(self, session: AsyncSession, learner_id: uuid.UUID) -> Learner:
        learner = await session.get(Learner, learner_id, with_for_update=True)
        if learner is None or learner.district_id != self.district_id:
            raise NotFound(
                f"No learner {learner_id} in this district; GET /api/v1/roster/unmatched lists "
                "the learners the roster does not match."
            )
        return learner

    async def _touch(self, session: AsyncSession, learner_id: uuid.UUID) -> None:
        # The learner's records now name another employee: moving updated_at puts them in the
        # changes feed again (its trigger), so an HR system in sync sees the new name.
        await session.execute(
            update(Completion).where(Completion.learner_id == learner_id).values(updated_at=utcnow())
        )

    async def link(self, learner_id: uuid.UUID, employee_id: str) -> RosterLink:
        """Link the learner to the roster employee by hand; linking them again changes nothing.
        Conflict when either is already linked to someone else."""
        try:
            async with self.sessions.begin() as session:
                learner = await self._learner(session, learner_id)
                employee = (
                    await session.execute(
                        select(RosterEmployee).where(
                            RosterEmployee.district_id == self.district_id,
                            RosterEmployee.employee_id == employee_id,
                        )
                    )
                ).scalar_one_or_none()
                if employee is None:
                    raise NotFound(
                        f"No employee {employee_id!r} on this district's roster; "
                        "GET /api/v1/roster?q=... finds them."
                    )
                result = RosterLink(
                    learner_id=learner.id, employee_id=employee.employee_id, name=employee.name
                )
                if learner.roster_employee_id == employee.id:
                    return result
                if learner.roster_employee_id is not None:
                    current = await session.get(RosterEmployee, learner.roster_employee_id)
                    raise Conflict(
                        f"The learner is already linked to employee "
                        f"{current.employee_id if current else '?'!r}; unlink them first "
                        f"(DELETE /api/v1/roster/links/{learner.id})."
                    )
                other = await session.scalar(
                    select(Learner.id).where(Learner.roster_employee_id == employee.id)
                )
                if other is not None:
                    raise Conflict(self._taken(employee_id, other))
                learner.roster_employee_id = employee.id
                await session.flush()
                await self._touch(session, learner.id)
                add_audit(
                    session,
                    self.district_id,
                    self.key_id,
                    "roster.link",
                    {"learner_id": str(learner.id), "employee_id": employee.employee_id},
                    1,
                    actor=self.actor,
                )
                return result
        except IntegrityError:
            # Another request linked a learner to this employee at the same moment.
            raise Conflict(self._taken(employee_id, None)) from None

    @staticmethod
    def _taken(employee_id: str, other: uuid.UUID | None) -> str:
        who = f"learner {other}" if other else "another learner"
        how = f"DELETE /api/v1/roster/links/{other}" if other else "DELETE /api/v1/roster/links/{learner_id}"
        return f"Employee {employee_id!r} is already linked to {who}; unlink that learner first ({how})."

    async def unlink(self, learner_id: uuid.UUID) -> None:
        """Remove the learner's link by hand; matching by employee id or email applies again.
        NotFound when the learner has no link."""
        async with self.sessions.begin() as session:
            learner = await self._learner(session, learner_id)
            if learner.roster_employee_id is None:
                raise NotFound(f"The learner {learner_id} is not linked to an employee by hand.")
            employee = await session.get(RosterEmployee, learner.roster_employee_id)
            learner.roster_employee_id = None
            await self._touch(session, learner.id)
            add_audit(
                session,
                self.district_id,
                self.key_id,
                "roster.unlink",
                {"learner_id": str(learner.id), "employee_id": employee.employee_id if employee else ""},
                1,
                actor=self.actor,
            )


async def matched_employee(session: AsyncSession, learner: Learner) -> RosterEmployee | None:
    """The roster employee a learner counts as: HR's link by hand, else the employee id, else
    the email (the order api/completions/records.py resolves records in)."""
    for condition in (
        RosterEmployee.id == learner.roster_employee_id if learner.roster_employee_id else None,
        RosterEmployee.employee_id == learner.employee_id
        if learner.employee_id and not learner.roster_employee_id
        else None,
        RosterEmployee.email_key == learner.email.lower()
        if learner.email and not learner.roster_employee_id
        else None,
    ):
        if condition is None:
            continue
        found = await session.scalar(
            select(RosterEmployee).where(RosterEmployee.district_id == learner.district_id, condition)
        )
        if found is not None:
            return found
    return None
