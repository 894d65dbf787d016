"""Streamed exports of completion records at database speed: CSV and NDJSON, flat, one row per
record, with the same filters as the JSON listing; and the same rows as an Excel workbook for
people (api/completions/spreadsheet.py).

The rows are the record query's (api/completions/records.py, the one query of completion
records) with the export's columns, shaped, formatted and (for CSV) formula-escaped in SQL, so
Python only moves bytes: on PostgreSQL the CSV is the server's own
`COPY (SELECT …) TO STDOUT WITH CSV` through the asyncpg connection; on SQLite batches of rows
go through the stdlib `csv` writer. Both read on a raw driver connection outside any SQLAlchemy
transaction (on SQLite a transaction would take the write lock for the whole download), and a
bounded queue between the database and the response keeps memory flat however many rows there
are. The workbook is written batch by batch in a worker thread and sent once complete (a zip
file's directory comes last), from a temporary file.
"""

import asyncio
import csv
import io
import uuid
import zoneinfo
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import suppress
from typing import Any

import msgspec
from sqlalchemy import (
    ColumnElement,
    Float,
    Numeric,
    Select,
    String,
    and_,
    case,
    cast,
    column,
    false,
    func,
    literal,
    true,
    values,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.compiler import compiles

from api.completions import records
from api.completions.records import Filters, ModuleInfo, record_query
from api.completions.spreadsheet import Sheet
from api.db import driver_sql
from api.models import Completion, table
from schemas.hr import ExportRow

# Text a person typed (names, titles, reasons) may start with a character a spreadsheet reads
# as a formula; such cells get a leading apostrophe (OWASP's CSV injection advice).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 64 * 1024
COLUMNS = ExportRow.__struct_fields__


class _IsoUtc(ColumnElement[str]):
    """A timestamp as ISO 8601 text in UTC (`2026-09-01T08:00:00Z`), formatted by the database."""

    inherit_cache = True
    type = String()

    def __init__(self, expr: ColumnElement[Any]) -> None:
        self.expr = expr


@compiles(_IsoUtc, "postgresql")
def _iso_utc_postgres(element: _IsoUtc, compiler: Any, **kw: Any) -> str:
    inner = compiler.process(element.expr, **kw)
    return f"""to_char({inner} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


@compiles(_IsoUtc, "sqlite")
def _iso_utc_sqlite(element: _IsoUtc, compiler: Any, **kw: Any) -> str:
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {compiler.process(element.expr, **kw)})"


class _UuidText(ColumnElement[str]):
    """A UUID as its usual text form (SQLite keeps 32 hex digits)."""

    inherit_cache = True
    type = String()

    def __init__(self, expr: ColumnElement[Any]) -> None:
        self.expr = expr


@compiles(_UuidText, "postgresql")
def _uuid_text_postgres(element: _UuidText, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.expr, **kw)} AS TEXT)"


@compiles(_UuidText, "sqlite")
def _uuid_text_sqlite(element: _UuidText, compiler: Any, **kw: Any) -> str:
    e = compiler.process(element.expr, **kw)
    return (
        f"lower(substr({e},1,8)||'-'||substr({e},9,4)||'-'||substr({e},13,4)||'-'"
        f"||substr({e},17,4)||'-'||substr({e},21,12))"
    )


def _escaped(expr: ColumnElement[Any]) -> ColumnElement[Any]:
    # Each start a bound value of its own: an expanding IN would need compiling again per run.
    starts = [literal(start) for start in FORMULA_STARTS]
    return case((func.substr(expr, 1, 1).in_(starts), literal("'") + expr), else_=expr)


def export_query(
    district_id: uuid.UUID, filters: Filters, modules: dict[tuple[str, str], ModuleInfo], *, for_csv: bool
) -> Select[Any]:
    """The record query (api/completions/records.py) with the export's columns, in ExportRow's
    order. For CSV every column is text, formatted and escaped; NDJSON keeps the values' types."""
    mv = (
        values(
            column("module_id", String),
            column("version", String),
            column("title", String),
            column("max_points", Float),
            name="mv",
        )
        .data(
            [(m, v, info.title, info.max_points) for (m, v), info in modules.items()]
            or [(None, None, None, None)]
        )
        .cte("mv")
    )
    c = table(Completion).c
    text = _escaped if for_csv else (lambda e: e)
    stamp = _IsoUtc if for_csv else (lambda e: e)
    r = records
    passed = case((c.passed == true(), "true"), (c.passed == false(), "false"))
    scored = c.score.is_not(None)
    exported: list[ColumnElement[Any]] = [
        _UuidText(c.id),
        text(r.resolved_employee),
        text(r.resolved_name),
        text(r.resolved_email),
        func.coalesce(r.by_link.status, r.by_id.status, r.by_email.status, "unmatched"),
        case(
            (r.by_link.id.is_not(None), "link"),
            (r.by_id.id.is_not(None), "employee_id"),
            (r.by_email.id.is_not(None), "email"),
            else_="none",
        ),
        text(r.resolved_school),
        text(r.resolved_school_name),
        text(r.resolved_department),
        text(r.resolved_role),
        text(r.resolved_role_title),
        c.module_id,
        text(func.coalesce(mv.c.title, c.module_id)),
        c.module_version,
        case((c.voided_at.is_(None), "completed"), else_="voided"),
        case((scored, func.round(cast(c.score * mv.c.max_points, Numeric), 4))),
        case((scored, mv.c.max_points)),
        c.score,
        passed if for_csv else c.passed,
        c.attempts,
        stamp(c.started_at),
        stamp(c.completed_at),
        stamp(c.voided_at),
        text(c.void_reason),
        c.credit_minutes,
        c.certificate_code,
        stamp(c.updated_at),
    ]
    query = record_query(district_id, filters).with_only_columns(
        *(e.label(name) for e, name in zip(exported, COLUMNS, strict=True))
    )
    joined = query.outerjoin(mv, and_(mv.c.module_id == c.module_id, mv.c.version == c.module_version))
    return joined.order_by(c.completed_at, c.id)


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
        zone: zoneinfo.ZoneInfo | None = None,
    ) -> None:
        self.postgres = engine.dialect.name == "postgresql"
        self.engine = engine
        self.fmt = fmt
        self.zone = zone or zoneinfo.ZoneInfo("UTC")
        query = export_query(district_id, filters, modules, for_csv=fmt == "csv")
        self.sql, self.params = driver_sql(query, engine.dialect)
        self.on_done = on_done
        self.rows = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        finished = False
        try:
            async with self.engine.connect() as conn:
                driver: Any = (await conn.get_raw_connection()).driver_connection
                if self.fmt == "xlsx":
                    source: AsyncGenerator[bytes, None] = self._xlsx(driver)
                elif self.fmt == "csv" and self.postgres:
                    source = self._pg_copy(driver)
                elif self.postgres:
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

    async def _xlsx(self, driver: Any) -> AsyncGenerator[bytes, None]:
        # openpyxl blocks: each batch, the zipping and each read run in a worker thread.
        sheet = await asyncio.to_thread(Sheet, self.zone, self.zone.key)
        try:
            async for batch in self._batches(driver):
                await asyncio.to_thread(sheet.write, batch)
                self.rows += len(batch)
            file = await asyncio.to_thread(sheet.finish)
            while chunk := await asyncio.to_thread(file.read, CHUNK):
                yield chunk
        finally:
            await asyncio.to_thread(sheet.close)

    async def _batches(self, driver: Any) -> AsyncGenerator[list[Any], None]:
        """The rows, typed (the NDJSON query's), in batches of 2000 tuples in ExportRow's order."""
        if self.postgres:
            async with driver.transaction(readonly=True):
                batch: list[Any] = []
                async for record in driver.cursor(self.sql, *self.params, prefetch=2000):
                    batch.append(tuple(record))
                    if len(batch) >= 2000:
                        yield batch
                        batch = []
                if batch:
                    yield batch
            return
        cursor = await driver.execute(self.sql, self.params)
        try:
            while rows := await cursor.fetchmany(2000):
                yield list(rows)
        finally:
            await cursor.close()


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    """An NDJSON row: numbers as numbers, `passed` as a boolean, everything else as read."""
    if row["passed"] is not None:
        row["passed"] = bool(row["passed"])
    if row["score_raw"] is not None:
        row["score_raw"] = float(row["score_raw"])
    return row
