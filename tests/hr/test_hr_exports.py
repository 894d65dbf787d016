"""Exports (CSV and NDJSON), summaries, transcripts, certificates, verification and the audit log."""

import csv
import io
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pypdf import PdfReader

from api.completions.certificates import DEJAVU
from api.completions.export import COLUMNS
from api.db import Sessions
from schemas.hr import ExportRow
from tests.conftest import Tenant
from tests.hr.seed import T0, add_completion, add_learner, current_modules

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]

TRICKY = [
    {
        "employee_id": "E1",
        "name": '=HYPERLINK("http://evil")',
        "email": "a@d.org",
        "school_code": "LIN",
        "school_name": 'Lincoln "Main", Annex',
        "role_code": "SEC",
        "role_title": "+Secretary",
    },
    {
        "employee_id": "E2",
        "name": "Zoë Ñúñez\nsecond line",
        "email": "z@d.org",
        "school_code": "LIN",
        "school_name": "Lincoln",
        "role_code": "REG",
        "role_title": "-Registrar",
        "department": "@front",
    },
    {
        "employee_id": "E3",
        "name": "Cy Idle",
        "email": "c@d.org",
        "school_code": "WAS",
        "school_name": "Washington",
        "role_code": "SEC",
        "role_title": "Secretary",
    },
    {
        "employee_id": "E4",
        "name": "Gone",
        "email": "g@d.org",
        "school_code": "WAS",
        "role_code": "SEC",
        "status": "terminated",
    },
]


async def seeded(client: Client, sessions: Sessions, tenant: Tenant) -> dict[str, Any]:
    response = await client.put("/api/v1/roster", json={"employees": TRICKY}, headers=tenant.headers)
    assert response.json()["imported"] is True, response.text
    modules = list((await current_modules(sessions)).items())
    e1 = await add_learner(sessions, tenant.id, "lms-1", employee_id="E1")
    e2 = await add_learner(sessions, tenant.id, "lms-2", email="Z@D.ORG")
    c1 = await add_completion(sessions, tenant.id, e1, *modules[0], at=T0)
    c2 = await add_completion(sessions, tenant.id, e2, *modules[0], at=T0 + timedelta(hours=1), score=None)
    c3 = await add_completion(sessions, tenant.id, e1, *modules[1], at=T0 + timedelta(hours=2), minutes=25)
    return {"modules": modules, "c1": c1, "c2": c2, "c3": c3}


