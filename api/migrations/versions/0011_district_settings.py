"""district settings: time zone and the certificates' signer

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("districts") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False))
        batch.add_column(sa.Column("signer_name", sa.String(length=200), server_default="", nullable=False))
        batch.add_column(sa.Column("signer_title", sa.String(length=200), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("districts") as batch:
        batch.drop_column("signer_title")
        batch.drop_column("signer_name")
        batch.drop_column("time_zone")
