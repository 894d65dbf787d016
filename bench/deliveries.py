"""Webhook delivery on PostgreSQL: 10,000 `completion.recorded` events in the outbox, delivered by the
real path (Dispatcher, webhooks plugin, GuardedTransport) to a local receiver that answers 204, against
a floor of the same number of signed POSTs of the same payload by a bare aiohttp sender at
concurrency 32 to the same receiver, in alternating rounds (best of each). Nothing may be lost:
every delivery must end `succeeded`, and the receiver must have seen every event id."""

import asyncio
import contextlib
import os
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

import aiohttp
import asyncpg
import httpx
import msgspec
from sqlalchemy import func, select

from api.admin.services import DistrictService
from api.db import Sessions
from api.models import Delivery, DeliveryAttempt, OutboxEvent, utcnow
from api.outbox.dispatcher import Dispatcher, Result
from api.outbox.emit import emit
from api.plugin import load_plugins
from api.runtime import open_runtime
from api.settings import Settings
from bench.harness import rates, server
from plugins.contract import Context
from plugins.webhooks import signing
from plugins.webhooks.service import EndpointService
from schemas.events import CompletionRecorded, Envelope, LearnerRef
from schemas.webhooks import EndpointCreate

ADMIN_URL = os.environ.get("FRONTOFFICE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
COUNT = 10_000
CONCURRENCY = 32
INSERT_BATCH = 1_000
SECRET_KEY = "bench-deliveries-secret-key-of-32-bytes-or-more"
ALLOWLIST = ["127.0.0.1"]
DEADLINE_SECONDS = 600
ROUNDS = 2

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def receiver() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The receiver (a uvicorn factory): a raw ASGI app that answers every POST 204 and counts the
    requests and the distinct `webhook-id`s it was sent; GET /count tells, POST /reset forgets."""
    ids: set[bytes] = set()
    requests = 0

    async def respond(send: Send, status: int, body: bytes = b"") -> None:
        headers = [(b"content-type", b"application/json")] if body else []
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal requests
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["method"] == "GET" and scope["path"] == "/healthz":
            await respond(send, 200, b"{}")
        elif scope["method"] == "GET" and scope["path"] == "/count":
            await respond(send, 200, msgspec.json.encode({"requests": requests, "distinct": len(ids)}))
        elif scope["method"] == "POST" and scope["path"] == "/reset":
            ids.clear()
            requests = 0
            await respond(send, 204)
        elif scope["method"] == "POST":
            more = True
            while more:  # read the body, as a receiver verifying the signature would
                message = await receive()
                more = message.get("more_body", False)
            requests += 1
            ids.update(value for name, value in scope["headers"] if name == b"webhook-id")
            await respond(send, 204)
        else:
            await respond(send, 404)

    return app


def completion(n: int) -> CompletionRecorded:
    now = utcnow()
    learner = LearnerRef(
        id=uuid.uuid4(),
        external_id=f"learner-{n}",
        employee_id=f"E{n:05d}",
        email=f"learner{n}@district.example",
        name=f"Learner {n}",
        school="Central High",
        role="staff",
    )
    return CompletionRecorded(
        completion_id=uuid.uuid4(),
        learner=learner,
        module_id="who-are-our-customers",
        module_version="1.0.0",
        module_title="Who are our customers?",
        score=0.9,
        passed=True,
        started_at=now,
        completed_at=now,
        credit_minutes=30.0,
        certificate_code=secrets.token_hex(6),
    )


async def fill_outbox(sessions: Sessions, district_id: uuid.UUID) -> None:
    for start in range(0, COUNT, INSERT_BATCH):
        async with sessions.begin() as session:
            for n in range(start, min(start + INSERT_BATCH, COUNT)):
                await emit(session, district_id, completion(n), utcnow())


async def counts(sessions: Sessions) -> dict[str, int]:
    async with sessions() as session:
        rows = (await session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))).all()
    return {status: count for status, count in rows}


async def succeeded(sessions: Sessions) -> int:
    async with sessions() as session:
        query = select(func.count()).where(Delivery.status == "succeeded")
        return int((await session.execute(query)).scalar_one())


class Watched(Dispatcher):
    """The real dispatcher, telling the bench when it has recorded the successes it expects, so
    the clock stops then rather than at the bench's next look at the database."""

    def expect(self, successes: int) -> None:
        self.wanted = successes
        self.recorded = asyncio.Event()

    async def record(self, results: Sequence[Result]) -> None:
        await super().record(results)
        self.wanted -= sum(1 for _, outcome, _ in results if outcome.result == "success")
        if self.wanted <= 0:
            self.recorded.set()


async def deliver_all(context: Context, sessions: Sessions, total: int) -> tuple[float, dict[str, int]]:
    """Run a dispatcher as a worker does until `total` deliveries succeeded; (seconds, status counts)."""
    dispatcher = Watched.configured(context, load_plugins(["webhooks"]))
    dispatcher.expect(total - await succeeded(sessions))
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(dispatcher.run(stop))
    try:
        # The dispatcher's own count stops the clock; the database's confirms it (a result whose
        # lease ran out is not recorded by this worker, so the two could differ: then wait on).
        while not (dispatcher.recorded.is_set() and await succeeded(sessions) >= total):
            if time.perf_counter() - started > DEADLINE_SECONDS or task.done():
                raise RuntimeError(f"deliveries did not all succeed: {await counts(sessions)}")
            if dispatcher.recorded.is_set():
                await asyncio.sleep(0.1)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(dispatcher.recorded.wait(), 0.5)
        seconds = time.perf_counter() - started
    finally:
        stop.set()
        await task
    return seconds, await counts(sessions)


async def failed_attempts(sessions: Sessions) -> int:
    async with sessions() as session:
        query = select(func.count()).where(
            (DeliveryAttempt.error.is_not(None))
            | (DeliveryAttempt.status_code.is_(None))
            | (DeliveryAttempt.status_code >= 300)
        )
        return int((await session.execute(query)).scalar_one())


async def sample_body(sessions: Sessions) -> tuple[str, bytes]:
    """One event's id and its envelope as delivered, for the floor to send."""
    async with sessions() as session:
        event = (await session.execute(select(OutboxEvent).limit(1))).scalar_one()
    envelope = Envelope(type=event.type, id=event.id, timestamp=event.created_at, data=event.payload)
    return str(event.id), msgspec.json.encode(envelope)


async def floor(url: str, secret: str, event_id: str, body: bytes, count: int) -> tuple[float, int]:
    """`count` signed POSTs of `body` by bare aiohttp at CONCURRENCY; (seconds, errors)."""
    errors = 0
    remaining = count
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    signer = signing.Signer([secret])  # keys decoded once, as the subject's sender does
    async with aiohttp.ClientSession(connector=connector) as client:

        async def worker() -> None:
            nonlocal errors, remaining
            while remaining > 0:
                remaining -= 1
                headers = signer.headers(event_id, int(time.time()), body)
                try:
                    async with client.post(url, data=body, headers=headers) as response:
                        await response.read()
                        if response.status >= 300:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - started, errors


async def received(base: str) -> dict[str, int]:
    async with httpx.AsyncClient(trust_env=False) as client:
        response = (await client.get(f"{base}/count")).json()
        await client.post(f"{base}/reset")
    return {"requests": int(response["requests"]), "distinct": int(response["distinct"])}


async def main(base: str) -> None:
    name = f"frontoffice_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    pg = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        url = f"{pg}/{name}"
        settings = Settings(
            database_url=url,
            secret_key=SECRET_KEY,
            webhook_allow_http=True,
            outbound_allowlist=ALLOWLIST,
            log_level="WARNING",
            # The floor keeps 32 requests in flight to its one receiver; so does the subject.
            delivery_concurrency=CONCURRENCY,
            delivery_concurrency_per_subscriber=CONCURRENCY,
        )
        # The pool is sized like bench/submit.py's: each delivery in flight holds a connection
        # for a moment.
        async with open_runtime(settings, migrate=True, publish=False, pool_size=CONCURRENCY) as runtime:
            sessions, context = runtime.sessions, runtime.context()
            district = await DistrictService(sessions).create("bench", "Bench")
            endpoints = EndpointService(
                sessions, runtime.box(), district.id, allow_http=True, allowlist=ALLOWLIST
            )
            hook = f"{base}/hook"
            created = await endpoints.create(EndpointCreate(url=hook, event_types=["completion.*"]))
            subject: list[float] = []
            floors: list[float] = []
            lost = subject_errors = floor_errors = 0
            for n in range(1, ROUNDS + 1):
                print(
                    f"round {n}: putting {COUNT:,} completion.recorded events in the outbox ...", flush=True
                )
                await fill_outbox(sessions, district.id)
                if n == 1:
                    event_id, body = await sample_body(sessions)
                    await floor(hook, created.secret, event_id, body, 1_000)  # warm-up of the receiver
                    await received(base)
                seconds, status = await deliver_all(context, sessions, COUNT * n)
                subject.append(seconds)
                subject_errors = await failed_attempts(sessions)
                seen = await received(base)
                lost += COUNT - min(status.get("succeeded", 0) - COUNT * (n - 1), seen["distinct"])
                seconds, errors = await floor(hook, created.secret, event_id, body, COUNT)
                floors.append(seconds)
                floor_errors += errors
                floor_seen = await received(base)
                if floor_seen["requests"] != COUNT:
                    floor_errors += abs(COUNT - floor_seen["requests"])
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    subject_rate, floor_rate = COUNT / min(subject), COUNT / min(floors)
    ratio = subject_rate / floor_rate
    met = ratio >= 0.3 and subject_errors == 0 and lost == 0
    print(
        f"deliver {COUNT:,} events (PostgreSQL): ratio {ratio:.2f} "
        f"(target >= 0.30: {'met' if met else 'MISSED'})\n"
        f"  subject {subject_rate:,.0f} deliveries/s (Dispatcher: fan-out, claim, signed POST through "
        f"GuardedTransport, record), failed attempts {subject_errors}; lost {lost} "
        f"(every delivery succeeded and its event id reached the receiver)\n"
        f"  floor   {floor_rate:,.0f} POSTs/s (bare aiohttp, concurrency {CONCURRENCY}, signed), "
        f"errors {floor_errors}\n"
        f"  ({ROUNDS} alternating rounds of {COUNT:,}; best of each; every round: subject "
        f"{rates(COUNT, subject)}/s, floor {rates(COUNT, floors)}/s)",
        flush=True,
    )


def run() -> None:
    with server("bench.deliveries:receiver") as base:
        asyncio.run(main(base))
