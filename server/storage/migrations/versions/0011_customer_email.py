"""orders: the customer's e-mail as the order was placed (null for guests), for staff views

Revision ID: 0011_customer_email
Revises: 0010_payment_reject_reason
Create Date: 2026-12-05 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_customer_email"
down_revision = "0010_payment_reject_reason"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_email", sa.String(length=254), nullable=True))
    # Orders placed before this release: the account's e-mail now (the best there is); guests stay null.
    op.execute(
        "UPDATE orders SET customer_email = (SELECT users.email FROM users WHERE users.id = orders.user_id) "
        "WHERE orders.user_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("customer_email")
