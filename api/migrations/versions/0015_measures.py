"""measures: exit interviews, secret-shopper visits, and per-school instrument switches

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def _common() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("instrument_version", sa.Integer(), nullable=False),
    ]


def _keys(name: str) -> list[sa.Constraint]:
    return [
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f(f"fk_{name}_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["feedback_schools.id"],
            name=op.f(f"fk_{name}_school_id_feedback_schools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    ]


def upgrade() -> None:
    with op.batch_alter_table("feedback_schools") as batch:
        batch.add_column(sa.Column("instruments_off", sa.JSON(), server_default="[]", nullable=False))
    op.create_table(
        "exit_interviews",
        *_common(),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("interviewer", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("recorded_at", api.models.UTCDateTime(timezone=True), nullable=False),
        *_keys("exit_interviews"),
    )
    op.create_index(
        "ix_exit_interviews_district", "exit_interviews", ["district_id", "held_on"], unique=False
    )
    op.create_table(
        "shopper_visits",
        *_common(),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("evaluator", sa.String(length=200), nullable=False),
        sa.Column("visited_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("passed", sa.JSON(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("possible", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("notes", sa.String(length=2000), nullable=False),
        sa.Column("recorded_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel IN ('phone', 'email', 'visit')", name=op.f("ck_shopper_visits_channel")),
        *_keys("shopper_visits"),
    )
    op.create_index(
        "ix_shopper_visits_district", "shopper_visits", ["district_id", "visited_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_shopper_visits_district", table_name="shopper_visits")
    op.drop_table("shopper_visits")
    op.drop_index("ix_exit_interviews_district", table_name="exit_interviews")
    op.drop_table("exit_interviews")
    with op.batch_alter_table("feedback_schools") as batch:
        batch.drop_column("instruments_off")
