"""lti links: the module each LMS resource link showed

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lti_links",
        sa.Column("registration_id", sa.Uuid(), nullable=False),
        sa.Column("resource_link_id", sa.String(length=255), nullable=False),
        sa.Column("module_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["lti_registrations.id"],
            name=op.f("fk_lti_links_registration_id_lti_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("registration_id", "resource_link_id", name=op.f("pk_lti_links")),
    )


def downgrade() -> None:
    op.drop_table("lti_links")
