"""Fixtures of the webhook tests: an app that may deliver to loopback, a real receiver, and a
dispatcher on the test's own event loop."""

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.outbox.dispatcher import Dispatcher
from api.plugin import load_plugins
from api.runtime import open_runtime
from api.settings import Settings
from tests.conftest import AppFor
from tests.webhooks.receiver import Receiver

SECRET_KEY = "webhook-tests-secret-key-of-32-bytes-or-more"
# The bound on every wait the dispatcher makes in these tests (an answer, a lease): long enough
# that only something really wrong reaches it, however loaded the machine.
PATIENT_SECONDS = 30.0
Client = AsyncTestClient[Litestar]


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(
        settings,
        secret_key=SECRET_KEY,
        webhook_allow_http=True,  # the test receiver speaks plain http on loopback
        outbound_allowlist=["127.0.0.1"],
        # Generous, as the lease below: a loaded machine can take seconds to answer a request.
        # A test that wants a timeout holds the receiver's answer instead (`Receiver.holding`).
        webhook_timeout_seconds=PATIENT_SECONDS,
    )


@pytest.fixture
async def hook_client(hook_settings: Settings, app_for: AppFor) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=app_for(hook_settings)) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver().running() as running:
        yield running


@pytest.fixture
async def dispatcher(hook_settings: Settings) -> AsyncIterator[Dispatcher]:
    async with open_runtime(hook_settings, load_plugins(["webhooks"])) as runtime:
        # A lease that runs out between the claim and the send makes the dispatcher skip the
        # delivery (another worker may have it), so a short one fails tests on a loaded machine.
        yield Dispatcher(runtime.context(), runtime.plugins, lease=timedelta(minutes=10))
