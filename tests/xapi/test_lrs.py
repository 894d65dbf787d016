"""The xAPI plugin end to end against a real LRS on loopback (ralph): a district configures its
LRS, a learner completes a module, the outbox delivers, and the statements are read back from
the LRS by id, by registration and by agent; delivering again adds none."""

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from api.app import create_app
from api.db import Sessions
from api.models import Attempt, Delivery, OutboxEvent, PluginSetting, utcnow
from api.outbox.dispatcher import Dispatcher
from api.plugin import load_plugins
from api.runtime import open_runtime
from api.settings import Settings
from plugins.xapi.statements import registration, statement_id
from tests.conftest import Tenant
from tests.progress.test_progress_api import MODULE, facilitator_forms, learner_headers, submit_form
from tests.xapi.conftest import Lrs

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]
SECRET_KEY = "xapi-tests-secret-key-of-32-bytes-or-more"


@pytest.fixture
def xapi_settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(
        settings,
        secret_key=SECRET_KEY,
        webhook_allow_http=True,  # ralph speaks plain http on loopback
        outbound_allowlist=["127.0.0.1"],
    )


@pytest.fixture
async def xapi_client(xapi_settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(xapi_settings)) as client:
        yield client


@pytest.fixture
async def dispatcher(xapi_settings: Settings) -> AsyncIterator[Dispatcher]:
    async with open_runtime(xapi_settings, load_plugins(["xapi"])) as runtime:
        yield Dispatcher(runtime.context(), runtime.plugins, lease=timedelta(minutes=10))


async def drain(dispatcher: Dispatcher, sessions: Sessions) -> None:
    for _ in range(4):
        await dispatcher.run_once()


async def configure(client: Client, tenant: Tenant, lrs: Lrs, version: str) -> None:
    config = {"endpoint": lrs.endpoint, "key": lrs.key, "secret": lrs.secret, "version": version}
    response = await client.put("/api/v1/plugins/xapi", json={"config": config}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json()["config"]["secret"] == "********"


async def complete_module(client: Client, tenant: Tenant, external_id: str) -> None:
    headers = await learner_headers(client, tenant, external_id)
    forms = await facilitator_forms(client, tenant)
    for form_id in ("customer-worksheet", "knowledge-check", "reflection"):
        await submit_form(client, headers, forms[form_id])


async def test_statements_reach_the_lrs_once(
    xapi_client: Client,
    sessions: Sessions,
    district_a: Tenant,
    district_b: Tenant,
    dispatcher: Dispatcher,
    lrs: Lrs,
) -> None:
    await configure(xapi_client, district_a, lrs, "1.0.3")
    await configure(xapi_client, district_b, lrs, "2.0.0")
    await complete_module(xapi_client, district_a, "emp-a")
    await complete_module(xapi_client, district_b, "emp-b")
    await drain(dispatcher, sessions)

    async with sessions() as session:
        deliveries = (
            (await session.execute(select(Delivery).where(Delivery.plugin == "xapi"))).scalars().all()
        )
        events = {e.id: e for e in (await session.execute(select(OutboxEvent))).scalars()}
        attempts = {
            a.district_id: a
            for a in (
                await session.execute(select(Attempt).where(Attempt.form_id == "knowledge-check"))
            ).scalars()
        }
    # attempt.submitted (the knowledge check) and completion.recorded, for each district.
    assert sorted(d.event_type for d in deliveries) == sorted(
        ["attempt.submitted", "completion.recorded"] * 2
    )
    assert {d.status for d in deliveries} == {"succeeded"}, [(d.status, d.last_error) for d in deliveries]

    submitted = next(
        e for e in events.values() if e.type == "attempt.submitted" and e.district_id == district_a.id
    )
    attempt = attempts[district_a.id]
    forms = await facilitator_forms(xapi_client, district_a)
    items = forms["knowledge-check"]["items"]

    # By id: the first statement of the attempt's event is `launched`, when the attempt began.
    (launched,) = lrs.statements(statementId=str(statement_id(submitted.id, 0)))
    assert launched["verb"]["id"] == "http://adlnet.gov/expapi/verbs/launched"  # type: ignore[index]
    actor = launched["actor"]
    assert actor == {
        "objectType": "Agent",
        "account": {"homePage": f"{dispatcher.context.settings.base_url}/districts/{district_a.id}",
                    "name": str(attempt.learner_id)},
    }  # fmt: skip
    assert "mbox" not in json.dumps(actor)

    # By registration: the whole attempt, one `answered` per question, then `passed`.
    by_registration = lrs.statements(registration=str(registration("attempt", attempt.id)))
    verbs = sorted(s["verb"]["id"].rsplit("/", 1)[1] for s in by_registration)  # type: ignore[index]
    assert verbs == sorted(["launched", "passed", *["answered"] * len(items)])
    answered = [s for s in by_registration if s["verb"]["id"].endswith("answered")]  # type: ignore[index]
    kinds = {s["object"]["definition"]["interactionType"] for s in answered}  # type: ignore[index]
    assert {"choice"} <= kinds
    for s in answered:
        result: dict[str, Any] = s["result"]  # type: ignore[assignment]
        definition: dict[str, Any] = s["object"]["definition"]  # type: ignore[index]
        assert result["success"] is True and "response" in result
        assert result["response"] in definition["correctResponsesPattern"] or definition[
            "interactionType"
        ] in (
            "fill-in",
            "matching",
        )
    passed = next(s for s in by_registration if s["verb"]["id"].endswith("passed"))  # type: ignore[index]
    assert passed["result"]["score"]["scaled"] == pytest.approx(attempt.score)  # type: ignore[index]
    assert passed["result"]["duration"].startswith("PT")  # type: ignore[index]

    # By agent: the attempt's statements and `completed`, and none of the other district's.
    agent = json.dumps({"account": actor["account"]})  # type: ignore[index]
    mine = lrs.statements(agent=agent)
    assert lrs.strict_errors(mine) == ""
    assert len(mine) == len(by_registration) + 1
    completed = next(s for s in mine if s["verb"]["id"].endswith("completed"))  # type: ignore[index]
    assert completed["object"]["id"] == f"{dispatcher.context.settings.base_url}/xapi/modules/{MODULE}"  # type: ignore[index]
    assert completed["result"]["completion"] is True  # type: ignore[index]
    assert all(str(district_b.id) not in json.dumps(s["actor"]) for s in mine)
    theirs = attempts[district_b.id]
    assert len(lrs.statements(registration=str(registration("attempt", theirs.id)))) == len(by_registration)

    # Delivered again (a retry after a lost answer, a redelivery): the LRS keeps one of each.
    async with sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.plugin == "xapi")
            .values(status="pending", next_attempt_at=utcnow(), attempts=0)
        )
    await drain(dispatcher, sessions)
    async with sessions() as session:
        statuses = (await session.execute(select(Delivery.status).where(Delivery.plugin == "xapi"))).scalars()
        assert set(statuses) == {"succeeded"}
    assert len(lrs.statements(agent=agent)) == len(mine)


