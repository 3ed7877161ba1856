"""accounts: a sessions generation per user (deactivate and password resets end sessions), device tokens

Revision ID: 0013_accounts_devices
Revises: 0012_order_list_json
Create Date: 2026-12-05 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_accounts_devices"
down_revision = "0012_order_list_json"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sessions_generation", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "device_tokens",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("device_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("sessions_generation")
