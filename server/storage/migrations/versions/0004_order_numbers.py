"""order_numbers: the registry of order numbers handed out or leased, so numbers never collide

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 05:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_numbers",
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("lessee", sa.String(length=80), nullable=False),
        sa.Column("leased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    # Numbers of existing orders are taken: no lease may hand them out again.
    op.execute(
        "INSERT INTO order_numbers (number, lessee, leased_at) "
        "SELECT order_number, 'order', created_at FROM orders"
    )


def downgrade() -> None:
    op.drop_table("order_numbers")
