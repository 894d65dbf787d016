"""Live workshops through their routes, on SQLite and PostgreSQL: open, join by code, move and
close the room; bad codes, a closed room, a participant trying to move it, a join flood; the
presenter stream resumed with Last-Event-ID (nothing lost, nothing twice) and, on PostgreSQL,
fed across two app instances; attendance completing a module with its event in the outbox."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import msgspec
import pytest
import uvicorn
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from api.app import create_app
from api.db import Sessions
from api.models import Learner, OutboxEvent, Workshop, utcnow
from api.settings import Settings
from tests.conftest import Tenant
from tests.progress.answers import form_answers
from tests.progress.test_progress_api import MODULE, facilitator_forms

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]
WORKSHOPS = "/api/v1/workshops"
JOIN = "/workshops/join"


async def open_workshop(
    client: Client | httpx.AsyncClient, tenant: Tenant, *, ahead: bool = False, **body: Any
) -> Any:
    """A new workshop; `ahead`: participants may submit any form whatever the room's step."""
    response = await client.post(WORKSHOPS, json={"modules": [MODULE], **body}, headers=tenant.headers)
    assert response.status_code == 201, response.text
    if ahead:
        moved = await client.patch(
            f"{WORKSHOPS}/{response.json()['id']}/state", json={"allow_ahead": True}, headers=tenant.headers
        )
        assert moved.status_code == 200, moved.text
        return moved.json()
    return response.json()


