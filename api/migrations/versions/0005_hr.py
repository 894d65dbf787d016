"""hr: roster, completion changes feed (trigger-written), audit log

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# Every insert or update of a completion writes a change row in the same transaction, whatever
# code path wrote it. On PostgreSQL the row carries the writing transaction's id, which the
# changes feed needs to serve changes in an order no later commit can slip behind.
PG_FUNCTION = """
CREATE FUNCTION completion_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO completion_changes (district_id, completion_id, txid)
    VALUES (NEW.district_id, NEW.id, pg_current_xact_id()::text::bigint);
    RETURN NULL;
END $$
"""
PG_TRIGGER = """
CREATE TRIGGER completions_changed AFTER INSERT OR UPDATE ON completions
FOR EACH ROW EXECUTE FUNCTION completion_changed()
"""
SQLITE_TRIGGER = """
CREATE TRIGGER completions_{name} AFTER {event} ON completions
BEGIN
    INSERT INTO completion_changes (district_id, completion_id, txid) VALUES (NEW.district_id, NEW.id, 0);
END
"""


def upgrade() -> None:
    op.create_table(
        "roster_employees",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("school_code", sa.String(length=50), nullable=False),
        sa.Column("school_name", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("role_code", sa.String(length=50), nullable=False),
        sa.Column("role_title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_roster_employees_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_employees")),
        sa.UniqueConstraint("district_id", "employee_id", name=op.f("uq_roster_employees_district_id")),
    )
    op.create_index("ix_roster_employees_email", "roster_employees", ["district_id", "email_key"])
    op.create_index(
        "ix_roster_employees_school_role", "roster_employees", ["district_id", "school_code", "role_code"]
    )
    op.create_table(
        "completion_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("completion_id", sa.Uuid(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["completion_id"],
            ["completions.id"],
            name=op.f("fk_completion_changes_completion_id_completions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_completion_changes_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completion_changes")),
    )
    op.create_index("ix_completion_changes_feed", "completion_changes", ["district_id", "txid", "id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("key_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_audit_log_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_district_at", "audit_log", ["district_id", "at"])
    op.create_index("ix_learners_district_employee", "learners", ["district_id", "employee_id"])
    op.create_index("ix_learners_district_email", "learners", ["district_id", sa.text("lower(email)")])
    op.create_index("ix_completions_district_completed", "completions", ["district_id", "completed_at", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER.format(name="inserted", event="INSERT"))
        op.execute(SQLITE_TRIGGER.format(name="updated", event="UPDATE"))
    # Completions recorded before this migration enter the feed once, in completion order.
    op.execute(
        "INSERT INTO completion_changes (district_id, completion_id, txid) "
        "SELECT district_id, id, 0 FROM completions ORDER BY completed_at, id"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER completions_changed ON completions")
        op.execute("DROP FUNCTION completion_changed()")
    else:
        op.execute("DROP TRIGGER completions_inserted")
        op.execute("DROP TRIGGER completions_updated")
    op.drop_index("ix_completions_district_completed", table_name="completions")
    op.drop_index("ix_learners_district_email", table_name="learners")
    op.drop_index("ix_learners_district_employee", table_name="learners")
    op.drop_index("ix_audit_log_district_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_completion_changes_feed", table_name="completion_changes")
    op.drop_table("completion_changes")
    op.drop_index("ix_roster_employees_school_role", table_name="roster_employees")
    op.drop_index("ix_roster_employees_email", table_name="roster_employees")
    op.drop_table("roster_employees")
