"""Participants follow the room, on SQLite and PostgreSQL: their rooms say which module and
activity the room is on; a form the room has not reached is a 409 (nothing written) until the
facilitator moves there or lets the room ahead; the participant's stream carries the room's
moves and never anyone's answers. The facilitator enters a participant's paper answers (scored
as their submit, completing the module with its event); a non-participant, a stranger module,
misfit answers, a participant's token or another district: each a 4xx, nothing written. A
participant's own QR code (for their packet) opens the player as them."""

import uuid
from typing import Any
from urllib.parse import parse_qsl

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.app import create_app
from api.db import Sessions
from api.models import Attempt, OutboxEvent
from api.runtime import Runtime
from api.settings import Settings
from api.workshops.services import WorkshopService
from tests.conftest import Tenant
from tests.progress.answers import form_answers
from tests.progress.test_progress_api import MODULE, facilitator_forms
from tests.workshops.test_workshops_api import (
    WORKSHOPS,
    Stream,
    bearer,
    join,
    open_workshop,
    served,
    stream,
    submit,
)

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]


async def script_steps(client: Any, tenant: Tenant) -> dict[str, int]:
    """Each form's first step in the module's facilitator script (from the facilitator view)."""
    module = (await client.get(f"/api/v1/modules/{MODULE}/facilitator", headers=tenant.headers)).json()
    forms = {a["id"]: a.get("form") for a in module["activities"]}
    first: dict[str, int] = {}
    for index, step in enumerate(module["facilitator_script"]):
        form = forms.get(step.get("activity"))
        if form:
            first.setdefault(form, index)
    return first


async def attempts(sessions: Sessions, status: str) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(Attempt).where(Attempt.status == status)
        return (await session.execute(query)).scalar_one()


