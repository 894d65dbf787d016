"""The LTI plugin's tables: platforms registered by districts, the tool's keys, used launch
nonces, pending deep links, dynamic-registration tickets, and what grades back need per learner
and module.

The plugin owns them: its schema changes are migrations in plugins/lti/migrations/."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, Uuid, true
from sqlalchemy.orm import Mapped, mapped_column

from plugins.contract import Base, utcnow


class LtiRegistration(Base):
    """A platform (an LMS) registered by a district, keyed by (issuer, client_id): Canvas uses one
    issuer for every customer, so the client id is what tells districts apart."""

    __tablename__ = "lti_registrations"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[list[str]]
    auth_login_url: Mapped[str] = mapped_column(String(2000))
    auth_token_url: Mapped[str] = mapped_column(String(2000))
    key_set_url: Mapped[str] = mapped_column(String(2000))
    auth_audience: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiToolKey(Base):
    """An RSA key of the tool (this service), private half sealed. The newest active key signs;
    a retired key stays published at the JWKS URL until `retire_at`."""

    __tablename__ = "lti_tool_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key: Mapped[str] = mapped_column(String(8000))
    public_jwk: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retire_at: Mapped[datetime | None]


class LtiUsedNonce(Base):
    """The nonce of a completed launch: its primary key refuses a second use. Logins store
    nothing (their state and nonce are signed, see plugins/lti/states.py); a used nonce is kept
    until its state could no longer be accepted anyway, then pruned (`LtiPlugin.prune`)."""

    __tablename__ = "lti_used_nonces"
    __table_args__ = (Index("ix_lti_used_nonces_expires", "expires_at"),)

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime]


class LtiDeepLink(Base):
    """A deep-linking request waiting for the instructor's choice; single use, expires."""

    __tablename__ = "lti_deep_links"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    registration_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lti_registrations.id", ondelete="CASCADE"))
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    return_url: Mapped[str] = mapped_column(String(2000))
    data: Mapped[str | None] = mapped_column(String(4000))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # The platform's `accept_multiple`: false, and the answer holds one item.
    accept_multiple: Mapped[bool] = mapped_column(default=True, server_default=true())


class LtiLaunch(Base):
    """What grades back need for a learner and a module: the platform, the launch's `sub` and
    its AGS endpoint (line item, or line items to find or create one in)."""

    __tablename__ = "lti_launches"
    __table_args__ = (UniqueConstraint("learner_id", "module_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(64))
    registration_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lti_registrations.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    resource_link_id: Mapped[str] = mapped_column(String(255), default="")
    lineitem: Mapped[str | None] = mapped_column(String(2000))
    lineitems: Mapped[str | None] = mapped_column(String(2000))
    scopes: Mapped[list[str]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiLink(Base):
    """The module a platform's resource link showed (per registration and resource_link_id),
    so a launch of that link without the `module` custom parameter still finds it."""

    __tablename__ = "lti_links"

    registration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lti_registrations.id", ondelete="CASCADE"), primary_key=True
    )
    resource_link_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    module_id: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


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
