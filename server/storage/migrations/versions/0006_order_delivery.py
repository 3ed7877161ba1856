"""order delivery: courier, tracking number and hand-over time, set by the move to HANDED_TO_DELIVERY

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: every order handed over before this release simply has no delivery data.
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_courier", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("delivery_tracking_number", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("delivery_handed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("delivery_handed_at")
        batch_op.drop_column("delivery_tracking_number")
        batch_op.drop_column("delivery_courier")
