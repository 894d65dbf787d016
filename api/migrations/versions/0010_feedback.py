"""feedback: schools' feedback links and families' counted answers

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_schools",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("created_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", api.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_feedback_schools_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_schools")),
        sa.UniqueConstraint("district_id", "code", name=op.f("uq_feedback_schools_district_id")),
        sa.UniqueConstraint("token", name=op.f("uq_feedback_schools_token")),
    )
    op.create_table(
        "feedback_answers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("instrument_version", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("device_key", sa.String(length=64), nullable=False),
        sa.Column("address_key", sa.String(length=64), nullable=False),
        sa.Column("received_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_feedback_answers_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["feedback_schools.id"],
            name=op.f("fk_feedback_answers_school_id_feedback_schools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_answers")),
        sa.UniqueConstraint("school_id", "day", "device_key", name=op.f("uq_feedback_answers_school_id")),
    )
    op.create_index(
        "ix_feedback_answers_address", "feedback_answers", ["school_id", "day", "address_key"], unique=False
    )
    op.create_index(
        "ix_feedback_answers_district", "feedback_answers", ["district_id", "received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_feedback_answers_district", table_name="feedback_answers")
    op.drop_index("ix_feedback_answers_address", table_name="feedback_answers")
    op.drop_table("feedback_answers")
    op.drop_table("feedback_schools")
