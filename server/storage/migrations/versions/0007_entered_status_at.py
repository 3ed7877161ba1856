"""orders: entered_status_at, when the order entered its status (the stuck rule's one input)

Backfilled with the rule that computed it before it was stored, `records.entered_from_history`
(the newest history entry into the order's status whose from ≠ to, else its creation time), so an
upgraded database marks exactly the orders stuck that it marked before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from server.domain.records import entered_from_history

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BATCH = 1000

_orders = sa.table(
    "orders",
    sa.column("id", sa.String),
    sa.column("status", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("entered_status_at", sa.DateTime(timezone=True)),
)
_events = sa.table(
    "order_events",
    sa.column("order_id", sa.String),
    sa.column("from_status", sa.String),
    sa.column("to_status", sa.String),
    sa.column("at", sa.DateTime(timezone=True)),
)


def _iso(value: Any) -> str:
    # SQLite hands back naive UTC (what the server stores there), PostgreSQL an aware datetime.
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def _backfill(conn: sa.Connection) -> None:
    sqlite = conn.dialect.name == "sqlite"
    last = ""
    while True:
        rows = conn.execute(
            sa.select(_orders).where(_orders.c.id > last).order_by(_orders.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        ids = [r.id for r in rows]
        history: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in conn.execute(sa.select(_events).where(_events.c.order_id.in_(ids))):
            history[e.order_id].append(
                {"fromStatus": e.from_status, "toStatus": e.to_status, "at": _iso(e.at)}
            )
        updates = []
        for r in rows:
            record = {"status": r.status, "createdAt": _iso(r.created_at), "history": history[r.id]}
            entered = datetime.fromisoformat(entered_from_history(record) or record["createdAt"])
            updates.append({"k": r.id, "e": entered.replace(tzinfo=None) if sqlite else entered})
        conn.execute(
            _orders.update()
            .where(_orders.c.id == sa.bindparam("k"))
            .values(entered_status_at=sa.bindparam("e")),
            updates,
        )
        last = ids[-1]


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entered_status_at", sa.DateTime(timezone=True), nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.alter_column("entered_status_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index("ix_orders_status_entered", ["status", "entered_status_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_status_entered")
        batch_op.drop_column("entered_status_at")
