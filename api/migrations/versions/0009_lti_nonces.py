"""lti nonces: logins are signed, not stored; a launch's nonce is used up in lti_used_nonces

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lti_used_nonces",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_lti_used_nonces")),
    )
    with op.batch_alter_table("lti_used_nonces", schema=None) as batch_op:
        batch_op.create_index("ix_lti_used_nonces_expires", ["expires_at"], unique=False)
    # Logins in flight at the upgrade are refused at their launch (launched again, they pass).
    with op.batch_alter_table("lti_states", schema=None) as batch_op:
        batch_op.drop_index("ix_lti_states_expires")
    op.drop_table("lti_states")


def downgrade() -> None:
    op.create_table(
        "lti_states",
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("registration_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("storage_secret_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["lti_registrations.id"],
            name=op.f("fk_lti_states_registration_id_lti_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_lti_states")),
    )
    with op.batch_alter_table("lti_states", schema=None) as batch_op:
        batch_op.create_index("ix_lti_states_expires", ["expires_at"], unique=False)
    with op.batch_alter_table("lti_used_nonces", schema=None) as batch_op:
        batch_op.drop_index("ix_lti_used_nonces_expires")
    op.drop_table("lti_used_nonces")
