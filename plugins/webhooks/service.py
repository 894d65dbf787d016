"""A district's webhook endpoints: create (secret shown once), list, update, delete, rotate
the secret, send a test ping, read the delivery log, redeliver one, recover an outage."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from plugins.contract import (
    DeliveryAttempt,
    InvalidInput,
    NotFound,
    SecretBox,
    Sessions,
    UnsafeDestination,
    check_url,
    emit,
    resolve_and_check,
    utcnow,
)
from plugins.contract import DeliveryRow as Delivery
from plugins.webhooks import signing
from plugins.webhooks.models import WebhookEndpoint
from schemas.events import Ping
from schemas.problem import FieldError
from schemas.webhooks import (
    AttemptLog,
    DeliveryDetail,
    DeliveryView,
    EndpointCreate,
    EndpointSecret,
    EndpointUpdate,
    EndpointView,
)

ROTATION_GRACE = timedelta(hours=24)

URL_FIELD = [FieldError(field="$.url", message="not a URL Front Office may deliver to")]
"""Names the field a refused URL came in, so a form shows the problem beside it."""


def endpoint_view(row: WebhookEndpoint) -> EndpointView:
    rotating = row.previous_secret_expires_at if row.previous_secret else None
    return EndpointView(
        id=row.id,
        url=row.url,
        description=row.description,
        event_types=list(row.event_types),
        enabled=row.enabled,
        state=row.state,  # type: ignore[arg-type]
        failing_since=row.failing_since,
        disabled_reason=row.disabled_reason,
        rotating_until=rotating if rotating and rotating > utcnow() else None,
        created_at=row.created_at,
    )


def delivery_view(row: Delivery) -> DeliveryView:
    return DeliveryView(
        id=row.id,
        event_id=row.event_id,
        event_type=row.event_type,
        status=row.status,  # type: ignore[arg-type]
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
    )


class EndpointService:
    def __init__(
        self,
        sessions: Sessions,
        box: SecretBox,
        district_id: uuid.UUID,
        *,
        allow_http: bool,
        allowlist: list[str],
    ) -> None:
        self.sessions = sessions
        self.box = box
        self.district_id = district_id
        self.allow_http = allow_http
        self.allowlist = allowlist

    async def _checked_url(self, url: str) -> str:
        """Refuse URLs that are malformed, not https, or resolve to an internal address."""
        try:
            parsed = check_url(url, allow_http=self.allow_http)
            await resolve_and_check(
                parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80), self.allowlist
            )
        except (UnsafeDestination, ValueError) as exc:
            raise InvalidInput(f"The endpoint URL cannot be used: {exc}", errors=URL_FIELD) from None
        except OSError as exc:
            raise InvalidInput(
                f"The endpoint's host does not resolve ({exc}); check the URL.", errors=URL_FIELD
            ) from None
        return str(parsed)

    async def _row(self, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        async with self.sessions() as session:
            row = await session.get(WebhookEndpoint, endpoint_id)
        if row is None or row.district_id != self.district_id:
            raise NotFound(f"No webhook endpoint {endpoint_id} in this district.")
        return row

    async def create(self, data: EndpointCreate) -> EndpointSecret:
        url = await self._checked_url(data.url)
        secret = signing.new_secret()
        async with self.sessions.begin() as session:
            row = WebhookEndpoint(
                district_id=self.district_id,
                url=url,
                description=data.description,
                event_types=list(data.event_types),
                enabled=data.enabled,
                secret=self.box.seal(secret),
            )
            session.add(row)
            await session.flush()
            return EndpointSecret(secret=secret, endpoint=endpoint_view(row))

    async def all(self) -> list[EndpointView]:
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(WebhookEndpoint)
                    .where(WebhookEndpoint.district_id == self.district_id)
                    .order_by(WebhookEndpoint.created_at)
                )
            ).scalars()
            return [endpoint_view(r) for r in rows]

    async def get(self, endpoint_id: uuid.UUID) -> EndpointView:
        return endpoint_view(await self._row(endpoint_id))

    async def update(self, endpoint_id: uuid.UUID, data: EndpointUpdate) -> EndpointView:
        await self._row(endpoint_id)
        url = await self._checked_url(data.url) if data.url is not None else None
        async with self.sessions.begin() as session:
            row = await session.get(WebhookEndpoint, endpoint_id)
            assert row is not None
            if url is not None:
                row.url = url
            if data.description is not None:
                row.description = data.description
            if data.event_types is not None:
                row.event_types = list(data.event_types)
            if data.enabled is not None:
                row.enabled = data.enabled
                if data.enabled and row.state == "disabled":
                    # Re-enabling starts afresh; `recover` redelivers what was missed.
                    row.state, row.failing_since, row.warned_at, row.disabled_reason = (
                        "active",
                        None,
                        None,
                        None,
                    )
            row.updated_at = utcnow()
            return endpoint_view(row)

    async def delete(self, endpoint_id: uuid.UUID) -> None:
        await self._row(endpoint_id)
        async with self.sessions.begin() as session:
            await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))

    async def rotate(self, endpoint_id: uuid.UUID) -> EndpointSecret:
        """A new secret; the old one keeps signing alongside it for 24 hours."""
        await self._row(endpoint_id)
        secret = signing.new_secret()
        async with self.sessions.begin() as session:
            row = await session.get(WebhookEndpoint, endpoint_id)
            assert row is not None
            row.previous_secret, row.previous_secret_expires_at = row.secret, utcnow() + ROTATION_GRACE
            row.secret, row.updated_at = self.box.seal(secret), utcnow()
            return EndpointSecret(secret=secret, endpoint=endpoint_view(row))

    async def ping(self, endpoint_id: uuid.UUID) -> None:
        await self._row(endpoint_id)
        async with self.sessions.begin() as session:
            event = Ping(endpoint_id=endpoint_id, message="A test event from Front Office.")
            await emit(session, self.district_id, event)

    async def deliveries(
        self, endpoint_id: uuid.UUID, status: str | None, event_type: str | None, limit: int
    ) -> list[DeliveryView]:
        await self._row(endpoint_id)
        query = (
            select(Delivery)
            .where(Delivery.subscriber == f"webhooks:{endpoint_id}")
            .order_by(Delivery.created_at.desc())
            .limit(limit)
        )
        if status:
            query = query.where(Delivery.status == status)
        if event_type:
            query = query.where(Delivery.event_type == event_type)
        async with self.sessions() as session:
            return [delivery_view(r) for r in (await session.execute(query)).scalars()]

    async def _delivery(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> Delivery:
        await self._row(endpoint_id)
        async with self.sessions() as session:
            row = await session.get(Delivery, delivery_id)
        if row is None or row.subscriber != f"webhooks:{endpoint_id}":
            raise NotFound(f"No delivery {delivery_id} for this endpoint.")
        return row

    async def delivery(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> DeliveryDetail:
        row = await self._delivery(endpoint_id, delivery_id)
        async with self.sessions() as session:
            attempts = (
                await session.execute(
                    select(DeliveryAttempt)
                    .where(DeliveryAttempt.delivery_id == delivery_id)
                    .order_by(DeliveryAttempt.attempted_at)
                )
            ).scalars()
            logs = [
                AttemptLog(
                    attempted_at=a.attempted_at,
                    status_code=a.status_code,
                    duration_ms=a.duration_ms,
                    response_excerpt=a.response_excerpt,
                    error=a.error,
                )
                for a in attempts
            ]
        return DeliveryDetail(delivery=delivery_view(row), attempts=logs)

    async def redeliver(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> DeliveryView:
        await self._delivery(endpoint_id, delivery_id)
        async with self.sessions.begin() as session:
            row = await session.get(Delivery, delivery_id)
            assert row is not None
            if row.status == "leased":
                return delivery_view(row)  # being delivered right now
            row.status, row.next_attempt_at, row.updated_at = "pending", utcnow(), utcnow()
            return delivery_view(row)

    async def recover(self, endpoint_id: uuid.UUID, since: datetime) -> int:
        """Redeliver everything that failed or was skipped for this endpoint since `since`."""
        endpoint = await self._row(endpoint_id)
        if endpoint.state == "disabled" or not endpoint.enabled:
            raise InvalidInput("Enable the endpoint first (PATCH enabled: true); then recover.")
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(Delivery)
                .where(
                    Delivery.subscriber == f"webhooks:{endpoint_id}",
                    Delivery.status.in_(("failed", "skipped")),
                    Delivery.created_at >= since,
                )
                .values(status="pending", next_attempt_at=utcnow(), updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]
