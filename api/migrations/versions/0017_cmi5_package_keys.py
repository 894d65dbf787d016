"""cmi5 package keys: a district's revocable name on the cmi5 packages its LMSs import

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = "0017"
down_revision = "0016"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cmi5_package_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", api.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_cmi5_package_keys_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmi5_package_keys")),
    )
    op.create_index(
        "ix_cmi5_package_keys_district", "cmi5_package_keys", ["district_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_cmi5_package_keys_district", table_name="cmi5_package_keys")
    op.drop_table("cmi5_package_keys")