async def test_bad_settings_are_refused_and_failures_retried_until_the_lrs_takes_them(
    xapi_client: Client,
    sessions: Sessions,
    district_a: Tenant,
    district_b: Tenant,
    dispatcher: Dispatcher,
    lrs: Lrs,
) -> None:
    async def attempt_once(config: dict[str, str]) -> Delivery:
        response = await xapi_client.put(
            "/api/v1/plugins/xapi", json={"config": config}, headers=district_a.headers
        )
        assert response.status_code == 200, response.text
        async with sessions.begin() as session:  # time passes: the retry is due
            await session.execute(update(Delivery).values(next_attempt_at=utcnow()))
        await dispatcher.run_once()
        async with sessions() as session:
            return (await session.execute(select(Delivery).where(Delivery.plugin == "xapi"))).scalar_one()

    right = {"endpoint": lrs.endpoint, "key": lrs.key, "secret": lrs.secret}
    # A configuration that cannot work is refused, naming the field, and nothing is stored.
    for bad, field in (
        ({**right, "version": "3.0"}, "version"),
        ({**right, "endpoint": "ftp://lrs.example.org/"}, "endpoint"),
        ({k: v for k, v in right.items() if k != "secret"}, "secret"),
    ):
        response = await xapi_client.put(
            "/api/v1/plugins/xapi", json={"config": bad}, headers=district_a.headers
        )
        assert response.status_code == 422 and field in response.json()["detail"], response.text
    async with sessions() as session:
        assert (await session.execute(select(PluginSetting))).first() is None

    await configure(xapi_client, district_a, lrs, "1.0.3")
    headers = await learner_headers(xapi_client, district_a, "emp-retry")
    await submit_form(
        xapi_client, headers, (await facilitator_forms(xapi_client, district_a))["knowledge-check"]
    )

    # An internal address is never sent to (the guarded client), whatever the district says.
    inside = await attempt_once({**right, "endpoint": "http://10.0.0.1/xAPI/"})
    assert inside.status == "pending" and "cannot be used" in (inside.last_error or "")
    refused = await attempt_once({**right, "secret": "not-the-secret"})
    assert refused.status == "pending" and refused.last_status_code == 401
    # The administrator sees it (and another district sees nothing of it).
    listed = await xapi_client.get("/api/v1/xapi/deliveries?status=pending", headers=district_a.headers)
    assert [(d["id"], d["last_status_code"]) for d in listed.json()] == [(str(refused.id), 401)]
    assert (await xapi_client.get("/api/v1/xapi/deliveries", headers=district_b.headers)).json() == []
    delivered = await attempt_once(right)
    assert delivered.status == "succeeded" and delivered.attempts == 3
    async with sessions() as session:
        attempt = (
            await session.execute(select(Attempt).where(Attempt.district_id == district_a.id))
        ).scalar_one()
    assert lrs.statements(registration=str(registration("attempt", attempt.id)))
