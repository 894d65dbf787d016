"""The staff roster: JSON and CSV imports, per-row errors, partial imports, matching, unmatched."""

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Sessions
from tests.conftest import Tenant
from tests.hr.seed import add_completion, add_learner, current_modules

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]

GOOD_CSV = (
    "employee_id,name,email,school_code,school_name,department,role_code,role_title,status\n"
    'E1,Ana Ruiz,Ana.Ruiz@District.org,LIN,Lincoln Elementary,Front office,SEC,"Secretary, school",active\n'
    "E2,Bo Chen,bo@district.org,WAS,Washington Middle,Front office,REG,Registrar,active\n"
)


async def put_csv(client: Client, tenant: Tenant, text: str, partial: bool = False) -> dict:  # type: ignore[type-arg]
    response = await client.put(
        "/api/v1/roster" + ("?partial=true" if partial else ""),
        content=text.encode(),
        headers={**tenant.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_csv_import_creates_then_updates(client: Client, district_a: Tenant) -> None:
    result = await put_csv(client, district_a, GOOD_CSV)
    assert result == {"created": 2, "updated": 0, "rejected": 0, "imported": True, "errors": []}
    again = await put_csv(client, district_a, GOOD_CSV.replace("Registrar", "Head registrar"))
    assert again["created"] == 0 and again["updated"] == 2


async def test_json_import_and_row_errors(client: Client, district_a: Tenant) -> None:
    body = {
        "employees": [
            {"employee_id": "E1", "name": "Ana Ruiz", "email": "ana@district.org"},
            {"employee_id": "E2", "name": ""},
            {"employee_id": "E3", "name": "Cy", "status": "retired"},
            {"employee_id": "E1", "name": "Ana again"},
        ]
    }
    response = await client.put("/api/v1/roster", json=body, headers=district_a.headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["imported"] is False and result["created"] == 0
    assert [(e["line"], e["field"]) for e in result["errors"]] == [
        (2, "name"),
        (3, "status"),
        (4, "employee_id"),
    ]
    partial = await client.put("/api/v1/roster?partial=true", json=body, headers=district_a.headers)
    assert partial.json()["imported"] is True and partial.json()["created"] == 1
    assert partial.json()["rejected"] == 3


async def test_csv_bad_header_imports_nothing(client: Client, district_a: Tenant) -> None:
    result = await put_csv(client, district_a, "employee,name,colour\nE1,Ana,red\n", partial=True)
    assert result["imported"] is False and result["created"] == 0
    fields = {e["field"] for e in result["errors"]}
    assert {"employee", "colour", "employee_id"} <= fields and all(e["line"] == 1 for e in result["errors"])


async def test_csv_bad_rows_by_line(client: Client, district_a: Tenant) -> None:
    text = (
        "employee_id,name,email\n"
        "E1,Ana,ana@district.org\n"
        "E2,Bo\n"  # too few fields
        "E3,Cy,not-an-email\n"
        "E4,Di,ANA@district.org\n"  # email already on line 2 (case-insensitive)
        'E5,"Ed\nwith a newline in the name",ed@district.org\n'
        "E6,,f@district.org\n"
    )
    result = await put_csv(client, district_a, text)
    assert result["imported"] is False and result["created"] == 0
    assert [(e["line"], e["field"]) for e in result["errors"]] == [
        (3, ""),
        (4, "email"),
        (5, "email"),
        (8, "name"),
    ]
    partial = await put_csv(client, district_a, text, partial=True)
    assert partial["created"] == 2 and partial["rejected"] == 4


async def test_roster_needs_admin_and_takes_json_or_csv(client: Client, district_a: Tenant) -> None:
    response = await client.put(
        "/api/v1/roster", content=b"x", headers={**district_a.headers, "Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    bad = await client.put("/api/v1/roster", json={"rows": []}, headers=district_a.headers)
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"


async def test_unmatched_learners(client: Client, sessions: Sessions, district_a: Tenant) -> None:
    await put_csv(client, district_a, GOOD_CSV)
    await add_learner(sessions, district_a.id, "lms-1", employee_id="E1")
    await add_learner(sessions, district_a.id, "lms-2", email="BO@district.org")
    stray = await add_learner(sessions, district_a.id, "lms-3", email="who@elsewhere.org", employee_id="X9")
    response = await client.get("/api/v1/roster/unmatched", headers=district_a.headers)
    assert response.status_code == 200
    assert [u["learner_id"] for u in response.json()] == [str(stray)]


async def test_matching_by_employee_id_then_email(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    await put_csv(client, district_a, GOOD_CSV)
    modules = await current_modules(sessions)
    module_id, version = next(iter(modules.items()))
    by_id = await add_learner(
        sessions, district_a.id, "lms-1", employee_id="E1", email="old@x.org", school="?"
    )
    by_email = await add_learner(sessions, district_a.id, "lms-2", email="BO@DISTRICT.ORG")
    nobody = await add_learner(sessions, district_a.id, "lms-3", name="Stray", school="Lincoln", role="aide")
    for learner in (by_id, by_email, nobody):
        await add_completion(sessions, district_a.id, learner, module_id, version)
    items = (await client.get("/api/v1/completions", headers=district_a.headers)).json()["items"]
    got = {i["employee"]["learner_id"]: i for i in items}
    assert got[str(by_id)]["employee"]["matched_by"] == "employee_id"
    assert got[str(by_id)]["employee"]["email"] == "Ana.Ruiz@District.org"
    assert got[str(by_id)]["placement"]["school_code"] == "LIN"
    assert got[str(by_id)]["placement"]["role_title"] == "Secretary, school"
    assert got[str(by_email)]["employee"]["matched_by"] == "email"
    assert got[str(by_email)]["employee"]["employee_id"] == "E2"
    assert got[str(nobody)]["employee"] | {"learner_id": ""} == {
        "employee_id": "",
        "name": "Stray",
        "email": "",
        "status": "unmatched",
        "matched_by": "none",
        "learner_id": "",
    }
    assert got[str(nobody)]["placement"]["school_name"] == "Lincoln"


async def test_dry_run_checks_every_row_and_writes_nothing(client: Client, district_a: Tenant) -> None:
    await put_csv(client, district_a, GOOD_CSV)
    # E3 takes Bo's address: only the roster already stored can tell, and the dry run does.
    text = GOOD_CSV + "E3,Cy Dee,bo@district.org,LIN,Lincoln Elementary,,SEC,Secretary,active\n"
    headers = {**district_a.headers, "Content-Type": "text/csv"}
    checked = await client.put("/api/v1/roster?dry_run=true", content=text.encode(), headers=headers)
    assert checked.status_code == 200, checked.text
    result = checked.json()
    assert result["imported"] is False and result["rejected"] == 1
    assert [(e["line"], e["field"]) for e in result["errors"]] == [(4, "email")]
    fixed = text.replace("E3,Cy Dee,bo@", "E3,Cy Dee,cy@")
    ready = await client.put("/api/v1/roster?dry_run=true", content=fixed.encode(), headers=headers)
    assert ready.json() == {"created": 1, "updated": 2, "rejected": 0, "imported": False, "errors": []}
    roster = (await client.get("/api/v1/roster", headers=district_a.headers)).json()["items"]
    assert [r["employee_id"] for r in roster] == ["E1", "E2"]  # neither dry run wrote anything
    assert (await put_csv(client, district_a, fixed))["created"] == 1
