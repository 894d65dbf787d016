"""Completion records for HR: filters, pagination, bad input, isolation, the submit path."""

from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Sessions
from tests.conftest import Tenant
from tests.hr.seed import T0, add_completion, add_learner, current_modules
from tests.progress.test_progress_api import MODULE, facilitator_forms, learner_headers, submit_form

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]


async def roster(client: Client, tenant: Tenant) -> None:
    rows = [
        {"employee_id": "E1", "name": "Ana", "email": "ana@d.org", "school_code": "LIN", "role_code": "SEC"},
        {"employee_id": "E2", "name": "Bo", "email": "bo@d.org", "school_code": "WAS", "role_code": "SEC"},
        {"employee_id": "E3", "name": "Cy", "email": "cy@d.org", "school_code": "LIN", "role_code": "REG"},
    ]
    response = await client.put("/api/v1/roster", json={"employees": rows}, headers=tenant.headers)
    assert response.json()["imported"] is True


async def seeded(client: Client, sessions: Sessions, tenant: Tenant) -> dict[str, Any]:
    """Three employees; E1 completes two modules, E2 one, E3 none. Returns ids by name."""
    await roster(client, tenant)
    modules = list((await current_modules(sessions)).items())
    ids: dict[str, Any] = {"modules": modules}
    for n, employee in enumerate(("E1", "E2", "E3")):
        ids[employee] = await add_learner(sessions, tenant.id, f"lms-{employee}", employee_id=employee)
        del n
    (m1, v1), (m2, v2) = modules[0], modules[1]
    ids["c1"] = await add_completion(sessions, tenant.id, ids["E1"], m1, v1, at=T0)
    ids["c2"] = await add_completion(sessions, tenant.id, ids["E1"], m2, v2, at=T0 + timedelta(days=1))
    ids["c3"] = await add_completion(sessions, tenant.id, ids["E2"], m1, v1, at=T0 + timedelta(days=2))
    return ids


async def get(client: Client, tenant: Tenant, query: str = "", status: int = 200) -> Any:
    response = await client.get(f"/api/v1/completions{query}", headers=tenant.headers)
    assert response.status_code == status, response.text
    return response.json()


async def test_record_fields(client: Client, sessions: Sessions, district_a: Tenant) -> None:
    ids = await seeded(client, sessions, district_a)
    page = await get(client, district_a)
    assert [i["id"] for i in page["items"]] == [str(ids["c1"]), str(ids["c2"]), str(ids["c3"])]
    record = page["items"][0]
    assert record["employee"]["name"] == "Ana" and record["employee"]["status"] == "active"
    assert record["placement"]["school_code"] == "LIN" and record["placement"]["role_code"] == "SEC"
    assert record["module"]["id"] == ids["modules"][0][0] and record["module"]["title"]
    outcome = record["outcome"]
    assert outcome["status"] == "completed" and outcome["score_scaled"] == pytest.approx(0.8)
    if outcome["score_max"] is not None:
        assert outcome["score_raw"] == pytest.approx(0.8 * outcome["score_max"])
    assert outcome["completed_at"].startswith("2026-09-01T08:00:00")
    assert record["credit_minutes"] == 20 and len(record["certificate_id"]) == 16
    one = await client.get(f"/api/v1/completions/{ids['c1']}", headers=district_a.headers)
    assert one.json() == record


async def test_filters(client: Client, sessions: Sessions, district_a: Tenant) -> None:
    ids = await seeded(client, sessions, district_a)
    m1 = ids["modules"][0][0]

    async def found(query: str) -> list[str]:
        return [i["id"] for i in (await get(client, district_a, query))["items"]]

    c1, c2, c3 = str(ids["c1"]), str(ids["c2"]), str(ids["c3"])
    assert await found(f"?module={m1}") == [c1, c3]
    assert await found("?school=LIN") == [c1, c2]
    assert await found("?role=SEC&school=WAS") == [c3]
    assert await found("?employee=E2") == [c3]
    assert await found("?from=2026-09-02T00:00:00Z") == [c2, c3]
    assert await found("?from=2026-09-01T00:00:00Z&to=2026-09-02T00:00:00Z") == [c1]
    void = await client.post(
        f"/api/v1/completions/{c2}/void", json={"reason": "duplicate"}, headers=district_a.headers
    )
    assert void.status_code == 200, void.text
    assert await found("?status=voided") == [c2]
    assert await found("?status=completed") == [c1, c3]


