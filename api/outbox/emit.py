"""The one outbox writer: every event, the kernel's and the plugins', is written here, in the
caller's transaction, and reaches its subscribers through the dispatcher's fan-out."""

import uuid
from datetime import datetime

import msgspec
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.models import OutboxEvent, table, utcnow
from schemas.events import event_type

_ENCODER = msgspec.json.Encoder()
_INSERT = insert(table(OutboxEvent))


async def emit(
    session: AsyncSession | AsyncConnection,
    district_id: uuid.UUID,
    event: msgspec.Struct,
    at: datetime | None = None,
) -> None:
    """Write `event` (a payload Struct of schemas/events.py) to the outbox for the district, in
    the transaction of `session` (an ORM session, or a Core connection for writers without one);
    `at` is when it happened, now by default."""
    row = {
        "id": uuid.uuid4(),
        "district_id": district_id,
        "type": event_type(event),
        # Stored as it is sent: the JSON the payload encodes to, keys in field order.
        "payload": msgspec.json.decode(_ENCODER.encode(event)),
        "created_at": at or utcnow(),
    }
    if isinstance(session, AsyncSession):
        session.add(OutboxEvent(**row))
    else:
        await session.execute(_INSERT, row)
