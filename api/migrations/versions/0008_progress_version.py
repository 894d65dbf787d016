"""progress version: a learner's counter that every submit and void moves on

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("learners", sa.Column("progress_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("learners", "progress_version")
