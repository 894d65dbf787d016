"""The webhook plugin: every event a district's endpoints ask for, signed (Standard Webhooks),
sent over the guarded HTTP client, retried on the dispatcher's schedule; an endpoint failing
for 5 days is disabled, and the district is told when failing starts, a day before, and then."""

import fnmatch
import functools
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar, Protocol

import httpx
import msgspec
from litestar.types import ControllerRouterHandler
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy import Select, Update, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.contract import (
    Attempted,
    Context,
    Delivery,
    Outcome,
    Plugin,
    Subscription,
    UnsafeDestination,
    classify,
    emit,
    utcnow,
)
from plugins.webhooks import signing
from plugins.webhooks.controllers import EndpointController, EventTypeController
from plugins.webhooks.models import WebhookEndpoint
from schemas.events import (
    EVENT_TYPES,
    EndpointDisabled,
    EndpointDisabledEvent,
    EndpointFailing,
    EndpointFailingEvent,
    Event,
    PingEvent,
)

DISABLE_AFTER = timedelta(days=5)
WARN_BEFORE = timedelta(days=1)
NOTICE_EVERY = timedelta(days=1)
"""At most one `endpoint.failing` notice per endpoint in this time, however often it flaps."""
EXCERPT = 1024
ENDPOINT_STATES = ("active", "failing", "disabled", "paused")


class WebhooksConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """District settings of the webhook plugin (endpoints themselves have their own API)."""


def matches(patterns: Sequence[str], event_type: str) -> bool:
    """Whether an endpoint's event filter takes this event type (empty: everything)."""
    return not patterns or _matches(tuple(patterns), event_type)


@functools.lru_cache(maxsize=4096)
def _matches(patterns: tuple[str, ...], event_type: str) -> bool:
    # Remembered: a fan-out asks the same few filters about the same few event types many times.
    return any(fnmatch.fnmatchcase(event_type, p) for p in patterns)


def _subscribers(endpoints: Sequence[WebhookEndpoint], event: Event) -> list[Subscription]:
    """Which of a district's endpoints receive this event."""
    if event.type not in EVENT_TYPES:
        return []  # another plugin's own event (`lti.started`): never published
    # Notices about an endpoint go to the district's other endpoints; a ping to the one named.
    about = (
        event.data.endpoint_id
        if isinstance(event, EndpointFailingEvent | EndpointDisabledEvent | PingEvent)
        else None
    )
    subs: list[Subscription] = []
    for endpoint in endpoints:
        if isinstance(event, PingEvent):
            if endpoint.id == about:
                subs.append(Subscription(key=str(endpoint.id)))
            continue
        if endpoint.id == about or not matches(endpoint.event_types, event.type):
            continue
        # A disabled endpoint's deliveries are recorded as skipped, for recovery later.
        skip = not endpoint.enabled or endpoint.state == "disabled"
        subs.append(Subscription(key=str(endpoint.id), skip=skip))
    return subs


def _endpoints_of(subscribers: Iterable[str]) -> Select[WebhookEndpoint]:
    """The endpoints a batch's deliveries go to (each id parsed once, not once per delivery)."""
    return select(WebhookEndpoint).where(WebhookEndpoint.id.in_({uuid.UUID(s) for s in set(subscribers)}))


class Target(msgspec.Struct, frozen=True):
    """What sending to an endpoint needs, made once per batch: its URL, parsed; a signer with its
    secrets (opened); the request timeouts."""

    url: httpx.URL
    host: str
    """The `Host` header: the URL's host, and its port if one is written."""
    signer: signing.Signer
    timeout: dict[str, float | None]


def _target(context: Context, endpoint: WebhookEndpoint) -> Target:
    box = context.secret_box
    secrets = [box.open(endpoint.secret)]
    if endpoint.previous_secret and (endpoint.previous_secret_expires_at or utcnow()) > utcnow():
        secrets.append(box.open(endpoint.previous_secret))
    timeout = httpx.Timeout(context.settings.webhook_timeout_seconds).as_dict()
    url = httpx.URL(endpoint.url)
    return Target(url=url, host=url.netloc.decode("ascii"), signer=signing.Signer(secrets), timeout=timeout)