async def test_csv_export_quotes_and_neutralizes_formulas(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    ids = await seeded(client, sessions, district_a)
    response = await client.get("/api/v1/completions/export.csv", headers=district_a.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert list(rows[0]) == list(COLUMNS)
    assert [r["record_id"] for r in rows] == [str(ids["c1"]), str(ids["c2"]), str(ids["c3"])]
    first, second = rows[0], rows[1]
    assert first["employee_name"] == '\'=HYPERLINK("http://evil")'
    assert first["school_name"] == 'Lincoln "Main", Annex' and first["role_title"] == "'+Secretary"
    assert second["employee_name"] == "Zoë Ñúñez\nsecond line" and second["matched_by"] == "email"
    assert second["role_title"] == "'-Registrar" and second["department"] == "'@front"
    assert second["score_scaled"] == "" and second["passed"] == ""
    assert first["passed"] == "true" and float(first["score_scaled"]) == pytest.approx(0.8)
    assert first["completed_at"] == "2026-09-01T08:00:00Z" and first["status"] == "completed"
    assert rows[2]["credit_minutes"] in ("25", "25.0")
    for row in rows:  # no cell a spreadsheet would run
        assert not any(v[:1] in ("=", "+", "-", "@") for k, v in row.items() if k != "record_id")


async def test_export_filters_accept_and_ndjson(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    ids = await seeded(client, sessions, district_a)
    m1 = ids["modules"][0][0]
    csv_text = (
        await client.get(f"/api/v1/completions/export?module={m1}&role=SEC", headers=district_a.headers)
    ).text
    assert [r["record_id"] for r in csv.DictReader(io.StringIO(csv_text))] == [str(ids["c1"])]
    response = await client.get(
        "/api/v1/completions/export?school=LIN",
        headers={**district_a.headers, "Accept": "application/x-ndjson"},
    )
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [msgspec.json.decode(line) for line in response.content.splitlines()]
    assert [line["record_id"] for line in lines] == [str(ids["c1"]), str(ids["c2"]), str(ids["c3"])]
    assert lines[0]["employee_name"] == '=HYPERLINK("http://evil")'  # JSON is not a spreadsheet
    assert lines[0]["passed"] is True and lines[0]["score_scaled"] == pytest.approx(0.8)
    assert lines[1]["passed"] is None and set(lines[0]) == set(COLUMNS)
    # Each line is the ExportRow the OpenAPI document shows, strictly.
    rows = [msgspec.json.decode(line, type=ExportRow) for line in response.content.splitlines()]
    assert [str(row.record_id) for row in rows] == [line["record_id"] for line in lines]
    same = await client.get("/api/v1/completions/export.ndjson?school=LIN", headers=district_a.headers)
    assert same.content == response.content
    empty = await client.get("/api/v1/completions/export.ndjson?school=NONE", headers=district_a.headers)
    assert empty.status_code == 200 and empty.content == b""


async def test_summaries_and_outstanding(client: Client, sessions: Sessions, district_a: Tenant) -> None:
    ids = await seeded(client, sessions, district_a)
    m1, m2 = ids["modules"][0][0], ids["modules"][1][0]
    schools = (await client.get("/api/v1/summaries/schools", headers=district_a.headers)).json()
    by_code = {g["code"]: g for g in schools["groups"]}
    assert by_code["LIN"]["employees"] == 2 and by_code["LIN"]["completed"][m1] == 2
    assert by_code["LIN"]["completed"][m2] == 1
    assert by_code["WAS"]["employees"] == 1 and by_code["WAS"]["completed"][m1] == 0  # E4 is terminated
    roles = (await client.get("/api/v1/summaries/roles", headers=district_a.headers)).json()
    assert {g["code"]: g["completed"][m1] for g in roles["groups"]} == {"REG": 1, "SEC": 1}
    chase = (await client.get(f"/api/v1/outstanding?module={m2}", headers=district_a.headers)).json()
    assert [e["employee_id"] for e in chase] == ["E2", "E3"]
    chase = (
        await client.get(f"/api/v1/outstanding?module={m2}&school=WAS", headers=district_a.headers)
    ).json()
    assert [e["employee_id"] for e in chase] == ["E3"]
    bad = await client.get("/api/v1/summaries/districts", headers=district_a.headers)
    assert bad.status_code == 400
    unknown = await client.get("/api/v1/outstanding?module=nope", headers=district_a.headers)
    assert unknown.status_code == 404


async def test_summaries_count_what_was_completed_within_the_dates(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    """`from` and `to` narrow what counts as completed (the roster stays whole), as they narrow
    the listing; a plain date is midnight in the district's time zone; from after to is a 400."""
    ids = await seeded(client, sessions, district_a)
    m1, m2 = ids["modules"][0][0], ids["modules"][1][0]

    async def lincoln(query: str) -> tuple[int, int, int]:
        response = await client.get(f"/api/v1/summaries/schools?{query}", headers=district_a.headers)
        assert response.status_code == 200, response.text
        group = {g["code"]: g for g in response.json()["groups"]}["LIN"]
        return group["employees"], group["completed"][m1], group["completed"][m2]

    def at(hours: float) -> str:
        return (T0 + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")

    assert await lincoln("") == (2, 2, 1)  # c1 at T0, c2 an hour later, c3 two hours later
    assert await lincoln(f"from={at(0.5)}") == (2, 1, 1)
    assert await lincoln(f"to={at(1.5)}") == (2, 2, 0)
    assert await lincoln(f"from={at(0.5)}&to={at(1.5)}") == (2, 1, 0)
    assert await lincoln("from=2026-09-02") == (2, 0, 0)
    assert await lincoln("to=2026-09-02") == (2, 2, 1)
    roles = await client.get(f"/api/v1/summaries/roles?from={at(1.5)}", headers=district_a.headers)
    assert {g["code"]: g["completed"][m2] for g in roles.json()["groups"]} == {"REG": 0, "SEC": 1}
    audit = (await client.get("/api/v1/audit?action=summary", headers=district_a.headers)).json()
    # Named as the listing's filters are.
    assert {"by": "role", "completed_from": at(1.5)} in [e["filters"] for e in audit]
    for query in (f"from={at(2)}&to={at(1)}", "from=2026-13-01", "to=0001-01-01T00:00:00%2B14:00"):
        refused = await client.get(f"/api/v1/summaries/schools?{query}", headers=district_a.headers)
        assert refused.status_code == 400, query
        assert refused.headers["content-type"].startswith("application/problem+json")


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


async def test_transcript_json_and_pdf(client: Client, sessions: Sessions, district_a: Tenant) -> None:
    ids = await seeded(client, sessions, district_a)
    transcript = (await client.get("/api/v1/employees/E1/transcript", headers=district_a.headers)).json()
    assert [r["id"] for r in transcript["records"]] == [str(ids["c1"]), str(ids["c3"])]
    assert transcript["total_credit_minutes"] == 45
    response = await client.get("/api/v1/employees/E1/transcript.pdf", headers=district_a.headers)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "District-A School District" in text and "45 minutes" in text
    assert all(r["certificate_id"] in text for r in transcript["records"])
    missing = await client.get("/api/v1/employees/E99/transcript", headers=district_a.headers)
    assert missing.status_code == 404


async def test_certificate_and_verification(client: Client, sessions: Sessions, district_a: Tenant) -> None:
    ids = await seeded(client, sessions, district_a)
    record = (await client.get(f"/api/v1/completions/{ids['c3']}", headers=district_a.headers)).json()
    response = await client.get(f"/api/v1/completions/{ids['c3']}/certificate", headers=district_a.headers)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    code = record["certificate_id"]
    for expected in (
        "District-A School District",
        "HYPERLINK",
        record["module"]["title"],
        "September 1, 2026",
        "25 minutes",
        code,
    ):
        assert expected in text, expected
    verified = await client.get(f"/verify/{code}")  # public: no key
    assert verified.status_code == 200
    assert verified.json() == {
        "valid": True,
        "name": TRICKY[0]["name"],
        "module": record["module"]["title"],
        "completed_on": "2026-09-01",
        "district": "District-A School District",
        "voided_on": None,
    }
    assert (await client.get("/verify/0000000000000000")).status_code == 404
    void = await client.post(
        f"/api/v1/completions/{ids['c3']}/void",
        json={"reason": "recorded in error"},
        headers=district_a.headers,
    )
    assert void.status_code == 200, void.text
    voided_on = (await client.get(f"/api/v1/completions/{ids['c3']}", headers=district_a.headers)).json()
    assert (await client.get(f"/verify/{code}")).json() == {
        "valid": False,
        "name": TRICKY[0]["name"],
        "module": record["module"]["title"],
        "completed_on": "2026-09-01",
        "district": "District-A School District",
        "voided_on": voided_on["outcome"]["voided_at"][:10],
    }
    voided = await client.get(f"/api/v1/completions/{ids['c3']}/certificate", headers=district_a.headers)
    assert voided.status_code == 409


async def test_every_pull_is_audited(client: Client, sessions: Sessions, district_a: Tenant) -> None:
    ids = await seeded(client, sessions, district_a)
    m1 = ids["modules"][0][0]
    await client.get(f"/api/v1/completions?module={m1}", headers=district_a.headers)
    await client.get("/api/v1/completions/changes", headers=district_a.headers)
    await client.get("/api/v1/completions/export.csv?school=LIN", headers=district_a.headers)
    await client.get("/api/v1/completions/export.ndjson", headers=district_a.headers)
    await client.get("/api/v1/employees/E1/transcript", headers=district_a.headers)
    entries = (await client.get("/api/v1/audit", headers=district_a.headers)).json()
    got = [(e["action"], e["filters"], e["row_count"]) for e in reversed(entries)]
    assert got == [
        ("list", {"module": m1}, 2),
        ("changes", {"cursor": ""}, 3),
        ("export.csv", {"school": "LIN"}, 3),
        ("export.ndjson", {}, 3),
        ("transcript", {"employee": "E1"}, 2),
    ]
    assert all(e["key_id"] for e in entries)
    only = (await client.get("/api/v1/audit?action=export.csv", headers=district_a.headers)).json()
    assert len(only) == 1


async def test_certificates_print_names_in_any_script(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    if not (DEJAVU / "DejaVuSans.ttf").exists():
        pytest.skip(f"no DejaVu Sans at {DEJAVU} (Debian's fonts-dejavu-core): PDFs fall back to Latin-1")
    name = "Nguyễn Thị Minh Khai Ōtsuka"
    learner = await add_learner(sessions, district_a.id, "lms-vn", name=name)
    module_id, version = next(iter((await current_modules(sessions)).items()))
    record = await add_completion(sessions, district_a.id, learner, module_id, version)
    response = await client.get(f"/api/v1/completions/{record}/certificate", headers=district_a.headers)
    assert response.status_code == 200
    assert name in pdf_text(response.content)


async def test_summaries_of_one_school_or_role(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    ids = await seeded(client, sessions, district_a)
    m1 = ids["modules"][0][0]
    lincoln = await client.get("/api/v1/summaries/roles?school=LIN", headers=district_a.headers)
    assert lincoln.status_code == 200, lincoln.text
    assert {g["code"]: (g["employees"], g["completed"][m1]) for g in lincoln.json()["groups"]} == {
        "REG": (1, 1),
        "SEC": (1, 1),
    }
    washington = (await client.get("/api/v1/summaries/schools?school=WAS", headers=district_a.headers)).json()
    assert [g["code"] for g in washington["groups"]] == ["WAS"]
    registrars = (await client.get("/api/v1/summaries/schools?role=REG", headers=district_a.headers)).json()
    assert {g["code"]: g["employees"] for g in registrars["groups"]} == {"LIN": 1}
    audit = (await client.get("/api/v1/audit?action=summary", headers=district_a.headers)).json()
    assert {"by": "role", "school": "LIN"} in [e["filters"] for e in audit]
