"""orders: the recipient's name, phone and ID number (for tickets and the courier's manifest)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: orders placed before this release have no recipient on record.
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient_name", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("recipient_phone", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("recipient_id_number", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("recipient_id_number")
        batch_op.drop_column("recipient_phone")
        batch_op.drop_column("recipient_name")
