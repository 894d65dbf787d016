"""assignments: learners linked to roster employees by hand, modules assigned with due dates,
and the overdue notices sent

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both backends: a batch copy of learners on SQLite would drop the
    # table its attempts and completions cascade from, and SQLite's ALTER takes the reference
    # only inline.
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # A downgrade on SQLite leaves the column (see below): take it as it is.
        if "roster_employee_id" not in {c["name"] for c in sa.inspect(bind).get_columns("learners")}:
            op.execute(
                "ALTER TABLE learners ADD COLUMN roster_employee_id CHAR(32) "
                "CONSTRAINT fk_learners_roster_employee_id_roster_employees "
                "REFERENCES roster_employees (id) ON DELETE SET NULL"
            )
    else:
        op.add_column("learners", sa.Column("roster_employee_id", sa.Uuid(), nullable=True))
        op.create_foreign_key(
            op.f("fk_learners_roster_employee_id_roster_employees"),
            "learners",
            "roster_employees",
            ["roster_employee_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_index("uq_learners_roster_employee", "learners", ["roster_employee_id"], unique=True)
    op.create_table(
        "assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("module_id", sa.String(length=64), nullable=False),
        sa.Column("school_code", sa.String(length=50), nullable=False),
        sa.Column("role_code", sa.String(length=50), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_assignments_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint(
            "district_id", "module_id", "school_code", "role_code", name=op.f("uq_assignments_district_id")
        ),
    )
    op.create_index("ix_assignments_due_at", "assignments", ["due_at"], unique=False)
    op.create_table(
        "assignment_notices",
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("roster_employee_id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("sent_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_assignment_notices_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["roster_employee_id"],
            ["roster_employees.id"],
            name=op.f("fk_assignment_notices_roster_employee_id_roster_employees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_assignment_notices_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assignment_id", "roster_employee_id", name=op.f("pk_assignment_notices")),
    )


def downgrade() -> None:
    op.drop_table("assignment_notices")
    op.drop_index("ix_assignments_due_at", table_name="assignments")
    op.drop_table("assignments")
    op.drop_index("uq_learners_roster_employee", table_name="learners")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a referencing column only by copying the table, and dropping the old
        # learners would cascade to every attempt and completion: the unused column stays.
        return
    op.drop_constraint("fk_learners_roster_employee_id_roster_employees", "learners", type_="foreignkey")
    op.drop_column("learners", "roster_employee_id")