class WebhooksPlugin(Plugin):
    name: ClassVar[str] = "webhooks"
    config_type: ClassVar[type[msgspec.Struct]] = WebhooksConfig
    events: ClassVar[frozenset[str]] = frozenset({"*"})
    migrations: ClassVar[Path | None] = Path(__file__).parent / "migrations"

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [EndpointController, EventTypeController]

    def __init__(self) -> None:
        # Each claimed delivery's endpoint, read with the claim (one query per batch), so a
        # delivery sends with the endpoint as it was when the batch was claimed.
        self._targets: dict[uuid.UUID, Target | None] = {}

    async def gauges(self, session: AsyncSession) -> Sequence[Metric]:
        """Endpoints by state, across districts: `disabled` ones (gone, or failing for days)
        are what an on-call person alerts on; `paused` ones an administrator switched off."""
        family = GaugeMetricFamily(
            "frontoffice_webhook_endpoints",
            "Webhook endpoints by state (active, failing, disabled; paused: switched off by an admin)",
            labels=["state"],
        )
        counts = dict.fromkeys(ENDPOINT_STATES, 0)
        # A small table (a few endpoints per district): a scan, grouped, costs nothing.
        query = select(WebhookEndpoint.state, WebhookEndpoint.enabled, func.count()).group_by(
            WebhookEndpoint.state, WebhookEndpoint.enabled
        )
        for state, enabled, count in await session.execute(query):
            key = state if enabled or state == "disabled" else "paused"
            counts[key] = counts.get(key, 0) + count
        for state, count in counts.items():
            family.add_metric([state], count)
        return [family]

    async def subscriptions(
        self, session: AsyncSession, district_id: uuid.UUID, event: Event
    ) -> list[Subscription]:
        return (await self.subscriptions_batch(session, [(district_id, event)]))[0]

    async def subscriptions_batch(
        self, session: AsyncSession, events: Sequence[tuple[uuid.UUID, Event]]
    ) -> list[list[Subscription]]:
        """One query for the endpoints of every district in the batch."""
        districts = {district_id for district_id, _ in events}
        by_district: dict[uuid.UUID, list[WebhookEndpoint]] = {d: [] for d in districts}
        for endpoint in (
            await session.execute(select(WebhookEndpoint).where(WebhookEndpoint.district_id.in_(districts)))
        ).scalars():
            by_district[endpoint.district_id].append(endpoint)
        return [_subscribers(by_district[district_id], event) for district_id, event in events]

    async def prepare(self, context: Context, session: AsyncSession, deliveries: Sequence[Delivery]) -> None:
        found = {
            str(e.id): _target(context, e)
            for e in (await session.execute(_endpoints_of(d.subscriber for d in deliveries))).scalars()
        }
        if len(self._targets) > 100_000:
            self._targets.clear()  # deliveries whose lease ran out before their turn; they reread
        for d in deliveries:
            self._targets[d.id] = found.get(d.subscriber)

    async def deliver(self, context: Context, delivery: Delivery) -> Outcome:
        if delivery.id in self._targets:
            target = self._targets.pop(delivery.id)
        else:  # not claimed through the dispatcher's batch
            async with context.sessions() as session:
                endpoint = await session.get(WebhookEndpoint, uuid.UUID(delivery.subscriber))
            target = None if endpoint is None else _target(context, endpoint)
        if target is None:
            return Outcome(result="gone", error="the endpoint was deleted")
        body = msgspec.json.encode(delivery.event)
        headers = target.signer.headers(str(delivery.event.id), int(time.time()), body)
        headers["host"], headers["content-length"] = target.host, str(len(body))
        # Straight to the guarded transport: a delivery needs none of the client's cookies, auth,
        # redirects (never followed) or base URL, and skipping them halves the cost per request.
        # The body as a stream, with the two headers httpx would have added: a fifth of the cost.
        request = httpx.Request("POST", target.url, headers=headers, stream=httpx.ByteStream(body))
        request.extensions["timeout"] = target.timeout
        started = time.perf_counter()
        try:
            response = await context.transport.handle_async_request(request)
            try:
                excerpt = bytearray()
                stream = response.stream
                assert isinstance(stream, httpx.AsyncByteStream)  # an async transport's response
                async for chunk in stream:  # raw, as the transport reads it
                    excerpt += chunk
                    if len(excerpt) >= EXCERPT:
                        break  # read no more than the log keeps
            finally:
                await response.aclose()
            elapsed = (time.perf_counter() - started) * 1000
            result = classify(response.status_code)
            failed = result != "success"
            return Outcome(
                result=result,
                status_code=response.status_code,
                response_excerpt=bytes(excerpt[:EXCERPT]).decode("utf-8", "replace"),
                duration_ms=elapsed,
                # Read only when it matters: a header lookup decodes every header.
                retry_after=response.headers.get("retry-after") if failed else None,
                error=f"the endpoint answered {response.status_code}" if failed else None,
            )
        except UnsafeDestination as exc:
            return Outcome(result="retry", error=str(exc))
        except httpx.TimeoutException:
            return Outcome(
                result="retry", error="timed out", duration_ms=(time.perf_counter() - started) * 1000
            )
        except httpx.HTTPError as exc:
            return Outcome(result="retry", error=f"{type(exc).__name__}: {exc}"[:1000])

    async def after_attempts(self, session: AsyncSession, attempts: Sequence[Attempted]) -> None:
        """Each endpoint's health, judged once per batch (the batch's attempts to it run at once,
        so their order says nothing): a 410 disables it, any success makes it active again, and
        failures alone make it failing, then disabled after 5 days. The batch's endpoints are
        read in one query."""
        verdicts: dict[str, str] = {}
        for attempt in attempts:
            if attempt.delivery.event.type == "ping":
                continue  # a test event says nothing about the endpoint's health
            result = attempt.outcome.result
            verdict = "gone" if result == "gone" else "success" if result == "success" else "failure"
            known = verdicts.get(attempt.delivery.subscriber)
            if known is None or _RANK[verdict] > _RANK[known]:
                verdicts[attempt.delivery.subscriber] = verdict
        if not verdicts:
            return
        query = select(*_HEALTH).where(WebhookEndpoint.id.in_({uuid.UUID(s) for s in verdicts}))
        now = utcnow()
        for endpoint in (await session.execute(query)).all():
            verdict = verdicts[str(endpoint.id)]
            if verdict == "gone":
                await _disable(session, endpoint, "the endpoint answered 410 Gone", now)
            elif verdict == "success":
                await session.execute(
                    _endpoint(endpoint.id)
                    .where(WebhookEndpoint.state == "failing")
                    .values(state="active", failing_since=None, updated_at=now)
                )
            elif endpoint.state != "disabled":
                await _failed(session, endpoint, now)


