"""example: the receipts table (the start of the example plugin's branch)

Revision ID: example_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from plugins.contract import UTCDateTime

revision: str = "example_0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = ("example",)
depends_on: Sequence[str] | None = ("0001",)  # districts


def upgrade() -> None:
    op.create_table(
        "example_receipts",
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_example_receipts_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_example_receipts")),
    )


def downgrade() -> None:
    op.drop_table("example_receipts")
