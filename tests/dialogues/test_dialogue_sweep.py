"""The past-due sweep (`sweep_past_due`), on SQLite and PostgreSQL: it marks each open or
waiting dialogue past its due time once and sends `dialogue.past_due` once, however often and
however many workers at once run it."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Sessions
from api.dialogues.services import sweep_past_due
from api.models import Dialogue, OutboxEvent, table, utcnow
from schemas.events import DialoguePastDueEvent, typed
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]


async def school_with_concerns(client: Client, tenant: Tenant, count: int) -> list[str]:
    school = await client.post(
        "/api/v1/feedback/schools", json={"code": "LIN", "name": "Lincoln"}, headers=tenant.headers
    )
    assert school.status_code == 201, school.text
    ids = []
    for i in range(count):
        made = await client.post(
            "/api/v1/dialogues",
            json={
                "school_id": school.json()["id"],
                "reason": "enrollment",
                "summary": f"Concern {i}",
                "owner": "Ana",
                "due_in_business_days": 1,
            },
            headers=tenant.headers,
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    return ids


async def notices(sessions: Sessions) -> list[OutboxEvent]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "dialogue.past_due")))


async def test_the_sweep_sends_one_notice_per_past_due_dialogue(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    ids = await school_with_concerns(client, district_a, 3)
    theirs = await school_with_concerns(client, district_b, 1)
    closed = await client.patch(
        f"/api/v1/dialogues/{ids[0]}", json={"status": "closed"}, headers=district_a.headers
    )
    assert closed.status_code == 200
    waiting = await client.patch(
        f"/api/v1/dialogues/{ids[1]}", json={"status": "waiting"}, headers=district_a.headers
    )
    assert waiting.status_code == 200

    # Nothing is due yet (one business day is at least eight hours away).
    assert await sweep_past_due(sessions, utcnow()) == 0
    later = utcnow() + timedelta(days=10)
    assert await sweep_past_due(sessions, later) == 3  # two of A's (not the closed one), B's
    assert await sweep_past_due(sessions, later) == 0
    assert await sweep_past_due(sessions, later + timedelta(days=30)) == 0

    sent = await notices(sessions)
    assert sorted(str(e.payload["dialogue_id"]) for e in sent) == sorted([ids[1], ids[2], theirs[0]])
    by_id = {e.payload["dialogue_id"]: e for e in sent}
    assert by_id[theirs[0]].district_id == district_b.id and by_id[ids[1]].district_id == district_a.id
    event = typed(by_id[ids[1]].type, by_id[ids[1]].id, by_id[ids[1]].created_at, by_id[ids[1]].payload)
    assert isinstance(event, DialoguePastDueEvent)
    assert event.data.dialogue_id == uuid.UUID(ids[1]) and event.data.status == "waiting"
    assert event.data.owner == "Ana" and event.data.school.code == "LIN"
    assert event.data.due_at < later

    view = (await client.get(f"/api/v1/dialogues/{ids[2]}", headers=district_a.headers)).json()
    assert view["past_due_notice_at"] is not None
    untouched = (await client.get(f"/api/v1/dialogues/{ids[0]}", headers=district_a.headers)).json()
    assert untouched["past_due_notice_at"] is None


async def test_sweeps_at_once_send_one_notice_per_dialogue(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    ids = await school_with_concerns(client, district_a, 40)
    later = utcnow() + timedelta(days=10)
    # Four workers sweep at the same moment, each on a connection of its own.
    marked = await asyncio.gather(*(sweep_past_due(sessions, later) for _ in range(4)))
    assert sum(marked) == len(ids)
    sent = await notices(sessions)
    assert len(sent) == len(ids)
    assert sorted(e.payload["dialogue_id"] for e in sent) == sorted(ids)
    async with sessions() as session:
        total = await session.scalar(select(func.count()).select_from(OutboxEvent))
    assert total == len(ids) * 2  # each dialogue's opened and past-due events, nothing more


async def test_a_sweep_waits_for_one_under_way_and_passes_its_dialogues_by(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    ids = await school_with_concerns(client, district_a, 2)
    later = utcnow() + timedelta(days=10)
    first = asyncio.Event()
    done = asyncio.Event()

    async def first_worker() -> int:
        # A sweep whose transaction is still open when the second one starts.
        async with sessions.begin() as session:
            marked = await sweep_in(session)
            first.set()
            await done.wait()
            return marked

    async def sweep_in(session: AsyncSession) -> int:
        dialogues = table(Dialogue)
        result = await session.execute(
            update(dialogues)
            .where(dialogues.c.past_due_notice_at.is_(None), dialogues.c.due_at <= later)
            .values(past_due_notice_at=later)
        )
        return int(getattr(result, "rowcount", 0))

    holder = asyncio.create_task(first_worker())
    await first.wait()
    second = asyncio.create_task(sweep_past_due(sessions, later))
    await asyncio.sleep(0.5)
    assert not second.done()  # it waits for the rows the first worker holds
    done.set()
    assert await holder == len(ids)
    assert await second == 0  # it re-read them marked, and sent nothing
    assert await notices(sessions) == []
