"""The staff roster: rows from JSON or CSV checked one by one (line, field, problem), then
upserted by employee id. By default one bad row stops the whole import; with `partial` the
valid rows go in and the bad ones are reported."""

import csv
import io
import uuid
from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import exists, func, or_, select

from api.db import Sessions
from api.errors import InvalidInput
from api.models import Learner, RosterEmployee, utcnow
from schemas.hr import RosterImportResult, RosterRow, RowError, UnmatchedLearner

FIELDS = tuple(RosterRow.__struct_fields__)
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


class RosterService:
    """A district's roster."""

    def __init__(self, sessions: Sessions, district_id: uuid.UUID) -> None:
        self.sessions = sessions
        self.district_id = district_id

    async def import_rows(
        self, raw: list[tuple[int, Any]], parse_errors: list[RowError], partial: bool
    ) -> RosterImportResult:
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

    async def import_csv(self, text: str, partial: bool) -> RosterImportResult:
        raw, errors = parse_csv(text)
        if any(e.line == 1 for e in errors):
            return RosterImportResult(created=0, updated=0, rejected=0, imported=False, errors=errors)
        return await self.import_rows(list(raw), errors, partial)

    async def import_json(self, employees: list[Any], partial: bool) -> RosterImportResult:
        return await self.import_rows([(i + 1, row) for i, row in enumerate(employees)], [], partial)

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
