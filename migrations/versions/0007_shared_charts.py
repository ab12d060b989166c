"""One chart upload per send: the ``digest_charts`` table (a round's one private upload of each distinct
chart, its file id written before any reply shows it) and the delivery state ``chart_fallback`` (the
reply showing the shared chart was refused; the chart is uploaded into the digest's own thread).

Resume rule for rows made before this revision: a ``chart_pending`` row with ``sent_at`` set had its chart
uploaded into its thread by the old code, its answer unknown. It becomes ``chart_fallback``, whose resume
looks for that uploaded file in the thread (as before), so the chart is neither doubled by a reply nor
lost. A ``chart_pending`` row without ``sent_at`` sent nothing yet and takes the new path.

Revision ID: 0007
Revises: 0006_installation
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

#: Frozen here on purpose: a migration must not change when the models do later.
UTCDateTime = sa.DateTime(timezone=True)
OLD = "status IN ('claimed', 'chart_pending', 'posted', 'failed', 'missed', 'skipped')"
NEW = "status IN ('claimed', 'chart_pending', 'chart_fallback', 'posted', 'failed', 'missed', 'skipped')"

revision = "0007"
down_revision = "0006_installation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_charts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("object_id", sa.String, nullable=False),
        sa.Column("send_id", sa.String, nullable=False),
        sa.Column("span_start", sa.Date, nullable=False),
        sa.Column("digest_day", sa.Date, nullable=False),
        sa.Column("file_id", sa.String),
        sa.Column("holder", sa.String),
        sa.Column("heartbeat_at", UTCDateTime),
        sa.Column("uploaded_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("kind", "object_id", "send_id", "span_start", "digest_day", name="uq_digest_charts_key"),
    )
    with op.batch_alter_table("digest_deliveries") as batch:
        batch.drop_constraint("ck_deliveries_status", type_="check")
        batch.create_check_constraint("ck_deliveries_status", NEW)
    op.execute(
        "UPDATE digest_deliveries SET status = 'chart_fallback' WHERE status = 'chart_pending' AND sent_at IS NOT NULL"
    )


def downgrade() -> None:
    # The code before this revision uploads every chart into its thread and looks for an unsure one there:
    # a fallback row is a chart_pending row to it. (A chart_pending row whose reply was sent is resumed by
    # an upload after a thread look-up that cannot see the reply: its chart may show twice, never lost.)
    op.execute("UPDATE digest_deliveries SET status = 'chart_pending' WHERE status = 'chart_fallback'")
    with op.batch_alter_table("digest_deliveries") as batch:
        batch.drop_constraint("ck_deliveries_status", type_="check")
        batch.create_check_constraint("ck_deliveries_status", OLD)
    op.drop_table("digest_charts")
