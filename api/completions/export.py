"""Streamed exports of completion records at database speed: CSV and NDJSON, flat, one row per
record, with the same filters as the JSON listing.

The rows are shaped, formatted and (for CSV) formula-escaped in SQL, so Python only moves
bytes: on PostgreSQL the CSV is the server's own `COPY (SELECT …) TO STDOUT WITH CSV` through
the asyncpg connection; on SQLite batches of rows go through the stdlib `csv` writer. Both read
on a raw driver connection outside any SQLAlchemy transaction (on SQLite a transaction would
take the write lock for the whole download), and a bounded queue between the database and
the response keeps memory flat however many rows there are.
"""

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import suppress
from datetime import UTC
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from api.completions.records import Filters, ModuleInfo
from schemas.hr import ExportRow

# The documented row (ExportRow) names the columns; the select list below must match it, in order.
COLUMNS = ExportRow.__struct_fields__
# Text a person typed (names, titles, reasons) may start with a character a spreadsheet reads
# as a formula; such cells get a leading apostrophe (OWASP's CSV injection advice).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 64 * 1024


class Dialect(msgspec.Struct, frozen=True):
    postgres: bool

    def param(self, params: list[Any], value: Any) -> str:
        params.append(value)
        return f"${len(params)}" if self.postgres else "?"

    def escaped(self, expr: str) -> str:
        first = f"left({expr}, 1)" if self.postgres else f"substr({expr}, 1, 1)"
        specials = (
            "'=', '+', '-', '@', chr(9), chr(13)"
            if self.postgres
            else "'=', '+', '-', '@', char(9), char(13)"
        )
        return f"CASE WHEN {first} IN ({specials}) THEN '''' || {expr} ELSE {expr} END"

    def timestamp(self, expr: str) -> str:
        if self.postgres:
            return f"""to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
        return f"strftime('%Y-%m-%dT%H:%M:%SZ', {expr})"

    def uuid_text(self, expr: str) -> str:
        if self.postgres:
            return f"{expr}::text"
        # SQLite keeps UUIDs as 32 hex digits; print them as everywhere else.
        return (
            f"lower(substr({expr},1,8)||'-'||substr({expr},9,4)||'-'||substr({expr},13,4)||'-'"
            f"||substr({expr},17,4)||'-'||substr({expr},21,12))"
        )

    def boolean(self, expr: str) -> str:
        if self.postgres:
            return f"CASE WHEN {expr} THEN 'true' WHEN NOT {expr} THEN 'false' END"
        return f"CASE {expr} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END"

    def when(self, value: Any) -> Any:
        """A timestamp bound as the backend compares it (SQLite: its stored text form)."""
        if self.postgres:
            return value
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def district(self, district_id: uuid.UUID) -> Any:
        return district_id if self.postgres else district_id.hex


def export_sql(
    dialect: Dialect,
    district_id: uuid.UUID,
    filters: Filters,
    modules: dict[tuple[str, str], ModuleInfo],
    *,
    for_csv: bool,
) -> tuple[str, list[Any]]:
    """The export's SELECT and its parameters. For CSV every column is text, formatted and
    escaped; otherwise values keep their types (NDJSON)."""
    d = dialect
    params: list[Any] = []
    esc = d.escaped if for_csv else (lambda e: e)

    def pick(*columns: str) -> str:
        return f"coalesce({', '.join(columns)})"

    values = ", ".join(
        "({}, {}, {}, {})".format(
            d.param(params, module_id) + ("::text" if d.postgres else ""),
            d.param(params, version) + ("::text" if d.postgres else ""),
            d.param(params, info.title) + ("::text" if d.postgres else ""),
            d.param(params, info.max_points) + ("::float8" if d.postgres else ""),
        )
        for (module_id, version), info in modules.items()
    ) or ("(NULL, NULL, NULL, NULL)")
    raw = (
        "round(CAST(c.score * mv.max_points AS numeric), 4)"
        if d.postgres
        else "round(c.score * mv.max_points, 4)"
    )
    stamp = d.timestamp
    passed = d.boolean("c.passed") if for_csv else "c.passed"
    select = [
        d.uuid_text("c.id"),
        esc(pick("ri.employee_id", "re.employee_id", "l.employee_id")),
        esc(pick("ri.name", "re.name", "l.name")),
        esc(pick("ri.email", "re.email", "l.email")),
        pick("ri.status", "re.status", "'unmatched'"),
        "CASE WHEN ri.id IS NOT NULL THEN 'employee_id' WHEN re.id IS NOT NULL THEN 'email' ELSE 'none' END",
        esc(pick("ri.school_code", "re.school_code", "l.school")),
        esc(pick("ri.school_name", "re.school_name", "l.school")),
        esc(pick("ri.department", "re.department", "''")),
        esc(pick("ri.role_code", "re.role_code", "l.role")),
        esc(pick("ri.role_title", "re.role_title", "l.role")),
        "c.module_id",
        esc(pick("mv.title", "c.module_id")),
        "c.module_version",
        "CASE WHEN c.voided_at IS NULL THEN 'completed' ELSE 'voided' END",
        f"CASE WHEN c.score IS NOT NULL THEN {raw} END",
        "CASE WHEN c.score IS NOT NULL THEN mv.max_points END",
        "c.score",
        passed,
        "c.attempts",
        stamp("c.started_at"),
        stamp("c.completed_at"),
        stamp("c.voided_at"),
        esc("c.void_reason"),
        "c.credit_minutes",
        "c.certificate_code",
        stamp("c.updated_at"),
    ]
    school = pick("ri.school_code", "re.school_code", "l.school")
    role = pick("ri.role_code", "re.role_code", "l.role")
    employee = pick("ri.employee_id", "re.employee_id", "l.employee_id")
    where = [f"c.district_id = {d.param(params, d.district(district_id))}"]
    if filters.completed_from is not None:
        where.append(f"c.completed_at >= {d.param(params, d.when(filters.completed_from))}")
    if filters.completed_to is not None:
        where.append(f"c.completed_at < {d.param(params, d.when(filters.completed_to))}")
    for value, expr in (
        (filters.module, "c.module_id"),
        (filters.school, school),
        (filters.role, role),
        (filters.employee, employee),
    ):
        if value:
            where.append(f"{expr} = {d.param(params, value)}")
    if filters.status == "completed":
        where.append("c.voided_at IS NULL")
    elif filters.status == "voided":
        where.append("c.voided_at IS NOT NULL")
    columns = ",\n  ".join(f'{expr} AS "{name}"' for expr, name in zip(select, COLUMNS, strict=True))
    sql = f"""WITH mv(module_id, version, title, max_points) AS (VALUES {values})
