"""webhooks: the plugin's own branch. Its table was made by the app's revision 0004, before
plugins had migrations; from here on the plugin changes it in this folder.

Revision ID: webhooks_0001
Revises:
"""

from collections.abc import Sequence

revision: str = "webhooks_0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = ("webhooks",)
depends_on: Sequence[str] | None = ("0004",)


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
