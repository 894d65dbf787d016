"""SQLAlchemy tables. Every row that belongs to a district carries `district_id`."""

import uuid
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


def table(model: type[Base]) -> Table:
    """A model's table, for Core statements on hot paths (typed as the Table it is)."""
    return cast(Table, model.__table__)


class District(Base):
    """A tenant: one school district."""

    __tablename__ = "districts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The district's settings: what people read (dates, certificates) is in its own time zone.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    signer_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    signer_title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Printed on certificates; deferred, as only a certificate needs the bytes.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_type: Mapped[str] = mapped_column(String(32), default="", server_default="")


class ApiKey(Base):
    """A district's API key. Only a SHA-256 hash of the secret is stored."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_district", "district_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class CourseRecord(Base):
    """The published course (the catalog is shared by every district)."""

    __tablename__ = "courses"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    document: Mapped[dict[str, Any]]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModuleRecord(Base):
    """A module of the course and the version learners get now."""

    __tablename__ = "modules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int]
    current_version: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModuleVersion(Base):
    """One immutable published version of a module: the authoring document and its
    translations, named by a hash of both. Recorded work pins the version it was made on."""

    __tablename__ = "module_versions"

    module_id: Mapped[str] = mapped_column(ForeignKey("modules.id"), primary_key=True)
    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    document: Mapped[dict[str, Any]]
    translations: Mapped[dict[str, Any]]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class InstanceSecret(Base):
    """A secret the service generated for itself (the learner-token key when none is set)."""

    __tablename__ = "instance_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Learner(Base):
    """A staff member of a district, known by the id the calling system gives them."""

    __tablename__ = "learners"
    __table_args__ = (
        UniqueConstraint("district_id", "external_id"),
        Index("uq_learners_roster_employee", "roster_employee_id", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    employee_id: Mapped[str] = mapped_column(String(100), default="")
    school: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Moved on by every submit and every void of this learner's work: a submit writes only if
    # the version it read its standing at is still current (see api/attempts/submit.py).
    progress_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # HR's link by hand to a roster employee, for a learner whose employee id and email match
    # none; it wins over both. Unique: an employee has at most one learner linked by hand.
    roster_employee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("roster_employees.id", ondelete="SET NULL")
    )


class Attempt(Base):
    """A learner's attempt at a form: answers saved as a draft, then submitted (immutable).

    The number is unique per learner and form, so two devices starting an attempt at once
    cannot both make attempt 2; `status` moves draft -> submitted once, by a conditional update.
    """

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("learner_id", "module_id", "form_id", "number"),
        Index("ix_attempts_district_form", "district_id", "module_id", "form_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(64))
    module_version: Mapped[str] = mapped_column(String(32))
    form_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="draft")
    item_order: Mapped[list[str]]
    answers: Mapped[dict[str, Any]]
    cohort: Mapped[str] = mapped_column(String(100), default="")
    score: Mapped[float | None]
    passed: Mapped[bool | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]


class Completion(Base):
    """A completion record: written once when a module's rule is first met, never deleted.

    At most one live (not voided) record per learner and module, enforced by a partial
    unique index, so two devices completing at once produce one record.
    """

    __tablename__ = "completions"
    __table_args__ = (
        Index(
            "uq_completions_live",
            "learner_id",
            "module_id",
            unique=True,
            sqlite_where=text("voided_at IS NULL"),
            postgresql_where=text("voided_at IS NULL"),
        ),
        Index("ix_completions_district_updated", "district_id", "updated_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(64))
    module_version: Mapped[str] = mapped_column(String(32))
    score: Mapped[float | None]
    passed: Mapped[bool | None]
    attempts: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime]
    credit_minutes: Mapped[float]
    certificate_code: Mapped[str] = mapped_column(String(32), unique=True)
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(String(1000))
    voided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxEvent(Base):
    """An event written in the same transaction as the record it announces; the plugins
    deliver it from here, so an accepted completion is never lost."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_events_created", "created_at"),
        Index("ix_outbox_events_unfanned", "fanned_out_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fanned_out_at: Mapped[datetime | None]  # when its deliveries were created


class IdempotencyRecord(Base):
    """The first response to a POST with an `Idempotency-Key`, replayed for repeats."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("district_id", "caller", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    caller: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]  # 0 while the first request is still being handled
    content_type: Mapped[str] = mapped_column(String(100), default="")
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PluginSetting(Base):
    """A plugin's configuration for one district (validated by the plugin's config Struct)."""

    __tablename__ = "plugin_settings"

    district_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True
    )
    plugin: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    config: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """One event for one subscriber (a webhook endpoint, a plugin), with its own retry state.

    `pending` deliveries are due at `next_attempt_at`; a worker claims one by setting `leased`
    with `lease_until`, and a lease that runs out (a killed worker) makes it claimable again.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "subscriber"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_subscriber", "subscriber", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outbox_events.id", ondelete="CASCADE"))
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    plugin: Mapped[str] = mapped_column(String(64))
    subscriber: Mapped[str] = mapped_column(String(128))
    event_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliveryAttempt(Base):
    """The log of one attempt at a delivery: what the subscriber answered, how fast."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_delivery", "delivery_id", "attempted_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None]
    duration_ms: Mapped[float]
    response_excerpt: Mapped[str] = mapped_column(String(1024), default="")
    error: Mapped[str | None] = mapped_column(String(1000))


# --- HR completion records (issue 7) ---------------------------------------------------------
# Learners are matched to roster employees at read time (by employee id, else by lowercased
# email), so a roster import or a learner's new email shows at once; these indexes serve that join.
Index("ix_learners_district_employee", Learner.district_id, Learner.employee_id)
Index("ix_learners_district_email", Learner.district_id, func.lower(Learner.email))
Index("ix_completions_district_completed", Completion.district_id, Completion.completed_at, Completion.id)


class OneRosterSource(Base):
    """A district's OneRoster REST endpoint, read on a schedule into its roster by the dispatcher's
    sweep: where it is, its OAuth 2 client (the secret sealed), and how the last run went."""

    __tablename__ = "oneroster_sources"

    district_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True
    )
    base_url: Mapped[str] = mapped_column(String(500))
    version: Mapped[str] = mapped_column(String(3))  # "1.1" | "1.2"
    token_url: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret_sealed: Mapped[str] = mapped_column(Text)
    every_hours: Mapped[int] = mapped_column(Integer)
    next_run_at: Mapped[datetime] = mapped_column(index=True)
    last_run_at: Mapped[datetime | None] = mapped_column(default=None)
    last_outcome: Mapped[str] = mapped_column(String(20), default="")  # "" | imported | failed
    last_detail: Mapped[str] = mapped_column(Text, default="")
    last_created: Mapped[int] = mapped_column(Integer, default=0)
    last_updated: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RosterEmployee(Base):
    """An employee on a district's HR roster (HR's word on who works where, in what role)."""

    __tablename__ = "roster_employees"
    __table_args__ = (
        UniqueConstraint("district_id", "employee_id"),
        Index("ix_roster_employees_email", "district_id", "email_key"),
        Index("ix_roster_employees_school_role", "district_id", "school_code", "role_code"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    employee_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), default="")
    email_key: Mapped[str] = mapped_column(String(320), default="")  # lower(email), for matching
    school_code: Mapped[str] = mapped_column(String(50), default="")
    school_name: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    role_code: Mapped[str] = mapped_column(String(50), default="")
    role_title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CompletionChange(Base):
    """One insert or update of a completion, written by a database trigger (migration 0005).

    `txid` is the writing transaction's id on PostgreSQL (0 on SQLite, whose writers are
    serialized, so `id` order is commit order there); the changes feed serves a change only
    once every transaction that could precede it has ended (see api/completions/changes.py).
    """

    __tablename__ = "completion_changes"
    __table_args__ = (Index("ix_completion_changes_feed", "district_id", "txid", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    completion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("completions.id", ondelete="CASCADE"))
    txid: Mapped[int] = mapped_column(BigInteger, default=0)


class AuditEntry(Base):
    """A pull or export of HR records: who (key), what (filters), how many rows, when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_district_at", "district_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(32))
    filters: Mapped[dict[str, Any]]
    row_count: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # The person behind a console session (their name and email); empty for an API key.
    actor: Mapped[str] = mapped_column(String(400), default="", server_default="")


