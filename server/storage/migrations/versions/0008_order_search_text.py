"""orders: search_text, what a list's `q` looks in (number, city, state, payer names), folded

Backfilled with the server's own `search.search_text`: neither database can fold accents the way
the server does, so the text is made in Python, as for every order written from now on.

On PostgreSQL the column gets a pg_trgm GIN index, so `LIKE '%…%'` need not read every order; when
the extension cannot be created (not installed, or no right to create it) the column stays
unindexed and searches still work, only slower. SQLite gets no index: none of its own helps a
`LIKE '%…%'`, and an FTS5 trigram table, measured, made the common searches slower and only
needles that match nothing faster (docs/API.md, Search; bench/search_bench.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:00:01
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

from server.domain.search import search_text

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

_BATCH = 1000

_orders = sa.table(
    "orders",
    sa.column("id", sa.String),
    sa.column("order_number", sa.String),
    sa.column("shipping_city", sa.String),
    sa.column("shipping_state", sa.String),
    sa.column("search_text", sa.Text),
)
_payments = sa.table(
    "payment_submissions", sa.column("order_id", sa.String), sa.column("payer_name", sa.String)
)


def _backfill(conn: sa.Connection) -> None:
    last = ""
    while True:
        rows = conn.execute(
            sa.select(_orders).where(_orders.c.id > last).order_by(_orders.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        ids = [r.id for r in rows]
        payers: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for p in conn.execute(sa.select(_payments).where(_payments.c.order_id.in_(ids))):
            payers[p.order_id].append({"payerName": p.payer_name})
        updates = [
            {
                "k": r.id,
                "s": search_text(
                    {
                        "orderNumber": r.order_number,
                        "shippingCity": r.shipping_city,
                        "shippingState": r.shipping_state,
                        "payments": payers[r.id],
                    }
                ),
            }
            for r in rows
        ]
        conn.execute(
            _orders.update().where(_orders.c.id == sa.bindparam("k")).values(search_text=sa.bindparam("s")),
            updates,
        )
        last = ids[-1]


def _trigram_index(conn: sa.Connection) -> None:
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as error:
        log.warning("pg_trgm is not available (%s): order search stays unindexed", error.orig)
        return
    conn.exec_driver_sql("CREATE INDEX ix_orders_search_trgm ON orders USING gin (search_text gin_trgm_ops)")


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
    conn = op.get_bind()
    _backfill(conn)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.alter_column("search_text", existing_type=sa.Text(), nullable=False)
    if conn.dialect.name == "postgresql":
        _trigram_index(conn)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_orders_search_trgm")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("search_text")