SELECT
  {columns}
FROM completions c
JOIN learners l ON l.id = c.learner_id
LEFT JOIN roster_employees ri
  ON ri.district_id = l.district_id AND l.employee_id <> '' AND ri.employee_id = l.employee_id
LEFT JOIN roster_employees re
  ON ri.id IS NULL AND l.email <> '' AND re.district_id = l.district_id AND re.email_key = lower(l.email)
LEFT JOIN mv ON mv.module_id = c.module_id AND mv.version = c.module_version
WHERE {" AND ".join(where)}
ORDER BY c.completed_at, c.id"""
    return sql, params


class Export:
    """One export in progress: iterate `chunks()` for the body; `rows` counts what was sent."""

    def __init__(
        self,
        engine: AsyncEngine,
        district_id: uuid.UUID,
        filters: Filters,
        modules: dict[tuple[str, str], ModuleInfo],
        fmt: str,
        on_done: Callable[[int, bool], Any],
    ) -> None:
        self.dialect = Dialect(postgres=engine.dialect.name == "postgresql")
        self.engine = engine
        self.fmt = fmt
        self.sql, self.params = export_sql(self.dialect, district_id, filters, modules, for_csv=fmt == "csv")
        self.on_done = on_done
        self.rows = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        finished = False
        try:
            async with self.engine.connect() as conn:
                driver: Any = (await conn.get_raw_connection()).driver_connection
                if self.fmt == "csv" and self.dialect.postgres:
                    source: AsyncGenerator[bytes, None] = self._pg_copy(driver)
                elif self.dialect.postgres:
                    source = self._pg_ndjson(driver)
                else:
                    source = self._sqlite(driver)
                buffer = bytearray()
                try:
                    async for chunk in source:
                        buffer += chunk
                        if len(buffer) >= CHUNK:
                            yield bytes(buffer)
                            buffer.clear()
                    if buffer:
                        yield bytes(buffer)
                    finished = True
                finally:
                    # A client gone mid-download: stop reading before the connection goes back.
                    await source.aclose()
        finally:
            # Audited whatever happened, once the connection is back in the pool; a download cut
            # short is recorded as such, with the rows counted so far (COPY counts only at its end).
            await self.on_done(self.rows, finished)

    async def _pg_copy(self, driver: Any) -> AsyncGenerator[bytes, None]:
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=16)

        async def run() -> str:
            status: str = await driver.copy_from_query(
                self.sql, *self.params, output=queue.put, format="csv", header=True
            )
            return status

        task = asyncio.create_task(run())
        getter: asyncio.Future[bytes] | None = None
        try:
            while True:
                try:
                    chunk = queue.get_nowait()
                except asyncio.QueueEmpty:
                    if task.done():
                        break
                    getter = asyncio.ensure_future(queue.get())
                    await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
                    if not getter.done():
                        getter.cancel()
                        continue
                    chunk = getter.result()
                yield chunk
            status = task.result()
            self.rows = int(status.rsplit(" ", 1)[-1])
        finally:
            if getter is not None and not getter.done():
                getter.cancel()
            if not task.done():
                task.cancel()
                with suppress(asyncio.CancelledError, Exception):
                    await task

    async def _pg_ndjson(self, driver: Any) -> AsyncGenerator[bytes, None]:
        encode = msgspec.json.Encoder().encode
        async with driver.transaction(readonly=True):
            batch: list[bytes] = []
            async for record in driver.cursor(self.sql, *self.params, prefetch=2000):
                batch.append(encode(_typed(dict(record))))
                if len(batch) >= 2000:
                    self.rows += len(batch)
                    yield b"\n".join(batch) + b"\n"
                    batch.clear()
            if batch:
                self.rows += len(batch)
                yield b"\n".join(batch) + b"\n"

    async def _sqlite(self, driver: Any) -> AsyncGenerator[bytes, None]:
        cursor = await driver.execute(self.sql, self.params)
        try:
            if self.fmt == "csv":
                text = io.StringIO()
                writer = csv.writer(text, lineterminator="\n")
                writer.writerow(COLUMNS)
                while rows := await cursor.fetchmany(5000):
                    writer.writerows(rows)
                    self.rows += len(rows)
                    yield text.getvalue().encode()
                    text.seek(0)
                    text.truncate()
                if self.rows == 0:
                    yield text.getvalue().encode()
            else:
                encode = msgspec.json.Encoder().encode
                while rows := await cursor.fetchmany(2000):
                    self.rows += len(rows)
                    lines = [encode(_typed(dict(zip(COLUMNS, row, strict=True)))) for row in rows]
                    yield b"\n".join(lines) + b"\n"
        finally:
            await cursor.close()


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    """An NDJSON row: numbers as numbers, `passed` as a boolean, everything else as read."""
    if row["passed"] is not None:
        row["passed"] = bool(row["passed"])
    if row["score_raw"] is not None:
        row["score_raw"] = float(row["score_raw"])
    return row
