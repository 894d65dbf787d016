"""dialogues: the concerns inbox and its notes

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dialogues",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("answer_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("summary", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_contact_resolved", sa.Boolean(), nullable=False),
        sa.Column("owner", sa.String(length=320), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=False),
        sa.Column("opened_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", api.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("past_due_notice_at", api.models.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("source IN ('feedback', 'staff')", name=op.f("ck_dialogues_source")),
        sa.CheckConstraint("status IN ('open', 'waiting', 'closed')", name=op.f("ck_dialogues_status")),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_dialogues_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["feedback_schools.id"],
            name=op.f("fk_dialogues_school_id_feedback_schools"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["feedback_answers.id"],
            name=op.f("fk_dialogues_answer_id_feedback_answers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogues")),
        sa.UniqueConstraint("answer_id", name=op.f("uq_dialogues_answer_id")),
    )
    op.create_index("ix_dialogues_district_opened", "dialogues", ["district_id", "opened_at"], unique=False)
    op.create_index("ix_dialogues_due", "dialogues", ["status", "due_at"], unique=False)
    op.create_table(
        "dialogue_notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dialogue_id", sa.Uuid(), nullable=False),
        sa.Column("author", sa.String(length=320), nullable=False),
        sa.Column("text", sa.String(length=4000), nullable=False),
        sa.Column("at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dialogue_id"],
            ["dialogues.id"],
            name=op.f("fk_dialogue_notes_dialogue_id_dialogues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogue_notes")),
    )
    op.create_index("ix_dialogue_notes_dialogue", "dialogue_notes", ["dialogue_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_dialogue_notes_dialogue", table_name="dialogue_notes")
    op.drop_table("dialogue_notes")
    op.drop_index("ix_dialogues_due", table_name="dialogues")
    op.drop_index("ix_dialogues_district_opened", table_name="dialogues")
    op.drop_table("dialogues")
