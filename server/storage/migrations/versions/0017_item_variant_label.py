"""order_items: variant_label, the variant's attributes as one label when the order was placed

Items stored before have none (null): the clients show the variant id alone for them.

Revision ID: 0017_item_variant_label
Revises: 0016_order_token_hash
Create Date: 2026-12-05 06:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_item_variant_label"
down_revision = "0016_order_token_hash"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant_label", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.drop_column("variant_label")
