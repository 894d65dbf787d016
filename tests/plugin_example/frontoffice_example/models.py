"""The example plugin's own table: a receipt per delivery, so a delivery retried after a lost
answer is appended once. Migrated from this package's `migrations/` folder."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from plugins.contract import Base, utcnow


class ExampleReceipt(Base):
    __tablename__ = "example_receipts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
