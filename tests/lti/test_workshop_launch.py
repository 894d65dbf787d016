"""Joining a live workshop through an LTI launch (lti1p3platform): the link's custom parameter
`workshop=<code>`, or the launch's context matching the room's cohort, puts the learner in the
room under their LTI identity; a code naming no workshop of the district is a 422 and writes no
learner; a closed room's code launches the module alone; an instructor's launch joins nothing."""

from typing import Any

import pytest

from api.db import Sessions
from tests.conftest import Tenant
from tests.lti.conftest import INSTRUCTOR, MODULE, Client, fragment, launch, learners, register
from tests.lti.platform import Platform

pytestmark = pytest.mark.anyio
WORKSHOPS = "/api/v1/workshops"
COHORT = "Front desk staff 2026"  # the platform's context title: the launch's cohort


async def opened(client: Client, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await client.post(WORKSHOPS, json={"modules": [MODULE], **body}, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def rooms(client: Client, token: str) -> list[str]:
    response = await client.get("/api/v1/me/workshops", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return [r["workshop_id"] for r in response.json()]


async def participants(client: Client, tenant: Tenant, workshop_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{WORKSHOPS}/{workshop_id}/participants", headers=tenant.headers)
    return response.json()  # type: ignore[no-any-return]


async def test_a_launch_with_the_code_joins_the_room(
    lti_client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    workshop = await opened(lti_client, district_a, title="Lincoln")
    custom = {"module": MODULE, "workshop": workshop["code"].lower()}
    got = fragment(await launch(lti_client, canvas, "lms-ana", custom=custom, name="Ana Ruiz"))
    assert got["view"] == "learner"
    assert await rooms(lti_client, got["token"]) == [workshop["id"]]
    [person] = await participants(lti_client, district_a, workshop["id"])
    assert person["name"] == "Ana Ruiz"
    # Launching again (the learner comes back) changes nothing.
    again = fragment(await launch(lti_client, canvas, "lms-ana", custom=custom, name="Ana Ruiz"))
    assert await rooms(lti_client, again["token"]) == [workshop["id"]]
    assert len(await participants(lti_client, district_a, workshop["id"])) == 1

    # A code of no workshop here (made up, or another district's): a 422 naming it, no learner.
    elsewhere = await opened(lti_client, district_b)
    before = await learners(sessions)
    for code in ("QQQQ-QQQQ", elsewhere["code"]):
        refused = await launch(lti_client, canvas, "lms-bo", custom={"module": MODULE, "workshop": code})
        assert refused.status_code == 422, refused.text
        assert "workshop=" in refused.json()["detail"]
    assert await learners(sessions) == before

    # An instructor's launch with the code runs the room; it does not join it.
    teacher = fragment(await launch(lti_client, canvas, "lms-teacher", roles=INSTRUCTOR, custom=custom))
    assert teacher["view"] == "facilitator"
    assert len(await participants(lti_client, district_a, workshop["id"])) == 1

    # Once the room is closed its code launches the module alone.
    await lti_client.patch(
        f"{WORKSHOPS}/{workshop['id']}/state", json={"status": "closed"}, headers=district_a.headers
    )
    late = fragment(await launch(lti_client, canvas, "lms-late", custom=custom))
    assert await rooms(lti_client, late["token"]) == []
    assert len(await participants(lti_client, district_a, workshop["id"])) == 1


async def test_a_launch_from_the_rooms_cohort_joins_it(
    lti_client: Client, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    other_module = await opened(lti_client, district_a, cohort=COHORT, modules=["internal-customer-service"])
    other_cohort = await opened(lti_client, district_a, cohort="Bus drivers")
    workshop = await opened(lti_client, district_a, cohort=COHORT)
    got = fragment(await launch(lti_client, canvas, "lms-cy", name="Cy Jones"))
    assert await rooms(lti_client, got["token"]) == [workshop["id"]]
    assert await participants(lti_client, district_a, other_module["id"]) == []
    assert await participants(lti_client, district_a, other_cohort["id"]) == []