_RANK = {"failure": 0, "success": 1, "gone": 2}
_HEALTH = (
    WebhookEndpoint.id,
    WebhookEndpoint.district_id,
    WebhookEndpoint.url,
    WebhookEndpoint.state,
    WebhookEndpoint.failing_since,
)


class _Health(Protocol):
    id: uuid.UUID
    district_id: uuid.UUID
    url: str
    state: str
    failing_since: datetime | None


def _endpoint(endpoint_id: uuid.UUID) -> Update:
    """An UPDATE of one endpoint, for conditions to be added: every change of an endpoint's health
    is conditional on the state it changes from, so that of several workers recording attempts to
    it at once (each with a batch of its own), exactly one makes each change, and tells of it."""
    return (
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .execution_options(synchronize_session=False)
    )


async def _changed(session: AsyncSession, statement: Update) -> bool:
    """Run a conditional UPDATE of one endpoint; whether it matched (this worker made the change)."""
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def _failed(session: AsyncSession, endpoint: _Health, now: datetime) -> None:
    """A batch of failures: the endpoint starts failing (the district is told, unless it was told
    of this endpoint in the last day: a flapping endpoint starts many short episodes), or goes on
    failing (told once more a day before it is disabled), or has failed for 5 days (disabled)."""
    if endpoint.failing_since is None:
        started = _endpoint(endpoint.id).where(
            WebhookEndpoint.failing_since.is_(None), WebhookEndpoint.state != "disabled"
        )
        if await _changed(session, started.values(state="failing", failing_since=now, updated_at=now)):
            await _tell_failing(session, endpoint, now, now)
        return  # else another worker started this episode a moment ago
    since = endpoint.failing_since
    if now - since >= DISABLE_AFTER:
        await _disable(session, endpoint, "it failed every delivery for 5 days", now, since)
    elif now - since >= DISABLE_AFTER - WARN_BEFORE:
        await _tell_failing(session, endpoint, since, now)


async def _tell_failing(session: AsyncSession, endpoint: _Health, since: datetime, now: datetime) -> None:
    """Tell the district's other endpoints that this one is failing since `since`, unless they
    were told of it in the last day (`warned_at`, claimed here: one worker tells, once)."""
    claim = (
        _endpoint(endpoint.id)
        .where(
            WebhookEndpoint.failing_since == since,
            or_(WebhookEndpoint.warned_at.is_(None), WebhookEndpoint.warned_at <= now - NOTICE_EVERY),
        )
        .values(warned_at=now, updated_at=now)
    )
    if await _changed(session, claim):
        notice = EndpointFailing(
            endpoint_id=endpoint.id, url=endpoint.url, failing_since=since, disables_at=since + DISABLE_AFTER
        )
        await emit(session, endpoint.district_id, notice, now)


async def _disable(
    session: AsyncSession, endpoint: _Health, reason: str, now: datetime, episode: datetime | None = None
) -> None:
    """Disable the endpoint and tell the district, once; for 5 days of failures (`episode`, when
    they began) only if no success ended that episode meanwhile."""
    disabling = _endpoint(endpoint.id).where(WebhookEndpoint.state != "disabled")
    if episode is not None:
        disabling = disabling.where(WebhookEndpoint.failing_since == episode)
    if await _changed(session, disabling.values(state="disabled", disabled_reason=reason, updated_at=now)):
        notice = EndpointDisabled(endpoint_id=endpoint.id, url=endpoint.url, reason=reason)
        await emit(session, endpoint.district_id, notice, now)