async def join(client: Client | httpx.AsyncClient, code: str, name: str = "Ana Ruiz") -> Any:
    response = await client.post(JOIN, json={"code": code, "name": name, "school": "Lincoln"})
    assert response.status_code == 201, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def submit(client: Client | httpx.AsyncClient, token: str, form: dict[str, Any]) -> Any:
    started = await client.post(
        f"/api/v1/me/modules/{MODULE}/forms/{form['id']}/attempts", headers=bearer(token)
    )
    assert started.status_code in (200, 201), started.text
    response = await client.post(
        f"/api/v1/me/attempts/{started.json()['id']}/submit",
        json={"answers": form_answers(form)},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text
    return response.json()


async def count(sessions: Sessions, model: Any) -> int:
    async with sessions() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_open_join_move_and_close(client: Client, district_a: Tenant, district_b: Tenant) -> None:
    workshop = await open_workshop(client, district_a, title="Lincoln front office", cohort="2026-12-lincoln")
    code, url = workshop["code"], f"{WORKSHOPS}/{workshop['id']}"
    assert len(code) == 9 and code[4] == "-" and workshop["join_url"].endswith(code.replace("-", ""))
    svg = await client.get(f"{url}/qr.svg", headers=district_a.headers)
    png = await client.get(f"{url}/qr.png", headers=district_a.headers)
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    assert png.content.startswith(b"\x89PNG")
    # Typed on a phone: lower case, no dash.
    joined = await join(client, code.lower().replace("-", ""))
    participant = bearer(joined["token"])
    assert joined["room"]["step"] == 0 and joined["learner"]["school"] == "Lincoln"
    assert (await client.get(f"{url}/room", headers=participant)).json()["allow_ahead"] is False
    # A participant can't move the room, nor read the facilitator's view of it.
    refused = await client.patch(f"{url}/state", json={"step": 3}, headers=participant)
    assert refused.status_code == 403 and "workshops:run" in refused.json()["detail"]
    assert (await client.get(url, headers=participant)).status_code == 403
    moved = await client.patch(
        f"{url}/state", json={"step": 2, "allow_ahead": True}, headers=district_a.headers
    )
    assert moved.status_code == 200 and moved.json()["participants"] == 1
    assert (await client.get(f"{url}/room", headers=participant)).json()["step"] == 2
    # A facilitator token (an instructor's) runs a room too; a key without the scope does not.
    body = {"learner": {"external_id": "teacher-1"}, "facilitator": True}
    teacher = (await client.post("/api/v1/learner-tokens", json=body, headers=district_a.headers)).json()
    assert (await client.get(url, headers=bearer(teacher["token"]))).status_code == 200
    # Another district sees nothing of it.
    assert (await client.get(url, headers=district_b.headers)).status_code == 404
    assert (await client.get(f"{url}/participants", headers=district_b.headers)).status_code == 404
    assert (await client.get(f"{url}/stream", headers=district_b.headers)).status_code == 404
    # Nor does a participant of another room.
    other = await open_workshop(client, district_a)
    assert (await client.get(f"{WORKSHOPS}/{other['id']}/room", headers=participant)).status_code == 404
    closed = await client.patch(f"{url}/state", json={"status": "closed"}, headers=district_a.headers)
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    late = await client.post(JOIN, json={"code": code, "name": "Bo", "school": "Lincoln"})
    assert late.status_code == 410 and "closed" in late.json()["detail"]
    assert (
        await client.patch(f"{url}/state", json={"step": 4}, headers=district_a.headers)
    ).status_code == 409


async def test_bad_codes_and_bodies_write_nothing(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    workshop = await open_workshop(client, district_a)
    learners = await count(sessions, Learner)
    wrong = await client.post(JOIN, json={"code": "AAAA-AAAA", "name": "X", "school": "Y"})
    assert wrong.status_code == 404 and "code" in wrong.json()["detail"]
    nameless = await client.post(JOIN, json={"code": workshop["code"], "name": "", "school": "Y"})
    assert nameless.status_code in (400, 422)
    async with sessions.begin() as session:
        await session.execute(
            update(Workshop)
            .where(Workshop.code == workshop["code"].replace("-", ""))
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    expired = await client.post(JOIN, json={"code": workshop["code"], "name": "X", "school": "Y"})
    assert expired.status_code == 410 and "expired" in expired.json()["detail"]
    unknown = await client.post(WORKSHOPS, json={"modules": ["no-such-module"]}, headers=district_a.headers)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "$.modules[0]"
    assert await count(sessions, Learner) == learners


async def test_a_join_flood_from_one_address_is_refused_before_any_write(
    settings: Settings, sessions: Sessions, district_a: Tenant
) -> None:
    app = create_app(msgspec.structs.replace(settings, workshop_join_rate_limit="3/hour"))
    async with AsyncTestClient(app=app) as client:
        workshop = await open_workshop(client, district_a)
        for _ in range(3):  # a guesser's tries
            guess = await client.post(JOIN, json={"code": "CCCCDDDD", "name": "X", "school": "Y"})
            assert guess.status_code == 404
        learners = await count(sessions, Learner)
        for _ in range(20):  # then even the right code is refused, and nothing is written
            flood = await client.post(JOIN, json={"code": workshop["code"], "name": "X", "school": "Y"})
            assert flood.status_code == 429 and int(flood.headers["retry-after"]) > 0
        assert await count(sessions, Learner) == learners


async def test_attendance_completes_the_module_with_its_event(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    forms = await facilitator_forms(client, district_a)
    workshop = await open_workshop(client, district_a, ahead=True)
    url = f"{WORKSHOPS}/{workshop['id']}"
    early, late = await join(client, workshop["code"], "Early"), await join(client, workshop["code"], "Late")
    for person in (early, late):
        await submit(client, person["token"], forms["customer-worksheet"])
    done = await submit(client, early["token"], forms["knowledge-check"])
    assert done["completion"] is None  # the reflection, or attendance, is still to come
    confirmed = await client.put(
        f"{url}/attendance",
        json={"learner_ids": [early["learner"]["id"], late["learner"]["id"]]},
        headers=district_a.headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json() == {"attended": 2, "completions": 1}
    progress = (await client.get("/api/v1/me/progress", headers=bearer(early["token"]))).json()
    mine = next(p for p in progress if p["module_id"] == MODULE)
    assert mine["status"] == "completed" and mine["completion"]["passed"] is True
    async with sessions() as session:
        events = (
            await session.execute(
                select(OutboxEvent.payload).where(OutboxEvent.type == "completion.recorded")
            )
        ).scalars()
        recorded = [e for e in events if e["learner"]["id"] == early["learner"]["id"]]
    assert len(recorded) == 1 and recorded[0]["module_id"] == MODULE
    # Attended first, checked after: the submit itself completes (the submit path reads attendance).
    finished = await submit(client, late["token"], forms["knowledge-check"])
    assert finished["completion"] is not None
    again = await client.put(
        f"{url}/attendance", json={"learner_ids": [late["learner"]["id"]]}, headers=district_a.headers
    )
    assert again.json() == {"attended": 1, "completions": 0}
    listed = (await client.get(f"{url}/participants", headers=district_a.headers)).json()
    assert [p["attended"] for p in listed] == [True, True]
    stranger = await client.put(
        f"{url}/attendance", json={"learner_ids": [workshop["id"]]}, headers=district_a.headers
    )
    assert stranger.status_code == 422


# --- the presenter stream, served for real (the test client buffers whole responses) ---------


@asynccontextmanager
async def served(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=1)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn says so by a flag, not an event)
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client
    finally:
        server.should_exit = True
        await task


class Stream:
    """An open presenter stream, read event by event."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()

    async def next(self) -> dict[str, Any]:
        event: dict[str, Any] = {}
        async with asyncio.timeout(10):
            async for line in self.lines:
                if not line:
                    if "data" in event:
                        return event
                    continue
                field, _, value = line.partition(":")
                if field in ("id", "event"):
                    event[field] = value.strip()
                elif field == "data":
                    event["data"] = msgspec.json.decode(value.strip())
        raise AssertionError("the stream ended")


@asynccontextmanager
async def stream(
    client: httpx.AsyncClient, tenant: Tenant, workshop_id: str, after: str = ""
) -> AsyncIterator[Stream]:
    headers = {**tenant.headers, **({"Last-Event-ID": after} if after else {})}
    async with client.stream("GET", f"{WORKSHOPS}/{workshop_id}/stream", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Stream(response)


async def test_stream_resumes_after_last_event_id_with_nothing_lost_or_doubled(
    settings: Settings, district_a: Tenant
) -> None:
    async with served(create_app(settings)) as client:
        forms = await facilitator_forms(client, district_a)  # type: ignore[arg-type]
        worksheet = forms["customer-worksheet"]
        workshop = await open_workshop(client, district_a, ahead=True)
        people = [await join(client, workshop["code"], f"P{i}") for i in range(5)]
        seen: list[dict[str, Any]] = []
        async with stream(client, district_a, workshop["id"]) as presenter:
            seen.append(await presenter.next())
            assert seen[0]["event"] == "state" and seen[0]["data"]["state"]["status"] == "open"
            seen.append(await presenter.next())  # participants let ahead
            assert seen[1]["data"]["state"]["allow_ahead"] is True
            for person in people[:2]:
                await submit(client, person["token"], worksheet)
                seen.append(await presenter.next())
        # Below the form's minimum group, the screen shows a count, never one person's list.
        assert [e["data"]["respondents"] for e in seen[2:]] == [1, 2]
        assert all(e["data"].get("items") is None for e in seen[2:])
        # While the presenter is away: three more submit and the room moves on.
        for person in people[2:]:
            await submit(client, person["token"], worksheet)
        moved = await client.patch(
            f"{WORKSHOPS}/{workshop['id']}/state", json={"step": 1}, headers=district_a.headers
        )
        assert moved.status_code == 200
        async with stream(client, district_a, workshop["id"], after=seen[-1]["id"]) as presenter:
            resumed = [await presenter.next() for _ in range(4)]
        assert [e["event"] for e in resumed] == ["entry", "entry", "entry", "state"]
        assert [e["data"]["respondents"] for e in resumed[:3]] == [3, 4, 5]
        # The fifth brings the minimum group: everyone's list at once, and no names anywhere.
        released = resumed[2]["data"]["items"]["external"]
        assert len(released) == 5 * len(form_answers(worksheet)["external"])
        assert "P0" not in str(resumed) and people[0]["learner"]["id"] not in str(resumed)
        assert resumed[3]["data"]["state"]["step"] == 1
        # One unbroken stream from the start has exactly these events, in this order.
        async with stream(client, district_a, workshop["id"]) as presenter:
            whole = [await presenter.next() for _ in range(len(seen) + len(resumed))]
        assert [e["id"] for e in whole] == [e["id"] for e in seen + resumed]
        assert len({e["id"] for e in whole}) == len(whole)
        bad = await client.get(
            f"{WORKSHOPS}/{workshop['id']}/stream", headers={**district_a.headers, "Last-Event-ID": "nope"}
        )
        assert bad.status_code == 400


# SQLite is one process's database; several processes share PostgreSQL.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_an_answer_through_one_instance_reaches_a_stream_on_another(
    settings: Settings, district_a: Tenant
) -> None:
    async with served(create_app(settings)) as one, served(create_app(settings)) as other:
        forms = await facilitator_forms(one, district_a)  # type: ignore[arg-type]
        workshop = await open_workshop(one, district_a, ahead=True)
        person = await join(one, workshop["code"])
        async with stream(other, district_a, workshop["id"]) as presenter:
            assert (await presenter.next())["event"] == "state"
            assert (await presenter.next())["data"]["state"]["allow_ahead"] is True
            started = time.monotonic()
            await submit(one, person["token"], forms["customer-worksheet"])
            entry = await presenter.next()
            # Woken by NOTIFY, well before the stream's own reread would have found it.
            assert entry["event"] == "entry" and time.monotonic() - started < 2.0
            await one.patch(
                f"{WORKSHOPS}/{workshop['id']}/state", json={"step": 5}, headers=district_a.headers
            )
            assert (await presenter.next())["data"]["state"]["step"] == 5
