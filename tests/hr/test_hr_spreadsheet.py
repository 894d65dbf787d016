"""The completions export as an Excel workbook, read back with openpyxl as a spreadsheet would:
accents, dates in the district's time zone, percentages, text that stays text; and the CSV's
Content-Type with its charset once."""

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook

from api.db import Sessions
from tests.conftest import Tenant
from tests.hr.seed import T0, add_completion, add_learner, current_modules

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ROSTER = [
    {
        "employee_id": "E1",
        "name": "José Núñez",
        "email": "jose@d.org",
        "school_code": "LIN",
        "school_name": "Lincoln Elementary",
        "role_code": "SEC",
        "role_title": "Secretary",
    },
    {"employee_id": "E2", "name": '=HYPERLINK("http://evil")', "email": "x@d.org", "school_code": "LIN"},
]


async def seeded(client: Client, sessions: Sessions, tenant: Tenant) -> list[tuple[str, str]]:
    response = await client.put("/api/v1/roster", json={"employees": ROSTER}, headers=tenant.headers)
    assert response.json()["imported"] is True, response.text
    modules = list((await current_modules(sessions)).items())
    jose = await add_learner(sessions, tenant.id, "lms-1", employee_id="E1")
    evil = await add_learner(sessions, tenant.id, "lms-2", employee_id="E2")
    await add_completion(sessions, tenant.id, jose, *modules[0], at=T0, score=0.93)
    await add_completion(sessions, tenant.id, evil, *modules[0], at=T0 + timedelta(days=1), score=None)
    return modules


def sheet_rows(body: bytes) -> list[dict[str, Any]]:
    """Each data row as {header: cell}, the cells as openpyxl reads them."""
    book = load_workbook(io.BytesIO(body))
    sheet = book["Completions"]
    rows = list(sheet.iter_rows())
    headers = [cell.value for cell in rows[0]]
    return [dict(zip(headers, row, strict=True)) for row in rows[1:]]


async def test_the_workbook_reads_back_as_people_want_it(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    modules = await seeded(client, sessions, district_a)
    await client.patch("/api/v1/district", json={"time_zone": "America/Chicago"}, headers=district_a.headers)
    response = await client.get("/api/v1/completions/export.xlsx", headers=district_a.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].endswith('.xlsx"')
    jose, evil = sheet_rows(response.content)
    assert list(jose)[:3] == ["Employee ID", "Name", "Email"]
    assert jose["Employee ID"].value == "E1" and jose["Name"].value == "José Núñez"
    assert jose["School"].value == "Lincoln Elementary" and jose["Role"].value == "Secretary"
    # 08:00 UTC on September 1 is 03:00 in Chicago (CDT), a real date cell shown as a date.
    completed = jose["Completed (America/Chicago)"]
    assert completed.value == datetime(2026, 9, 1, 3, 0) and completed.is_date
    assert completed.number_format == "yyyy-mm-dd hh:mm"
    assert jose["Started (America/Chicago)"].value == datetime(2026, 9, 1, 2, 35)
    assert jose["Voided (America/Chicago)"].value is None
    score = jose["Score"]
    assert score.value == pytest.approx(0.93) and score.number_format == "0%"  # Excel shows 93%
    assert jose["Passed"].value == "Yes" and jose["Status"].value == "Completed"
    assert jose["Credit minutes"].value == 20 and jose["Attempts"].value == 1
    assert jose["Module"].value and jose["Module ID"].value == modules[0][0]
    assert jose["Matched to roster by"].value == "Employee ID"
    # Text is text: no formula, and no apostrophe needed to keep it so.
    assert evil["Name"].value == '=HYPERLINK("http://evil")' and evil["Name"].data_type == "s"
    assert evil["Score"].value is None and evil["Passed"].value is None
    # Asking the bare route for the workbook gets the same.
    negotiated = await client.get(
        "/api/v1/completions/export", headers={**district_a.headers, "Accept": XLSX}
    )
    assert negotiated.headers["content-type"] == XLSX
    assert [r["Name"].value for r in sheet_rows(negotiated.content)] == ["José Núñez", ROSTER[1]["name"]]


async def test_filters_audit_and_other_districts(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    await seeded(client, sessions, district_a)
    only = await client.get("/api/v1/completions/export.xlsx?to=2026-09-02", headers=district_a.headers)
    assert [r["Employee ID"].value for r in sheet_rows(only.content)] == ["E1"]
    # UTC until set: the header says so.
    assert "Completed (UTC)" in sheet_rows(only.content)[0]
    bad = await client.get("/api/v1/completions/export.xlsx?from=2026-02-30", headers=district_a.headers)
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    entries = (await client.get("/api/v1/audit?action=export.xlsx", headers=district_a.headers)).json()
    assert [(e["filters"], e["row_count"]) for e in entries] == [
        ({"completed_to": "2026-09-02T00:00:00Z"}, 1)
    ]
    # Another district's key gets a workbook of its own records: a header and nothing else.
    other = await client.get("/api/v1/completions/export.xlsx", headers=district_b.headers)
    assert other.status_code == 200
    book = load_workbook(io.BytesIO(other.content))
    assert book["Completions"].max_row == 1


async def test_csv_says_its_charset_once(client: Client, sessions: Sessions, district_a: Tenant) -> None:
    await seeded(client, sessions, district_a)
    for path in ("/api/v1/completions/export.csv", "/api/v1/completions/export"):
        response = await client.get(path, headers=district_a.headers)
        assert response.headers["content-type"] == "text/csv; charset=utf-8", path
