"""LTI launches counted by outcome on `/metrics`, through the plugin's own counter: launches from
the test platform that go through, and ones refused (by the class of their problem)."""

import time

import pytest

from tests.conftest import Tenant
from tests.lti.conftest import Client, fragment, launch, register
from tests.lti.platform import Platform
from tests.lti.test_refused import prepared, resign
from tests.ops.metrics_text import Scrape

# Counts since the app was built: an app of its own, which no other test has counted into.
pytestmark = [pytest.mark.anyio, pytest.mark.own_app]
LAUNCHES = "frontoffice_lti_launches_total"


async def scrape(client: Client) -> Scrape:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return Scrape(response.text)


async def test_launches_are_counted_by_outcome(
    lti_client: Client, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    assert (await scrape(lti_client)).get(LAUNCHES, outcome="ok", status="303") == 0

    fragment(await launch(lti_client, canvas, "user-1"))
    fragment(await launch(lti_client, canvas, "user-2"))
    expired = await prepared(lti_client, canvas, sub="user-3")
    expired["id_token"] = resign(canvas, expired["id_token"], lambda c: c.update(exp=int(time.time()) - 120))
    assert (await lti_client.post("/lti/launch", data=expired, follow_redirects=False)).status_code == 401
    unknown = await prepared(lti_client, canvas, sub="user-4")
    unknown["id_token"] = resign(canvas, unknown["id_token"], lambda c: c.update(iss="https://evil.example"))
    assert (await lti_client.post("/lti/launch", data=unknown, follow_redirects=False)).status_code == 403
    # No state, no token: the platform (or someone) posted nothing usable.
    empty = await lti_client.post("/lti/launch", data={}, follow_redirects=False)
    assert 400 <= empty.status_code < 500

    figures = await scrape(lti_client)
    assert figures.value(LAUNCHES, outcome="ok", status="303") == 2
    assert figures.value(LAUNCHES, outcome="refused", status="401") == 1
    assert figures.value(LAUNCHES, outcome="refused", status="403") == 1
    assert figures.value(LAUNCHES, outcome="refused", status=str(empty.status_code)) == 1
    assert figures.get(LAUNCHES, outcome="error", status="500") == 0
