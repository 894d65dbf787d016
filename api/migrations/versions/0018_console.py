"""console: districts' OpenID Connect providers, sign-ins under way, console sessions, and the
person behind an audit entry

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def _district(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["district_id"], ["districts.id"], name=op.f(f"fk_{table}_district_id_districts"), ondelete="CASCADE"
    )


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("actor", sa.String(length=400), server_default="", nullable=False))
    op.create_table(
        "console_providers",
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=500), nullable=False),
        sa.Column("client_secret_sealed", sa.String(length=2000), nullable=False),
        sa.Column("allowed_domains", sa.JSON(), nullable=False),
        sa.Column("groups_claim", sa.String(length=100), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("updated_at", api.models.UTCDateTime(timezone=True), nullable=False),
        _district("console_providers"),
        sa.PrimaryKeyConstraint("district_id", name=op.f("pk_console_providers")),
    )
    op.create_table(
        "console_logins",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("code_verifier", sa.String(length=200), nullable=False),
        sa.Column("created_at", api.models.UTCDateTime(timezone=True), nullable=False),
        _district("console_logins"),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_console_logins")),
    )
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("school", sa.String(length=200), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", api.models.UTCDateTime(timezone=True), nullable=True),
        _district("console_sessions"),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_console_sessions")),
    )
    op.create_index("ix_console_sessions_district", "console_sessions", ["district_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_console_sessions_district", table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_table("console_logins")
    op.drop_table("console_providers")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("actor")