class FeedbackSchool(Base):
    """A school collecting family feedback: its public link (a random token) and whether the
    link is open. Closing keeps the school and its answers; the link then answers 410."""

    __tablename__ = "feedback_schools"
    __table_args__ = (UniqueConstraint("district_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    # The instruments switched off here (`InstrumentName`s); a new instrument starts on.
    instruments_off: Mapped[list[str]] = mapped_column(default=list)
    # The day HR says the school was trained; None: computed from the roster's completions.
    training_on: Mapped[date | None]


class FeedbackAnswer(Base):
    """A family's counted answer to a school's feedback card.

    `device_key` and `address_key` are keyed hashes (HMAC under the service's secret) of the
    device's cookie (or, without one, its address) and of its address, each with the school
    and the day: unique per school and day for the device, so a device counts once a day;
    counted per school and day for the address, which caps what one address can add.
    Neither can be turned back into an address. Contact details are kept only with consent.
    """

    __tablename__ = "feedback_answers"
    __table_args__ = (
        UniqueConstraint("school_id", "day", "device_key"),
        # An address's answers to a school on a day take places 0, 1, ... once each: the cap on
        # them holds however many arrive at once, with no lock.
        Index(
            "uq_feedback_answers_address_slot", "school_id", "day", "address_key", "address_slot", unique=True
        ),
        Index("ix_feedback_answers_district", "district_id", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feedback_schools.id", ondelete="CASCADE"))
    instrument_version: Mapped[int]
    score: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40))
    resolved: Mapped[bool]
    comment: Mapped[str] = mapped_column(String(1000), default="")
    language: Mapped[str] = mapped_column(String(2))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    day: Mapped[date]
    device_key: Mapped[str] = mapped_column(String(64))
    address_key: Mapped[str] = mapped_column(String(64))
    address_slot: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dialogue(Base):
    """A concern in a district's inbox, routed to a team: from a family's feedback answer that
    asked to be contacted (`source` feedback, `answer_id` set), or entered by staff after a call
    or a visit (`source` staff). Contact details are only those given with consent.

    `past_due_notice_at` is set once, by the sweep that sends `dialogue.past_due`: it is what
    makes the notice go out once however many workers sweep.
    """

    __tablename__ = "dialogues"
    __table_args__ = (
        CheckConstraint("source IN ('feedback', 'staff')", name="source"),
        CheckConstraint("status IN ('open', 'waiting', 'closed')", name="status"),
        UniqueConstraint("answer_id"),
        Index("ix_dialogues_district_opened", "district_id", "opened_at"),
        Index("ix_dialogues_due", "status", "due_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feedback_schools.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    answer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("feedback_answers.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(String(40))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    summary: Mapped[str] = mapped_column(String(2000), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    first_contact_resolved: Mapped[bool] = mapped_column(default=False)
    owner: Mapped[str] = mapped_column(String(320), default="")
    team: Mapped[str] = mapped_column(String(200), default="")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    past_due_notice_at: Mapped[datetime | None]


class DialogueNote(Base):
    """A note on a dialogue: who wrote it, what, when. Notes are only ever added."""

    __tablename__ = "dialogue_notes"
    __table_args__ = (Index("ix_dialogue_notes_dialogue", "dialogue_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    dialogue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dialogues.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(320))
    text: Mapped[str] = mapped_column(String(4000))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Assignment(Base):
    """A module HR assigned to a school, a role, or a role at one school, due on a day.

    `due_at` is the end of `due_on` in the district's time zone when the assignment was made
    (the first instant it is overdue), so the sweep compares instants on either backend.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("district_id", "module_id", "school_code", "role_code"),
        Index("ix_assignments_due_at", "due_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(64))
    school_code: Mapped[str] = mapped_column(String(50), default="")  # "": every school
    role_code: Mapped[str] = mapped_column(String(50), default="")  # "": every role
    due_on: Mapped[date]
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class AssignmentNotice(Base):
    """An `assignment.overdue` event sent for an employee: its primary key is what makes the
    sweep send one per (assignment, employee), however many workers run it at once."""

    __tablename__ = "assignment_notices"

    assignment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True
    )
    roster_employee_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("roster_employees.id", ondelete="CASCADE"), primary_key=True
    )
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExitInterview(Base):
    """An exit interview staff held with a family leaving a school: the answers by question id
    as given, with the guide's version. `score` (the 0-10 answer) is kept apart for the figures."""

    __tablename__ = "exit_interviews"
    __table_args__ = (Index("ix_exit_interviews_district", "district_id", "held_on"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feedback_schools.id", ondelete="CASCADE"))
    instrument_version: Mapped[int]
    held_on: Mapped[date]
    interviewer: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    answers: Mapped[dict[str, Any]]
    score: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShopperVisit(Base):
    """A secret shopper's call, email or visit to a school, scored against the channel's rubric
    of `instrument_version`: the answers, which criteria were met, and the score the server
    computed (kept, so a later rubric never changes an old visit's score)."""

    __tablename__ = "shopper_visits"
    __table_args__ = (
        CheckConstraint("channel IN ('phone', 'email', 'visit')", name="channel"),
        Index("ix_shopper_visits_district", "district_id", "visited_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feedback_schools.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(8))
    evaluator: Mapped[str] = mapped_column(String(200))
    visited_at: Mapped[datetime]
    instrument_version: Mapped[int]
    answers: Mapped[dict[str, Any]]
    passed: Mapped[dict[str, Any]]
    points: Mapped[float]
    possible: Mapped[int]
    score: Mapped[float]
    notes: Mapped[str] = mapped_column(String(2000), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class FamilySurveyRecord(Base):
    """A family's answers to the family survey, entered by staff from a paper or phone survey
    or sent by the family from the school's public survey page:
    the answers by question id as given, with the survey's version. `score` (the 0-10 answer)
    is kept apart for the figures. Anonymous: no family is named."""

    __tablename__ = "family_surveys"
    __table_args__ = (
        Index("ix_family_surveys_district", "district_id", "answered_on"),
        Index("uq_family_surveys_device", "school_id", "answered_on", "device_key", unique=True),
        Index(
            "uq_family_surveys_address_slot",
            "school_id",
            "answered_on",
            "address_key",
            "address_slot",
            unique=True,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feedback_schools.id", ondelete="CASCADE"))
    instrument_version: Mapped[int]
    answered_on: Mapped[date]
    language: Mapped[str] = mapped_column(String(2))
    answers: Mapped[dict[str, Any]]
    score: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A survey a family sent from the public page: keyed hashes and place as a feedback answer's
    # (see FeedbackAnswer); None for those staff entered.
    device_key: Mapped[str | None] = mapped_column(String(64))
    address_key: Mapped[str | None] = mapped_column(String(64))
    address_slot: Mapped[int | None] = mapped_column(Integer)


class PlanItem(Base):
    """A step of a school's campus action plan, made by staff or shared by a learner from module
    5's action plan (`source` module, a `draft` until staff adopt it). `created_by` is a name
    only when its maker chose to be named; `attempt_id` (never shown) keeps one share of an
    attempt from making its rows twice.

    `remeasure_at` is the instant `remeasure_on` begins in the district's time zone when it was
    set, so the sweep compares instants on either backend; `plan_due_notice_at` is set once, by
    the sweep that sends `plan.due`: it is what makes the notice go out once however many
    workers sweep.
    """

    __tablename__ = "plan_items"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'open', 'done', 'dropped')", name="status"),
        CheckConstraint("source IN ('staff', 'module')", name="source"),
        UniqueConstraint("attempt_id", "attempt_row"),
        Index("ix_plan_items_district_created", "district_id", "created_at"),
        Index("ix_plan_items_remeasure", "remeasure_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feedback_schools.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    what: Mapped[str] = mapped_column(String(300))
    first_step: Mapped[str] = mapped_column(String(300), default="")
    who: Mapped[str] = mapped_column(String(150), default="")
    by_when: Mapped[str] = mapped_column(String(60), default="")
    due_on: Mapped[date | None]
    how_we_know: Mapped[str] = mapped_column(String(300), default="")
    follow_up_on: Mapped[date | None]
    planned_on: Mapped[date]
    remeasure_on: Mapped[date]
    remeasure_at: Mapped[datetime]
    plan_due_notice_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(320), default="")
    attempt_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("attempts.id", ondelete="SET NULL"))
    attempt_row: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanSetting(Base):
    """A district's plan settings: the days from planning an item to its re-measure date."""

    __tablename__ = "plan_settings"
    __table_args__ = (CheckConstraint("remeasure_days BETWEEN 30 AND 60", name="remeasure_days"),)

    district_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True
    )
    remeasure_days: Mapped[int] = mapped_column(Integer)


class Cmi5PackageKey(Base):
    """A district's cmi5 package key: its packages' AU URLs carry a token signed for this row,
    so revoking the row stops every package made with it (nothing secret is stored)."""

    __tablename__ = "cmi5_package_keys"
    __table_args__ = (Index("ix_cmi5_package_keys_district", "district_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class ConsoleProvider(Base):
    """A district's OpenID Connect provider for console sign-in; the client secret is sealed."""

    __tablename__ = "console_providers"

    district_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True
    )
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(500))
    client_secret_sealed: Mapped[str] = mapped_column(String(2000))
    allowed_domains: Mapped[list[str]]
    groups_claim: Mapped[str] = mapped_column(String(100))
    # [{"role", "email", "group", "school"}]: the first rule that matches a person gives the role.
    roles: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsoleLogin(Base):
    """A sign-in under way: its state (hashed), nonce and PKCE verifier; used once, then deleted."""

    __tablename__ = "console_logins"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsoleSession(Base):
    """A person signed in to the console: the cookie's SHA-256, who, their role, and its times."""

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_district", "district_id"),)

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(500))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    school: Mapped[str] = mapped_column(String(200))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class Workshop(Base):
    """A live, facilitated session of one or more modules: the room's join code and its state,
    which the facilitator moves (the step the room is on, whether participants may go ahead)."""

    __tablename__ = "workshops"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        Index("ix_workshops_district", "district_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    modules: Mapped[list[str]]
    cohort: Mapped[str] = mapped_column(String(100), default="")
    step: Mapped[int] = mapped_column(Integer, default=0)
    allow_ahead: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(8), default="open")
    opened_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class WorkshopParticipant(Base):
    """A learner in a workshop's room (joined by code, or added by a launch); `attended_at` once
    the facilitator confirms they were there."""

    __tablename__ = "workshop_participants"
    __table_args__ = (Index("ix_workshop_participants_learner", "learner_id"),)

    workshop_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True
    )
    learner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    attended_at: Mapped[datetime | None]


class WorkshopFeed(Base):
    """What a workshop's presenter stream serves, in order: each state change, and each attempt a
    participant submits while the workshop is open (written by a trigger on `attempts`, migration
    0018, whatever path submitted it). `txid` as in `completion_changes`: the writing
    transaction's id on PostgreSQL, 0 on SQLite."""

    __tablename__ = "workshop_feed"
    __table_args__ = (Index("ix_workshop_feed_position", "workshop_id", "txid", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    workshop_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    kind: Mapped[str] = mapped_column(String(8))
    attempt_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Attendance(Base):
    """A learner's confirmed attendance at a live session of a module: what a completion rule's
    `attended` requirement asks for."""

    __tablename__ = "attendances"

    learner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    module_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    workshop_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("workshops.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
