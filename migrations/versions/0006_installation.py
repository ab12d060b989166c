"""The install's salt (one row), which keys the install's tagged Slack messages so that a look-up never
takes another deployment's message (a staging copy of the same app) for its own.

Revision ID: 0006_installation
Revises: 0004_subscription_target
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

#: Frozen here on purpose: a migration must not change when the models do later.
UTCDateTime = sa.DateTime(timezone=True)

revision = "0006_installation"
down_revision = "0004_subscription_target"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "installation",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("salt", sa.String, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_installation_one_row"),
    )


def downgrade() -> None:
    op.drop_table("installation")
