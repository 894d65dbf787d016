"""lti hardening: deep links remember accept_multiple; dynamic-registration URLs are stored
tickets (single use, revocable) instead of signed 7-day tokens

Revision ID: lti_0002
Revises: lti_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from plugins.contract import UTCDateTime

revision: str = "lti_0002"
down_revision: str | None = "lti_0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite takes it with a constant default): no table rebuild.
    op.add_column(
        "lti_deep_links", sa.Column("accept_multiple", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    # Registration URLs made before this revision were signed tokens: they stop working.
    op.create_table(
        "lti_registration_tickets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_lti_registration_tickets_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_registration_tickets")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_lti_registration_tickets_secret_hash")),
    )


def downgrade() -> None:
    op.drop_table("lti_registration_tickets")
    with op.batch_alter_table("lti_deep_links", schema=None) as batch_op:
        batch_op.drop_column("accept_multiple")