async def test_pagination_is_stable_under_inserts(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    ids = await seeded(client, sessions, district_a)
    first = await get(client, district_a, "?limit=2")
    assert len(first["items"]) == 2 and first["next_cursor"]
    (m3, v3) = ids["modules"][2]
    late = await add_completion(sessions, district_a.id, ids["E3"], m3, v3, at=T0 + timedelta(days=5))
    second = await get(client, district_a, f"?limit=2&cursor={first['next_cursor']}")
    assert [i["id"] for i in second["items"]] == [str(ids["c3"]), str(late)]
    seen = [i["id"] for i in first["items"] + second["items"]]
    assert len(seen) == len(set(seen)) == 4
    assert second["next_cursor"] is None


async def test_bad_input_is_a_400_problem(client: Client, sessions: Sessions, district_a: Tenant) -> None:
    await seeded(client, sessions, district_a)
    cursor = (await get(client, district_a, "?limit=1"))["next_cursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for query in (
        "?cursor=garbage",
        f"?cursor={tampered}",
        f"?cursor={cursor}&module=other",  # a cursor belongs to its filters
        "?from=2026-09-03T00:00:00Z&to=2026-09-01T00:00:00Z",
        "?from=yesterday",
        "?from=2026-09-01T00:00:00",  # no time zone
        "?from=0001-01-01T00:00:00%2B14:00",  # before the first instant, in UTC
        "?to=9999-12-31T23:59:59-14:00",  # after the last
        "?status=deleted",
        "?limit=1001",
        "?limit=0",
    ):
        body = await get(client, district_a, query, status=400)
        assert body["status"] == 400 and body["detail"], query
    for path in (
        "/api/v1/completions/changes?cursor=abc",
        "/api/v1/completions/export.csv?to=x",
        "/api/v1/completions/export.csv?from=0001-01-01T00:00:00%2B14:00",
    ):
        response = await client.get(path, headers=district_a.headers)
        assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"


async def test_other_district_sees_nothing(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    ids = await seeded(client, sessions, district_a)
    assert (await get(client, district_b))["items"] == []
    response = await client.get(f"/api/v1/completions/{ids['c1']}", headers=district_b.headers)
    assert response.status_code == 404
    certificate = await client.get(f"/api/v1/completions/{ids['c1']}/certificate", headers=district_b.headers)
    assert certificate.status_code == 404
    changes = (await client.get("/api/v1/completions/changes", headers=district_b.headers)).json()
    assert changes["items"] == []
    export = await client.get("/api/v1/completions/export.csv", headers=district_b.headers)
    assert export.text.count("\n") == 1  # the header only
    transcript = await client.get("/api/v1/employees/E1/transcript", headers=district_b.headers)
    assert transcript.status_code == 404
    # A cursor of district A is not district B's.
    cursor = (await get(client, district_a, "?limit=1"))["next_cursor"]
    assert (await get(client, district_b, f"?limit=1&cursor={cursor}", status=400))["status"] == 400


async def test_scopes(client: Client, sessions: Sessions, district_a: Tenant) -> None:
    from tests.conftest import make_tenant

    reader = await make_tenant(sessions, "reader", ["content:read"])
    for path in ("/api/v1/completions", "/api/v1/completions/changes", "/api/v1/completions/export"):
        assert (await client.get(path, headers=reader.headers)).status_code == 403
    hr = await make_tenant(sessions, "hr-only", ["hr:read"])
    assert (await client.get("/api/v1/audit", headers=hr.headers)).status_code == 403
    roster_put = await client.put("/api/v1/roster", json={"employees": []}, headers=hr.headers)
    assert roster_put.status_code == 403


async def test_completion_through_the_lms_shows_under_the_employee(
    client: Client, district_a: Tenant
) -> None:
    await roster(client, district_a)
    # The LMS knows the learner by another id and an email in other case; no employee id.
    headers = await learner_headers(client, district_a, "lms-77", employee_id="", email="CY@D.ORG")
    forms = await facilitator_forms(client, district_a)
    for form_id in ("customer-worksheet", "knowledge-check", "reflection"):
        result = await submit_form(client, headers, forms[form_id])
    completion = result["completion"]
    page = await get(client, district_a, "?employee=E3")
    assert [i["id"] for i in page["items"]] == [completion["id"]]
    record = page["items"][0]
    assert record["employee"]["matched_by"] == "email" and record["placement"]["role_code"] == "REG"
    assert record["module"]["id"] == MODULE and record["outcome"]["passed"] is True
    changes = (await client.get("/api/v1/completions/changes", headers=district_a.headers)).json()
    assert [c["record"]["id"] for c in changes["items"]] == [completion["id"]]
    mine = await client.get(f"/api/v1/me/completions/{completion['id']}/certificate", headers=headers)
    assert mine.status_code == 200 and mine.headers["content-type"] == "application/pdf"
    other = await learner_headers(client, district_a, "lms-78")
    theirs = await client.get(f"/api/v1/me/completions/{completion['id']}/certificate", headers=other)
    assert theirs.status_code == 404
