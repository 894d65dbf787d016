"""plans: campus action plan items and the district's plan settings; family surveys

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def _school_keys(name: str) -> list[sa.Constraint]:
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
    op.create_table(
        "family_surveys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("instrument_version", sa.Integer(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("recorded_at", api.models.UTCDateTime(timezone=True), nullable=False),
        *_school_keys("family_surveys"),
    )
    op.create_index(
        "ix_family_surveys_district", "family_surveys", ["district_id", "answered_on"], unique=False
    )
    op.create_table(
        "plan_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("what", sa.String(length=300), nullable=False),
        sa.Column("first_step", sa.String(length=300), nullable=False),
        sa.Column("who", sa.String(length=150), nullable=False),
        sa.Column("by_when", sa.String(length=60), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("how_we_know", sa.String(length=300), nullable=False),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("remeasure_on", sa.Date(), nullable=False),
        sa.Column("remeasure_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("plan_due_notice_at", api.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("attempt_id", sa.Uuid(), nullable=True),
        sa.Column("attempt_row", sa.Integer(), nullable=True),
        sa.Column("created_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'open', 'done', 'dropped')", name=op.f("ck_plan_items_status")
        ),
        sa.CheckConstraint("source IN ('staff', 'module')", name=op.f("ck_plan_items_source")),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_plan_items_attempt_id_attempts"),
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("attempt_id", "attempt_row", name=op.f("uq_plan_items_attempt_id")),
        *_school_keys("plan_items"),
    )
    op.create_index(
        "ix_plan_items_district_created", "plan_items", ["district_id", "created_at"], unique=False
    )
    op.create_index("ix_plan_items_remeasure", "plan_items", ["remeasure_at"], unique=False)
    op.create_table(
        "plan_settings",
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("remeasure_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("remeasure_days BETWEEN 30 AND 60", name=op.f("ck_plan_settings_remeasure_days")),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_plan_settings_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("district_id", name=op.f("pk_plan_settings")),
    )


def downgrade() -> None:
    op.drop_table("plan_settings")
    op.drop_index("ix_plan_items_remeasure", table_name="plan_items")
    op.drop_index("ix_plan_items_district_created", table_name="plan_items")
    op.drop_table("plan_items")
    op.drop_index("ix_family_surveys_district", table_name="family_surveys")
    op.drop_table("family_surveys")