async def test_a_participant_follows_the_room_and_cannot_run_ahead(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    forms = await facilitator_forms(client, district_a)
    steps = await script_steps(client, district_a)
    assert 0 < steps["customer-worksheet"] < steps["knowledge-check"]
    workshop = await open_workshop(client, district_a)
    url = f"{WORKSHOPS}/{workshop['id']}"
    person = await join(client, workshop["code"])
    assert person["room"]["module_id"] == MODULE and person["room"]["activity"] is None
    mine = (await client.get("/api/v1/me/workshops", headers=bearer(person["token"]))).json()
    assert [r["workshop_id"] for r in mine] == [workshop["id"]] and mine[0]["step"] == 0

    # The room is on its welcome: the worksheet can be drafted but not submitted.
    worksheet = forms["customer-worksheet"]
    started = await client.post(
        f"/api/v1/me/modules/{MODULE}/forms/customer-worksheet/attempts", headers=bearer(person["token"])
    )
    submitted = await attempts(sessions, "submitted")
    early = await client.post(
        f"/api/v1/me/attempts/{started.json()['id']}/submit",
        json={"answers": form_answers(worksheet)},
        headers=bearer(person["token"]),
    )
    assert early.status_code == 409, early.text
    assert "not reached" in early.json()["detail"] and "work ahead" in early.json()["detail"]
    assert await attempts(sessions, "submitted") == submitted

    # A participant can't move the room to get there.
    refused = await client.patch(f"{url}/state", json={"step": 9}, headers=bearer(person["token"]))
    assert refused.status_code == 403

    # The facilitator moves the room to the worksheet: the rooms say so, and it goes in.
    moved = await client.patch(
        f"{url}/state", json={"step": steps["customer-worksheet"]}, headers=district_a.headers
    )
    assert moved.status_code == 200
    room = (await client.get(f"{url}/room", headers=bearer(person["token"]))).json()
    assert room["module_id"] == MODULE and room["activity"] == "list-customers"
    await submit(client, person["token"], worksheet)
    # The check is still ahead of the room, until the facilitator lets the room ahead.
    check = forms["knowledge-check"]
    started = await client.post(
        f"/api/v1/me/modules/{MODULE}/forms/knowledge-check/attempts", headers=bearer(person["token"])
    )
    ahead = await client.post(
        f"/api/v1/me/attempts/{started.json()['id']}/submit",
        json={"answers": form_answers(check)},
        headers=bearer(person["token"]),
    )
    assert ahead.status_code == 409
    await client.patch(f"{url}/state", json={"allow_ahead": True}, headers=district_a.headers)
    await submit(client, person["token"], check)

    # Someone in no room is held by nothing; a closed room holds no one either.
    await client.patch(f"{url}/state", json={"status": "closed"}, headers=district_a.headers)
    assert (await client.get("/api/v1/me/workshops", headers=bearer(person["token"]))).json() == []


async def test_the_participant_stream_carries_moves_and_no_answers(
    settings: Settings, district_a: Tenant
) -> None:
    async with served(create_app(settings)) as http:
        forms = await facilitator_forms(http, district_a)  # type: ignore[arg-type]
        workshop = await open_workshop(http, district_a, ahead=True)
        url = f"{WORKSHOPS}/{workshop['id']}"
        watcher, writer = (
            await join(http, workshop["code"], "Watcher"),
            await join(http, workshop["code"], "Writer"),
        )
        me = bearer(watcher["token"])
        async with http.stream(
            "GET", f"/api/v1/me/workshops/{workshop['id']}/stream", headers=me
        ) as response:
            assert response.status_code == 200
            events = Stream(response)
            # From the start: where the room is now (let ahead), not the path it took there.
            first = await events.next()
            assert first["event"] == "state" and first["data"]["state"]["allow_ahead"] is True
            await submit(http, writer["token"], forms["customer-worksheet"])
            await http.patch(f"{url}/state", json={"step": 3}, headers=district_a.headers)
            moved = await events.next()  # the submit in between is not on this stream
            assert moved["event"] == "state" and moved["data"]["state"]["step"] == 3
            assert "Writer" not in str(moved) and writer["learner"]["id"] not in str(moved)
        # Resumed after the last move: only what came since.
        await http.patch(f"{url}/state", json={"step": 4}, headers=district_a.headers)
        headers = {**me, "Last-Event-ID": moved["id"]}
        async with http.stream(
            "GET", f"/api/v1/me/workshops/{workshop['id']}/stream", headers=headers
        ) as response:
            assert (await Stream(response).next())["data"]["state"]["step"] == 4
        # Someone not in the room, and the presenter's stream with a learner's token: refused.
        other = await open_workshop(http, district_a)
        assert (await http.get(f"/api/v1/me/workshops/{other['id']}/stream", headers=me)).status_code == 404
        assert (await http.get(f"{url}/stream", headers=me)).status_code == 403
        async with stream(http, district_a, workshop["id"]) as presenter:  # the presenter's has entries
            kinds = [(await presenter.next())["event"] for _ in range(3)]
        assert kinds == ["state", "state", "entry"]


async def test_paper_answers_entered_by_the_facilitator(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    forms = await facilitator_forms(client, district_a)
    workshop = await open_workshop(client, district_a)  # paper is not held by the room's step
    url = f"{WORKSHOPS}/{workshop['id']}"
    person = await join(client, workshop["code"], "Paper Person")
    outsider = await join(client, (await open_workshop(client, district_a))["code"], "Elsewhere")
    paper = f"{url}/participants/{person['learner']['id']}/paper"
    check = {
        "module_id": MODULE,
        "form_id": "knowledge-check",
        "answers": form_answers(forms["knowledge-check"]),
    }

    before = (await attempts(sessions, "draft"), await attempts(sessions, "submitted"))
    refusals = [
        # Not a participant of this workshop.
        await client.post(
            f"{url}/participants/{outsider['learner']['id']}/paper", json=check, headers=district_a.headers
        ),
        # A module the workshop doesn't run, a form the module lacks, answers that don't fit.
        await client.post(
            paper, json={**check, "module_id": "internal-customer-service"}, headers=district_a.headers
        ),
        await client.post(paper, json={**check, "form_id": "no-such-form"}, headers=district_a.headers),
        await client.post(
            paper, json={**check, "answers": {"no-such-item": "x"}}, headers=district_a.headers
        ),
    ]
    assert [r.status_code for r in refusals] == [422, 422, 422, 422], [r.text for r in refusals]
    assert "did not join" in refusals[0].json()["detail"]
    assert (await client.post(paper, json=check, headers=bearer(person["token"]))).status_code == 403
    assert (await client.post(paper, json=check, headers=district_b.headers)).status_code == 404
    assert (await attempts(sessions, "draft"), await attempts(sessions, "submitted")) == before

    for form_id in ("customer-worksheet", "knowledge-check", "reflection"):
        body = {"module_id": MODULE, "form_id": form_id, "answers": form_answers(forms[form_id])}
        entered = await client.post(paper, json=body, headers=district_a.headers)
        assert entered.status_code == 200, entered.text
        assert entered.json()["attempt"]["status"] == "submitted"
    result = entered.json()
    assert result["completion"] is not None and result["completion"]["learner_id"] == person["learner"]["id"]
    # Scored on the server, as the participant's own work: their progress shows it.
    progress = (await client.get("/api/v1/me/progress", headers=bearer(person["token"]))).json()
    assert next(p for p in progress if p["module_id"] == MODULE)["status"] == "completed"
    async with sessions() as session:
        events = (
            await session.execute(
                select(OutboxEvent.payload).where(OutboxEvent.type == "completion.recorded")
            )
        ).scalars()
        assert [e["learner"]["id"] for e in events].count(person["learner"]["id"]) == 1


async def test_a_participants_own_qr_opens_the_player_as_them(
    client: Client, runtime: Runtime, district_a: Tenant, district_b: Tenant
) -> None:
    workshop = await open_workshop(client, district_a)
    url = f"{WORKSHOPS}/{workshop['id']}"
    person = await join(client, workshop["code"], "Qi Packet")
    outsider = await join(client, (await open_workshop(client, district_a))["code"], "Elsewhere")
    qr = await client.get(f"{url}/participants/{person['learner']['id']}/qr.svg", headers=district_a.headers)
    assert (
        qr.status_code == 200
        and qr.headers["content-type"].startswith("image/svg+xml")
        and b"<svg" in qr.content
    )
    for path, headers, status in (
        (f"{url}/participants/{outsider['learner']['id']}/qr.svg", district_a.headers, 404),
        (f"{url}/participants/{person['learner']['id']}/qr.svg", district_b.headers, 404),
        (f"{url}/participants/{person['learner']['id']}/qr.svg", bearer(person["token"]), 403),
    ):
        assert (await client.get(path, headers=headers)).status_code == status
    # What the code holds: the player, as that participant, on the room's module.
    service = WorkshopService(runtime.sessions, runtime.catalog, district_a.id, "http://testserver.local")
    link = await service.paper_link(
        uuid.UUID(workshop["id"]), uuid.UUID(person["learner"]["id"]), await runtime.token_key.get()
    )
    base, _, fragment = link.partition("#")
    assert base == "http://testserver.local/player/"
    opened = dict(parse_qsl(fragment))
    assert opened["module"] == MODULE and opened["view"] == "learner"
    me = (await client.get("/api/v1/me", headers=bearer(opened["token"]))).json()
    assert me["id"] == person["learner"]["id"] and me["name"] == "Qi Packet"
