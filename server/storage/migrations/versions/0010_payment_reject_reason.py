"""payment_submissions: why an ADMIN rejected a payment (the payment desk, issue 16)

Revision ID: 0010_payment_reject_reason
Revises: 0009
Create Date: 2026-12-05 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Named by topic: several changes of this round add a migration; the chain is set at landing.
revision = "0010_payment_reject_reason"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: only a rejected payment has a reason.
    with op.batch_alter_table("payment_submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reject_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payment_submissions", schema=None) as batch_op:
        batch_op.drop_column("reject_reason")
