"""workshops: live sessions, their participants, the presenter feed (trigger-written), attendance

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# A participant's submit enters the feed of every open workshop they are in, in the submit's own
# transaction, whichever code path wrote it (the batched PostgreSQL statement, SQLite's steps).
# Saves of drafts don't fire it: only the one move from draft to submitted. On PostgreSQL each
# feed row also notifies the channel presenter streams of every process listen on; NOTIFY is
# delivered at commit, so a stream woken by it finds the row.
PG_FUNCTIONS = [
    """
CREATE FUNCTION workshop_attempt_submitted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO workshop_feed (workshop_id, txid, kind, attempt_id)
    SELECT p.workshop_id, pg_current_xact_id()::text::bigint, 'entry', NEW.id
    FROM workshop_participants AS p JOIN workshops AS w ON w.id = p.workshop_id
    WHERE p.learner_id = NEW.learner_id AND w.status = 'open';
    RETURN NULL;
END $$
""",
    """
CREATE TRIGGER attempts_workshop_feed AFTER UPDATE OF status ON attempts
FOR EACH ROW WHEN (NEW.status = 'submitted' AND OLD.status <> 'submitted')
EXECUTE FUNCTION workshop_attempt_submitted()
""",
    # Rows written by the app (state changes) get their transaction's id the same way.
    """
CREATE FUNCTION workshop_feed_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.txid := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END $$
""",
    """
CREATE TRIGGER workshop_feed_stamp BEFORE INSERT ON workshop_feed
FOR EACH ROW EXECUTE FUNCTION workshop_feed_stamp()
""",
    """
CREATE FUNCTION workshop_feed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('frontoffice_workshop_feed', NEW.workshop_id::text);
    RETURN NULL;
END $$
""",
    """
CREATE TRIGGER workshop_feed_notify AFTER INSERT ON workshop_feed
FOR EACH ROW EXECUTE FUNCTION workshop_feed_notify()
""",
]
SQLITE_TRIGGER = """
CREATE TRIGGER attempts_workshop_feed AFTER UPDATE OF status ON attempts
WHEN NEW.status = 'submitted' AND OLD.status <> 'submitted'
BEGIN
    INSERT INTO workshop_feed (workshop_id, txid, kind, attempt_id)
    SELECT p.workshop_id, 0, 'entry', NEW.id
    FROM workshop_participants AS p JOIN workshops AS w ON w.id = p.workshop_id
    WHERE p.learner_id = NEW.learner_id AND w.status = 'open';
END
"""


def upgrade() -> None:
    op.create_table(
        "workshops",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("modules", sa.JSON(), nullable=False),
        sa.Column("cohort", sa.String(length=100), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("allow_ahead", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opened_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", api.models.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_workshops_status")),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_workshops_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops")),
        sa.UniqueConstraint("code", name=op.f("uq_workshops_code")),
    )
    op.create_index("ix_workshops_district", "workshops", ["district_id", "created_at"])
    op.create_table(
        "workshop_participants",
        sa.Column("workshop_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("joined_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attended_at", api.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_workshop_participants_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshops.id"],
            name=op.f("fk_workshop_participants_workshop_id_workshops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workshop_id", "learner_id", name=op.f("pk_workshop_participants")),
    )
    op.create_index("ix_workshop_participants_learner", "workshop_participants", ["learner_id"])
    op.create_table(
        "workshop_feed",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workshop_id", sa.Uuid(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("attempt_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_workshop_feed_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshops.id"],
            name=op.f("fk_workshop_feed_workshop_id_workshops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_feed")),
    )
    op.create_index("ix_workshop_feed_position", "workshop_feed", ["workshop_id", "txid", "id"])
    op.create_table(
        "attendances",
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("module_id", sa.String(length=64), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("workshop_id", sa.Uuid(), nullable=True),
        sa.Column("confirmed_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_attendances_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_attendances_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshops.id"],
            name=op.f("fk_attendances_workshop_id_workshops"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("learner_id", "module_id", name=op.f("pk_attendances")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_FUNCTIONS:
            op.execute(statement)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER attempts_workshop_feed ON attempts")
        op.execute("DROP FUNCTION workshop_attempt_submitted()")
        op.execute("DROP FUNCTION workshop_feed_notify() CASCADE")
        op.execute("DROP FUNCTION workshop_feed_stamp() CASCADE")
    else:
        op.execute("DROP TRIGGER attempts_workshop_feed")
    op.drop_table("attendances")
    op.drop_table("workshop_feed")
    op.drop_index("ix_workshop_participants_learner", table_name="workshop_participants")
    op.drop_table("workshop_participants")
    op.drop_index("ix_workshops_district", table_name="workshops")
    op.drop_table("workshops")
