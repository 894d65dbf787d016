"""oneroster_sources: a district's OneRoster REST endpoint, read on a schedule into its roster

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oneroster_sources",
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("version", sa.String(length=3), nullable=False),
        sa.Column("token_url", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("client_secret_sealed", sa.Text(), nullable=False),
        sa.Column("every_hours", sa.Integer(), nullable=False),
        sa.Column("next_run_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", api.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.String(length=20), nullable=False),
        sa.Column("last_detail", sa.Text(), nullable=False),
        sa.Column("last_created", sa.Integer(), nullable=False),
        sa.Column("last_updated", sa.Integer(), nullable=False),
        sa.Column("created_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("district_id"),
    )
    op.create_index("ix_oneroster_sources_next_run_at", "oneroster_sources", ["next_run_at"])


def downgrade() -> None:
    op.drop_index("ix_oneroster_sources_next_run_at", table_name="oneroster_sources")
    op.drop_table("oneroster_sources")
