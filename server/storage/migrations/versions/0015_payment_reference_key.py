"""payment_submissions: reference_key, what `sameReference` compares (method and the reference's
digits, leading zeros dropped), indexed

Backfilled with the server's own `desk.reference_key`, as every payment written from now on.

Revision ID: 0015_payment_reference_key
Revises: 0014_order_planning
Create Date: 2026-12-05 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.domain.desk import reference_key

revision = "0015_payment_reference_key"
down_revision = "0014_order_planning"
branch_labels = None
depends_on = None

_BATCH = 1000

_payments = sa.table(
    "payment_submissions",
    sa.column("id", sa.String),
    sa.column("method", sa.String),
    sa.column("reference", sa.String),
    sa.column("reference_key", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("payment_submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference_key", sa.String(length=80), nullable=True))
    conn = op.get_bind()
    last = ""
    while True:
        rows = conn.execute(
            sa.select(_payments.c.id, _payments.c.method, _payments.c.reference)
            .where(_payments.c.id > last)
            .order_by(_payments.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        updates = [{"k": r.id, "v": reference_key(r.method, r.reference)} for r in rows]
        conn.execute(
            _payments.update()
            .where(_payments.c.id == sa.bindparam("k"))
            .values(reference_key=sa.bindparam("v")),
            updates,
        )
        last = rows[-1].id
    op.create_index(
        "ix_payment_submissions_reference_key", "payment_submissions", ["reference_key"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_payment_submissions_reference_key", table_name="payment_submissions")
    with op.batch_alter_table("payment_submissions", schema=None) as batch_op:
        batch_op.drop_column("reference_key")
