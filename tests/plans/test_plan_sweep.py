"""The re-measure sweep (`sweep_plans_due`), on SQLite and PostgreSQL: it marks each open or done
plan item whose re-measure date has begun once and sends `plan.due` once, however often and
however many workers at once run it; dropped items send nothing (drafts neither, until adopted:
tests/plans/test_plans_api.py)."""

import asyncio
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.db import Sessions
from api.models import OutboxEvent, utcnow
from api.plans.services import sweep_plans_due
from schemas.events import PlanDueEvent, typed
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]


async def items(client: Client, tenant: Tenant, count: int, **fields: Any) -> list[dict[str, Any]]:
    school = await client.post(
        "/api/v1/feedback/schools", json={"code": "LIN", "name": "Lincoln"}, headers=tenant.headers
    )
    assert school.status_code == 201, school.text
    made = []
    for i in range(count):
        item = await client.post(
            "/api/v1/plans",
            json={"school_id": school.json()["id"], "what": f"Step {i}", "who": "Ana", **fields},
            headers=tenant.headers,
        )
        assert item.status_code == 201, item.text
        made.append(item.json())
    return made


async def notices(sessions: Sessions) -> list[OutboxEvent]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "plan.due")))


def day_begins(day: str) -> datetime:
    # The test districts keep UTC, so a re-measure day begins at its UTC midnight.
    return datetime.combine(datetime.fromisoformat(day).date(), time(), tzinfo=UTC)


async def test_the_sweep_sends_one_notice_per_item_at_its_remeasure_date(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    ours = await items(client, district_a, 4, remeasure_in_days=30)
    theirs = await items(client, district_b, 1, remeasure_in_days=30)
    for item, status in zip(ours[1:3], ("done", "dropped"), strict=True):
        changed = await client.patch(
            f"/api/v1/plans/{item['id']}", json={"status": status}, headers=district_a.headers
        )
        assert changed.status_code == 200

    begins = day_begins(ours[0]["remeasure_on"])
    assert await sweep_plans_due(sessions, utcnow()) == 0
    assert await sweep_plans_due(sessions, begins - timedelta(seconds=1)) == 0
    assert await sweep_plans_due(sessions, begins) == 4  # A's open, done and open (not dropped), B's
    assert await sweep_plans_due(sessions, begins) == 0
    assert await sweep_plans_due(sessions, begins + timedelta(days=90)) == 0

    sent = await notices(sessions)
    expected = [ours[0]["id"], ours[1]["id"], ours[3]["id"], theirs[0]["id"]]
    assert sorted(str(e.payload["plan_item_id"]) for e in sent) == sorted(expected)
    by_id = {e.payload["plan_item_id"]: e for e in sent}
    assert by_id[theirs[0]["id"]].district_id == district_b.id
    done = by_id[ours[1]["id"]]
    event = typed(done.type, done.id, done.created_at, done.payload)
    assert isinstance(event, PlanDueEvent)
    assert event.data.plan_item_id == uuid.UUID(ours[1]["id"]) and event.data.status == "done"
    assert event.data.school.code == "LIN" and event.data.what == "Step 1" and event.data.who == "Ana"
    assert event.data.remeasure_on.isoformat() == ours[1]["remeasure_on"]

    view = (await client.get(f"/api/v1/plans/{ours[0]['id']}", headers=district_a.headers)).json()
    assert view["plan_due_notice_at"] is not None
    untouched = (await client.get(f"/api/v1/plans/{ours[2]['id']}", headers=district_a.headers)).json()
    assert untouched["plan_due_notice_at"] is None
    # Its reminder has gone out: the date stays (409), and nothing else changes with it.
    later = (datetime.fromisoformat(view["planned_on"]) + timedelta(days=40)).date().isoformat()
    moved = await client.patch(
        f"/api/v1/plans/{ours[0]['id']}",
        json={"remeasure_on": later, "what": "Other"},
        headers=district_a.headers,
    )
    assert moved.status_code == 409
    assert (await client.get(f"/api/v1/plans/{ours[0]['id']}", headers=district_a.headers)).json() == view
    summary = (await client.get("/api/v1/plans/summary", headers=district_a.headers)).json()
    assert summary["schools"][0]["remeasure_due"] == 0  # not yet, by the clock; the sweep ran ahead


async def test_sweeps_at_once_send_one_notice_per_item(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    made = await items(client, district_a, 30)
    later = utcnow() + timedelta(days=61)
    # Four workers sweep at the same moment, each on a connection of its own.
    marked = await asyncio.gather(*(sweep_plans_due(sessions, later) for _ in range(4)))
    assert sum(marked) == len(made)
    sent = await notices(sessions)
    assert sorted(e.payload["plan_item_id"] for e in sent) == sorted(i["id"] for i in made)
