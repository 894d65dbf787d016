"""A district's settings: its time zone (checked against the IANA list) and its certificates' signer."""

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]


async def test_settings_change_only_what_is_sent(
    client: Client, district_a: Tenant, district_b: Tenant
) -> None:
    before = (await client.get("/api/v1/district", headers=district_a.headers)).json()
    assert before["time_zone"] == "UTC" and before["signer_name"] == ""
    changed = await client.patch(
        "/api/v1/district",
        json={
            "time_zone": "America/Chicago",
            "signer_name": "Dr. Ana Ruiz",
            "signer_title": "Superintendent",
        },
        headers=district_a.headers,
    )
    assert changed.status_code == 200, changed.text
    again = await client.patch(
        "/api/v1/district", json={"signer_title": "Superintendenta"}, headers=district_a.headers
    )
    assert again.json()["time_zone"] == "America/Chicago"
    assert again.json()["signer_name"] == "Dr. Ana Ruiz"
    assert (await client.get("/api/v1/district", headers=district_a.headers)).json()["signer_title"] == (
        "Superintendenta"
    )
    # Another district is untouched.
    assert (await client.get("/api/v1/district", headers=district_b.headers)).json()["time_zone"] == "UTC"


async def test_unknown_time_zone_is_422_naming_the_field(client: Client, district_a: Tenant) -> None:
    for bad in ("Mars/Olympus", "../../etc/passwd", "America/"):
        response = await client.patch("/api/v1/district", json={"time_zone": bad}, headers=district_a.headers)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["errors"] == [{"field": "$.time_zone", "message": "unknown time zone"}]
    assert (await client.get("/api/v1/district", headers=district_a.headers)).json()["time_zone"] == "UTC"
