"""Date filters given as a plain date (`from=2026-09-01`): that day's midnight in the district's
time zone, on the listing and the exports alike; dates no instant can hold stay a 400 problem."""

import csv
import io
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Sessions
from tests.conftest import Tenant
from tests.hr.seed import T0, add_completion, add_learner, current_modules

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]

# T0 is 2026-09-01 08:00 UTC, 03:00 in Chicago (UTC-5 in September); LATE is 04:00 UTC, still
# 23:00 on August 31 in Chicago.
LATE = T0 - timedelta(hours=4)


async def two_completions(sessions: Sessions, tenant: Tenant) -> dict[str, str]:
    module_id, version = next(iter((await current_modules(sessions)).items()))
    ana = await add_learner(sessions, tenant.id, "lms-1", employee_id="E1")
    bo = await add_learner(sessions, tenant.id, "lms-2", employee_id="E2")
    late = await add_completion(sessions, tenant.id, ana, module_id, version, at=LATE)
    morning = await add_completion(sessions, tenant.id, bo, module_id, version, at=T0)
    return {"late": str(late), "morning": str(morning)}


async def ids(client: Client, tenant: Tenant, query: str) -> list[str]:
    response = await client.get(f"/api/v1/completions?{query}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_a_plain_date_is_midnight_in_the_districts_zone(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    a, b = await two_completions(sessions, district_a), await two_completions(sessions, district_b)
    changed = await client.patch(
        "/api/v1/district", json={"time_zone": "America/Chicago"}, headers=district_a.headers
    )
    assert changed.status_code == 200, changed.text
    # Chicago's September 1 starts at 05:00 UTC: the 04:00 UTC completion was on August 31 there.
    assert await ids(client, district_a, "from=2026-09-01") == [a["morning"]]
    assert await ids(client, district_a, "to=2026-09-01") == [a["late"]]
    assert await ids(client, district_a, "from=2026-08-31&to=2026-09-02") == [a["late"], a["morning"]]
    # The same as the date-time it stands for; a date-time still means what it says.
    assert await ids(client, district_a, "from=2026-09-01T05:00:00Z") == [a["morning"]]
    assert await ids(client, district_a, "from=2026-09-01T00:00:00Z") == [a["late"], a["morning"]]
    # District B keeps UTC: both of its completions are on September 1.
    assert await ids(client, district_b, "from=2026-09-01") == [b["late"], b["morning"]]
    assert await ids(client, district_b, "to=2026-09-01") == []
    # The exports take the same filters.
    export = await client.get("/api/v1/completions/export.csv?from=2026-09-01", headers=district_a.headers)
    assert [row["record_id"] for row in csv.DictReader(io.StringIO(export.text))] == [a["morning"]]


async def test_dates_that_name_no_instant_are_400_problems(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    await two_completions(sessions, district_a)
    await client.patch("/api/v1/district", json={"time_zone": "Asia/Tokyo"}, headers=district_a.headers)
    for query, words in (
        ("from=2026-13-01", "not a calendar date"),
        ("to=2026-02-30", "not a calendar date"),
        ("from=0001-01-01", "out of range"),  # midnight in Tokyo (UTC+9) is before year 1 in UTC
        ("from=2026-09-02&to=2026-09-01", "after"),
        ("from=20260901", "plain date such as 2026-09-01"),
        ("from=yesterday", "not an ISO 8601"),
    ):
        response = await client.get(f"/api/v1/completions?{query}", headers=district_a.headers)
        assert response.status_code == 400, (query, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert words in response.json()["detail"], (query, response.json())
    csv_export = await client.get("/api/v1/completions/export.csv?to=0001-01-01", headers=district_a.headers)
    assert csv_export.status_code == 400
    # The last day a datetime holds is still a day in Tokyo.
    assert await ids(client, district_a, "to=9999-12-31") != []


async def test_the_document_describes_both_forms(client: Client) -> None:
    document = (await client.get("/docs/openapi.json")).json()
    parameters = document["paths"]["/api/v1/completions"]["get"]["parameters"]
    for name in ("from", "to"):
        (schema,) = [p["schema"] for p in parameters if p["name"] == name]
        assert {form.get("format") for form in schema["oneOf"]} == {"date-time", "date"}, schema
