"""The incremental changes feed: creates and voids in order, nothing missed or repeated, and the
commit-order race on PostgreSQL (a transaction that started earlier commits later)."""

import asyncio
import secrets
import time
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, select

from api.app import create_app
from api.db import Sessions, create_engine, create_sessions
from api.models import Completion, CompletionChange, District
from api.settings import Settings
from tests.conftest import Tenant, make_tenant
from tests.hr.seed import T0, add_completion, add_learner, current_modules

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]
# How long a change may take to be served: only a transaction left open for good takes longer.
PATIENT_SECONDS = 30.0


async def pull(client: Client, tenant: Tenant, cursor: str | None, limit: int = 500) -> dict[str, Any]:
    query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
    response = await client.get(f"/api/v1/completions/changes{query}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def pull_all(
    client: Client, tenant: Tenant, cursor: str | None, limit: int = 2
) -> tuple[list[Any], str]:
    """Pull until caught up, as a client would; returns the changes and the cursor to keep."""
    items: list[Any] = []
    while True:
        page = await pull(client, tenant, cursor, limit)
        items += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return items, cursor


async def test_feed_serves_creates_and_voids_once(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    modules = list((await current_modules(sessions)).items())
    learner = await add_learner(sessions, district_a.id, "lms-1", employee_id="E1")
    ids = [await add_completion(sessions, district_a.id, learner, m, v) for m, v in modules[:3]]
    items, cursor = await pull_all(client, district_a, None)
    assert [i["record"]["id"] for i in items] == [str(i) for i in ids]
    assert (await pull(client, district_a, cursor))["items"] == []

    void = await client.post(
        f"/api/v1/completions/{ids[1]}/void", json={"reason": "entered twice"}, headers=district_a.headers
    )
    assert void.status_code == 200
    fourth = await add_completion(sessions, district_a.id, learner, *modules[3])
    items, cursor = await pull_all(client, district_a, cursor)
    assert [(i["record"]["id"], i["record"]["outcome"]["status"]) for i in items] == [
        (str(ids[1]), "voided"),
        (str(fourth), "completed"),
    ]
    assert items[0]["record"]["outcome"]["void_reason"] == "entered twice"
    again, _ = await pull_all(client, district_a, cursor)
    assert again == []


async def test_feed_while_records_are_written(
    client: Client, sessions: Sessions, district_a: Tenant, database_url: str
) -> None:
    """A writer (its own thread, loop and engine) and a puller at once: the puller ends with
    every record exactly once."""
    modules = list((await current_modules(sessions)).items())
    learners = [await add_learner(sessions, district_a.id, f"lms-{n}") for n in range(12)]
    written: list[str] = []

    def writer() -> None:
        async def main() -> None:
            engine = create_engine(database_url)
            own = create_sessions(engine)
            for n, learner in enumerate(learners):
                module = modules[n % len(modules)]
                written.append(str(await add_completion(own, district_a.id, learner, *module)))
                await asyncio.sleep(0.01)
            await engine.dispose()

        asyncio.run(main())

    seen: list[str] = []
    cursor = None
    task = asyncio.create_task(asyncio.to_thread(writer))
    while not task.done():
        items, cursor = await pull_all(client, district_a, cursor, limit=3)
        seen += [i["record"]["id"] for i in items]
        await asyncio.sleep(0.005)
    await task
    # PostgreSQL serves a change once no older transaction is open: wait for that, not for a count
    # of tries that a loaded machine can use up first.
    deadline = time.monotonic() + PATIENT_SECONDS
    while len(seen) < len(written) and time.monotonic() < deadline:
        items, cursor = await pull_all(client, district_a, cursor, limit=3)
        seen += [i["record"]["id"] for i in items]
        if len(seen) < len(written):
            await asyncio.sleep(0.1)
    assert sorted(seen) == sorted(written) and len(seen) == len(set(seen)) == 12


async def test_commit_order_race_on_postgres(postgres_url: str) -> None:
    """T1 starts and writes first, T2 starts later and commits first. Served by id alone, a
    pull between the two commits would return T2's change and move past T1's, which would
    then commit behind the cursor and never be served. (PostgreSQL only: SQLite serializes
    writers, so there a later transaction cannot commit first.)"""
    engine = create_engine(postgres_url)
    sessions = create_sessions(engine)
    tenant = await make_tenant(sessions, f"race-{secrets.token_hex(3)}")
    settings = Settings(
        database_url=postgres_url,
        migrate_on_start=False,
        publish_on_start=False,
        log_level="WARNING",
        dispatch_in_app=False,
    )
    try:
        async with AsyncTestClient(app=create_app(settings)) as client:
            await race(client, sessions, tenant)
    finally:
        async with sessions.begin() as session:
            await session.execute(delete(District).where(District.id == tenant.id))
        await engine.dispose()


async def race(client: Client, sessions: Sessions, tenant: Tenant) -> None:
    modules = list((await current_modules(sessions)).items())
    learners = [await add_learner(sessions, tenant.id, f"lms-{n}") for n in range(3)]
    before = await add_completion(sessions, tenant.id, learners[0], *modules[0])
    _, cursor = await pull_all(client, tenant, None)

    def completion(learner: Any, module: tuple[str, str]) -> Completion:
        return Completion(
            district_id=tenant.id,
            learner_id=learner,
            module_id=module[0],
            module_version=module[1],
            score=None,
            passed=None,
            attempts=0,
            started_at=T0,
            completed_at=T0,
            credit_minutes=20,
            certificate_code=secrets.token_hex(8).upper(),
            updated_at=T0,
        )

    t1 = sessions()
    t2 = sessions()
    try:
        await t1.begin()
        first = completion(learners[1], modules[1])
        t1.add(first)
        await t1.flush()  # T1 holds a transaction id and its change row (the lower change id)
        await t2.begin()
        second = completion(learners[2], modules[2])
        t2.add(second)
        await t2.flush()
        await t2.commit()  # the later transaction commits first

        async with sessions() as session:
            changed = set((await session.execute(select(CompletionChange.completion_id))).scalars())
        assert second.id in changed and first.id not in changed  # T2's change is visible to readers...
        middle = await pull(client, tenant, cursor)
        assert middle["items"] == []  # ...but not served while T1, older, is still open
        cursor = middle["next_cursor"]
        await t1.commit()
    finally:
        await t1.close()
        await t2.close()
    got: list[str] = []
    deadline = time.monotonic() + PATIENT_SECONDS
    while len(got) < 2 and time.monotonic() < deadline:
        items, cursor = await pull_all(client, tenant, cursor)
        got += [i["record"]["id"] for i in items]
        if len(got) < 2:
            await asyncio.sleep(0.1)
    assert got == [str(first.id), str(second.id)]  # T1's change is not missed, in txid order
    assert str(before) not in got
