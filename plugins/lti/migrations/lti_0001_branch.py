"""lti: the plugin's own branch. Its tables were made by the app's revisions 0006, 0007 and 0009,
before plugins had migrations; from here on the plugin changes them in this folder.

Revision ID: lti_0001
Revises:
"""

from collections.abc import Sequence

revision: str = "lti_0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = ("lti",)
depends_on: Sequence[str] | None = ("0009",)


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
