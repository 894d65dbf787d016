"""Signed login states and nonces: forged, altered, expired, another registration's, another
key's, replayed at once; a used nonce is pruned once its state has expired."""

import asyncio
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.db import Sessions
from api.models import utcnow
from api.retention import prune
from plugins.lti.models import LtiUsedNonce
from plugins.lti.plugin import LtiPlugin
from plugins.lti.states import KEEP, TTL, Signer
from tests.conftest import Tenant
from tests.lti.conftest import BASE, LEARNER, MODULE, SECRET_KEY, Client, fragment, learners, login, register
from tests.lti.platform import Platform
from tests.lti.test_refused import refused

pytestmark = pytest.mark.anyio


def signed_form(
    client: Client, platform: Platform, auth: dict[str, str], state: str, nonce: str, sub: str = "u1"
) -> dict[str, str]:
    """The platform's launch for a state and nonce of our choosing, the browser holding its cookie."""
    if state.isascii():  # a cookie cannot hold anything else
        client.cookies.set("lti1p3-" + state, state, domain="testserver.local", path="/lti")
    form = platform.launch(
        {**auth, "state": state, "nonce": nonce}, sub=sub, roles=LEARNER, custom={"module": MODULE}
    )
    return {"id_token": form["id_token"], "state": form["state"]}


async def test_forged_and_altered_states_are_refused(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    registration = uuid.UUID((await register(lti_client, district_a, canvas))["id"])
    auth = await login(lti_client, canvas, "u1")
    state = auth["state"]
    assert state.startswith("state-") and registration.hex in state
    body, _, mac = state.rpartition(".")
    issued = int(body.split(".")[1])
    forgeries = {
        "unsigned": body,
        "made-up mac": f"{body}.{'A' * len(mac)}",
        "older issue time": state.replace(f".{issued}.", f".{issued - 1}.", 1),
        "storage flag added": f"{body[:-1]}s.{mac}",
        "not ascii": f"{body}.{mac[:-1]}é",
        "not ours at all": "state-" + str(uuid.uuid4()),
        # Right shape, right registration, signed with another service's key.
        "another key": Signer("another-service-key-of-32-bytes-or-more")
        .issue(registration, False, time.time())
        .state,
    }
    for case, forged in forgeries.items():
        form = signed_form(lti_client, canvas, auth, forged, auth["nonce"])
        body_json = await refused(lti_client, sessions, form, 401)
        assert "not one this service issued" in body_json["detail"], case


async def test_expired_state_is_refused(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    registration = uuid.UUID((await register(lti_client, district_a, canvas))["id"])
    auth = await login(lti_client, canvas, "u1")
    signer = Signer(SECRET_KEY)  # the tests' service key (the learner-token key)
    old = signer.issue(registration, False, time.time() - TTL - 5)
    form = signed_form(lti_client, canvas, auth, old.state, old.nonce)
    assert "expired" in (await refused(lti_client, sessions, form, 401))["detail"]
    # Issued "in the future" beyond the clock skew: refused too.
    ahead = signer.issue(registration, False, time.time() + 600)
    form = signed_form(lti_client, canvas, auth, ahead.state, ahead.nonce)
    assert "expired" in (await refused(lti_client, sessions, form, 401))["detail"]
    # Just issued, with the same signer: accepted (the test's key is the service's).
    fresh = signer.issue(registration, False, time.time())
    fragment(
        await lti_client.post(
            "/lti/launch",
            data=signed_form(lti_client, canvas, auth, fresh.state, fresh.nonce),
            follow_redirects=False,
        )
    )


async def test_a_state_of_another_registration_is_refused(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform, moodle: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    await register(lti_client, district_a, moodle)
    canvas_auth = await login(lti_client, canvas, "u1")
    moodle_auth = await login(lti_client, moodle, "u1")
    # Canvas's id_token carries the state and nonce Moodle's login was given.
    form = signed_form(lti_client, canvas, canvas_auth, moodle_auth["state"], moodle_auth["nonce"])
    assert "another platform registration" in (await refused(lti_client, sessions, form, 401))["detail"]


async def test_a_nonce_of_another_login_is_refused(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    first = await login(lti_client, canvas, "u1")
    second = await login(lti_client, canvas, "u1")
    # Both were issued here, but the nonce belongs to the other state.
    form = signed_form(lti_client, canvas, first, first["state"], second["nonce"])
    assert "nonce" in (await refused(lti_client, sessions, form, 401))["detail"].lower()


async def test_a_launch_posted_twice_at_once_is_taken_once(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    auth = await login(lti_client, canvas, "u1")
    form = signed_form(lti_client, canvas, auth, auth["state"], auth["nonce"])
    answers = await asyncio.gather(
        *(lti_client.post("/lti/launch", data=form, follow_redirects=False) for _ in range(2))
    )
    assert sorted(a.status_code for a in answers) == [303, 401]
    assert await learners(sessions) == 1


async def test_the_storage_secret_of_a_state_issued_without_storage_is_refused(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    registration = uuid.UUID((await register(lti_client, district_a, canvas))["id"])
    auth = await login(lti_client, canvas, "u1")
    signer = Signer(SECRET_KEY)
    plain = signer.issue(registration, False, time.time())
    form = signed_form(lti_client, canvas, auth, plain.state, plain.nonce)
    lti_client.cookies.clear()
    data = {**form, "lti_storage_target": "_parent", "lti_storage_secret": signer.storage_secret(plain)}
    response = await lti_client.post("/lti/launch", data=data, headers={"Origin": BASE})
    assert response.status_code == 401 and "secret" in response.json()["detail"]
    assert await learners(sessions) == 0


async def test_used_nonces_are_pruned_once_their_state_has_expired(
    lti_client: Client, sessions: Sessions, district_a: Tenant, canvas: Platform
) -> None:
    await register(lti_client, district_a, canvas)
    auth = await login(lti_client, canvas, "u1")
    form = signed_form(lti_client, canvas, auth, auth["state"], auth["nonce"])
    fragment(await lti_client.post("/lti/launch", data=form, follow_redirects=False))

    async def used() -> int:
        async with sessions() as session:
            return int((await session.execute(select(func.count()).select_from(LtiUsedNonce))).scalar_one())

    assert await used() == 1
    plugins = [LtiPlugin()]
    assert (await prune(sessions, plugins, utcnow(), 24, 30)).plugins == {}  # its state is still good
    later = utcnow() + timedelta(seconds=KEEP + 1)
    assert (await prune(sessions, plugins, later, 24, 30)).plugins == {"lti": 1}
    assert await used() == 0
