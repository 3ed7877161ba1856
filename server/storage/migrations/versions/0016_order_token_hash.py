"""orders: order_token_hash, the SHA-256 of the token that lets a guest open the order again

Orders placed before have none: only their owners (with a session) and staff open them.

Revision ID: 0016_order_token_hash
Revises: 0015_payment_reference_key
Create Date: 2026-12-05 06:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_order_token_hash"
down_revision = "0015_payment_reference_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_token_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("order_token_hash")
