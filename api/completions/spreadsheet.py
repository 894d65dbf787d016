"""The completions export as an Excel workbook (`.xlsx`, openpyxl in write-only mode): what HR
opens by double-clicking, where the machine formats (CSV, NDJSON) are for programs.

One sheet, a bold frozen header row in plain English, one row per record. Dates are real date
cells in the district's time zone (Excel has no zones: the header names it), scores are
fractions shown as percentages, text is always a text cell (never a formula, so nothing needs
the CSV's apostrophe). openpyxl's write-only sheets write each row to a temporary file as it
comes and its strings inline (no shared-strings table growing with the rows), so memory stays
flat whatever the size; the zip is put together in another temporary file at the end.
"""

import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import IO, Any, Literal

import msgspec
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from schemas.hr import ExportRow

DATE_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT = "0%"

Kind = Literal["text", "number", "percent", "when", "yes_no", "status", "matched"]


class Column(msgspec.Struct, frozen=True):
    field: str
    """The ExportRow field it shows."""
    header: str
    """Its header; `{zone}` is the district's time zone."""
    kind: Kind
    width: float


# What a person scans first comes first; ids a program would join on come last.
SHEET: tuple[Column, ...] = (
    Column("employee_id", "Employee ID", "text", 14),
    Column("employee_name", "Name", "text", 28),
    Column("employee_email", "Email", "text", 28),
    Column("employee_status", "Employment status", "text", 12),
    Column("school_code", "School code", "text", 10),
    Column("school_name", "School", "text", 24),
    Column("department", "Department", "text", 16),
    Column("role_code", "Role code", "text", 10),
    Column("role_title", "Role", "text", 20),
    Column("module_id", "Module ID", "text", 16),
    Column("module_title", "Module", "text", 36),
    Column("module_version", "Module version", "text", 12),
    Column("status", "Status", "status", 11),
    Column("score_scaled", "Score", "percent", 8),
    Column("score_raw", "Points", "number", 8),
    Column("score_max", "Out of", "number", 8),
    Column("passed", "Passed", "yes_no", 8),
    Column("attempts", "Attempts", "number", 9),
    Column("started_at", "Started ({zone})", "when", 17),
    Column("completed_at", "Completed ({zone})", "when", 17),
    Column("credit_minutes", "Credit minutes", "number", 9),
    Column("certificate_id", "Certificate code", "text", 18),
    Column("voided_at", "Voided ({zone})", "when", 17),
    Column("void_reason", "Void reason", "text", 24),
    Column("matched_by", "Matched to roster by", "matched", 12),
    Column("record_id", "Record ID", "text", 38),
    Column("updated_at", "Updated ({zone})", "when", 17),
)
assert {c.field for c in SHEET} == set(ExportRow.__struct_fields__)  # every field, once

MATCHED = {"employee_id": "Employee ID", "email": "Email", "none": "Not matched"}


def _local(value: Any, zone: tzinfo) -> datetime | None:
    """A stored timestamp (asyncpg: an aware datetime; SQLite: naive UTC text) as the district's
    wall-clock time, without a zone as Excel wants."""
    if value is None:
        return None
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local: datetime = when.astimezone(zone).replace(tzinfo=None, microsecond=0)
    return local


class Sheet:
    """One workbook being written: `write` batches of export rows (tuples in ExportRow's field
    order), then `finish` for the file. Blocking: callers run it in a worker thread."""

    def __init__(self, zone: tzinfo, zone_name: str) -> None:
        self.zone = zone
        self.book = Workbook(write_only=True)
        sheet = self.book.create_sheet("Completions")
        assert isinstance(sheet, WriteOnlyWorksheet)
        self.sheet = sheet
        # Column widths and the frozen header are written with the sheet's top: set before any row.
        for n, column in enumerate(SHEET, start=1):
            # Write-only sheets have column widths (openpyxl's docs); the stubs leave them out.
            self.sheet.column_dimensions[get_column_letter(n)].width = column.width  # type: ignore[attr-defined]
        self.sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for column in SHEET:
            cell = WriteOnlyCell(self.sheet, column.header.format(zone=zone_name))
            cell.font = bold
            header.append(cell)
        self.sheet.append(header)
        self.at = [ExportRow.__struct_fields__.index(c.field) for c in SHEET]
        self.file: IO[bytes] | None = None

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            self.sheet.append([self._cell(column, row[i]) for column, i in zip(SHEET, self.at, strict=True)])

    def _cell(self, column: Column, value: Any) -> Cell:
        kind = column.kind
        if value is None:
            return WriteOnlyCell(self.sheet, None)
        if kind == "when":
            cell = WriteOnlyCell(self.sheet, _local(value, self.zone))
            cell.number_format = DATE_FORMAT
        elif kind in ("number", "percent"):
            number = float(value) if isinstance(value, Decimal) else value
            cell = WriteOnlyCell(self.sheet, number)
            if kind == "percent":
                cell.number_format = PERCENT
        elif kind == "yes_no":
            cell = WriteOnlyCell(self.sheet, "Yes" if value else "No")
        elif kind == "status":
            cell = WriteOnlyCell(self.sheet, str(value).capitalize())
        elif kind == "matched":
            cell = WriteOnlyCell(self.sheet, MATCHED.get(value, value))
        else:
            # Control characters are not allowed in the file's XML; and text stays text even when
            # it starts with `=` (openpyxl would otherwise write a formula).
            cell = WriteOnlyCell(self.sheet, ILLEGAL_CHARACTERS_RE.sub("", str(value)))
            cell.data_type = "s"
        return cell

    def finish(self) -> IO[bytes]:
        """The workbook, written to a temporary file and rewound for reading."""
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `close`, after the download)
        self.book.save(self.file)  # a zip file takes a file object as well as a path
        self.file.seek(0)
        return self.file

    def close(self) -> None:
        """Drop the temporary files, whether or not the download finished."""
        if self.file is not None:
            self.file.close()
        if not self.sheet.closed:
            # A download cut short: openpyxl removes a sheet's temporary file only when the
            # workbook is saved (else at exit), so end the sheet and remove it here.
            self.sheet.close()
            writer = getattr(self.sheet, "_writer", None)
            if writer is not None:
                writer.cleanup()
