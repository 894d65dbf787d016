"""The LTI plugin's own tables (its migration: api/migrations/versions/0010_lti_hardening.py)."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from plugins.contract import Base, utcnow


class LtiRegistrationTicket(Base):
    """A dynamic-registration URL an administrator made: single use, short-lived, revocable.
    Only the SHA-256 of the URL's secret is kept; the URL is shown once, when made."""

    __tablename__ = "lti_registration_tickets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
