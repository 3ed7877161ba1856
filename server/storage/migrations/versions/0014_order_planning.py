"""orders: due date, priority and hold; history entries: their kind (issue 15, planning the day)

Revision ID: 0014_order_planning
Revises: 0013_accounts_devices
Create Date: 2026-12-05 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_order_planning"
down_revision = "0013_accounts_devices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Orders placed before planning: no promised day, normal priority, not held; every entry of
    # their history was a status change (`move`).
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("priority", sa.String(length=8), nullable=False, server_default="normal")
        )
        batch_op.add_column(sa.Column("hold_reason", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("hold_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("hold_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("hold_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("hold_by", sa.String(length=254), nullable=True))
        batch_op.create_index("ix_orders_due_at", ["due_at"])
        batch_op.create_index("ix_orders_hold_until", ["hold_until"])
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="move"))


def downgrade() -> None:
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_hold_until")
        batch_op.drop_index("ix_orders_due_at")
        for column in ("hold_by", "hold_at", "hold_until", "hold_note", "hold_reason", "priority", "due_at"):
            batch_op.drop_column(column)
