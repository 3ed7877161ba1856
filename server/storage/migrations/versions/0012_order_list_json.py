"""orders: list_json, each order's staff JSON as stored text, so lists stop building it per request

Added empty (NULL), with `list_shape`, the digest of the builder that made a text: the text is made
from the order declaration of the server that runs, which a migration must not depend on (a later
revision may add fields to it). Reads build the JSON of a row whose text is missing or stale;
`krafta serve` and `krafta db upgrade` store them after the migrations (`order_json.fill_missing`).
A later migration that adds an order field needs nothing for it: the digest changes with the
declaration.

Revision ID: 0012_order_list_json
Revises: 0011_customer_email
Create Date: 2026-12-05 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_order_list_json"
down_revision = "0011_customer_email"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("list_json", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("list_shape", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("list_shape")
        batch_op.drop_column("list_json")
