"""Feedback answers hold their place in the address's daily share; schools get a training date;
families answer the survey themselves

`feedback_answers.address_slot` numbers an address's answers to a school on a day (0, 1, ...),
unique with the school, day and address: two answers at once from one address can't take the
same place, so the daily cap holds without a lock. `feedback_schools.training_on` is the day
HR says the school was trained, which overrides the date computed from its roster. A survey a
family sends from the public page keeps the same keyed hashes and place as a feedback answer (a
device once a school a day, an address's daily share); those staff enter have none.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feedback_answers") as batch:
        batch.add_column(sa.Column("address_slot", sa.Integer(), nullable=True))
    # Answers already stored take their places in the order they arrived.
    op.execute(
        """
        UPDATE feedback_answers SET address_slot = (
            SELECT count(*) FROM feedback_answers AS earlier
            WHERE earlier.school_id = feedback_answers.school_id
                AND earlier.day = feedback_answers.day
                AND earlier.address_key = feedback_answers.address_key
                AND (earlier.received_at < feedback_answers.received_at
                    OR (earlier.received_at = feedback_answers.received_at
                        AND earlier.id < feedback_answers.id))
        )
        """
    )
    with op.batch_alter_table("feedback_answers") as batch:
        batch.alter_column("address_slot", existing_type=sa.Integer(), nullable=False)
        batch.drop_index("ix_feedback_answers_address")
        batch.create_index(
            "uq_feedback_answers_address_slot",
            ["school_id", "day", "address_key", "address_slot"],
            unique=True,
        )
    with op.batch_alter_table("feedback_schools") as batch:
        batch.add_column(sa.Column("training_on", sa.Date(), nullable=True))
    with op.batch_alter_table("family_surveys") as batch:
        batch.add_column(sa.Column("device_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("address_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("address_slot", sa.Integer(), nullable=True))
        batch.create_index(
            "uq_family_surveys_device", ["school_id", "answered_on", "device_key"], unique=True
        )
        batch.create_index(
            "uq_family_surveys_address_slot",
            ["school_id", "answered_on", "address_key", "address_slot"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("family_surveys") as batch:
        batch.drop_index("uq_family_surveys_address_slot")
        batch.drop_index("uq_family_surveys_device")
        batch.drop_column("address_slot")
        batch.drop_column("address_key")
        batch.drop_column("device_key")
    with op.batch_alter_table("feedback_schools") as batch:
        batch.drop_column("training_on")
    with op.batch_alter_table("feedback_answers") as batch:
        batch.drop_index("uq_feedback_answers_address_slot")
        batch.create_index("ix_feedback_answers_address", ["school_id", "day", "address_key"], unique=False)
        batch.drop_column("address_slot")
