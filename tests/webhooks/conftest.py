"""Fixtures of the webhook tests: an app that may deliver to loopback, a real receiver, and a
dispatcher on the test's own event loop."""

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.crypto import SecretBox
from api.db import Sessions
from api.outbox.dispatcher import Dispatcher
from api.settings import Settings
from api.ssrf import GuardedTransport
from plugins.contract import Context
from plugins.registry import load_plugins
from tests.webhooks.receiver import Receiver

SECRET_KEY = "webhook-tests-secret-key-of-32-bytes-or-more"
Client = AsyncTestClient[Litestar]


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(
        settings,
        secret_key=SECRET_KEY,
        webhook_allow_http=True,  # the test receiver speaks plain http on loopback
        outbound_allowlist=["127.0.0.1"],
        webhook_timeout_seconds=1.0,
    )


@pytest.fixture
async def hook_client(hook_settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(hook_settings)) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver().running() as running:
        yield running


@pytest.fixture
async def dispatcher(sessions: Sessions, hook_settings: Settings) -> AsyncIterator[Dispatcher]:
    transport = GuardedTransport(allowlist=["127.0.0.1"])
    async with httpx.AsyncClient(transport=transport) as http:
        box = SecretBox(SECRET_KEY, "plugin-secrets")
        context = Context(
            sessions=sessions, http=http, transport=transport, settings=hook_settings, secret_box=box
        )
        yield Dispatcher(context, load_plugins(["webhooks"]), lease=timedelta(seconds=2))
