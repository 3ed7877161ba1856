"""Hooks called on every order change: the seam live events (SSE, PostgreSQL NOTIFY) plug into.

    in_transaction(conn, change)  LAST inside the database transaction of every create, move and
                                  replay import (`change.replayed`), before commit: a NOTIFY or an
                                  events-table row sent here commits or rolls back with the change
    after_commit(change)          after that transaction committed (in-process fan-out, SQLite)
    after_fallback(change)        after a create or a move was written to a fallback file

The default hooks do nothing. `Services.build(settings, hooks=...)` takes a subclass of `OrderHooks`;
`order_view.render_for(order, principal)` renders the order as a given subscriber may see it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection

__all__ = ["ChangeKind", "OrderChange", "OrderHooks"]

ChangeKind = Literal["order.created", "order.status_changed"]


@dataclass(frozen=True)
class OrderChange:
    """What happened to one order, with the order itself (`order`: the staff record, wire shape).

    `replayed` marks the database insert of an order first taken into the fallback (the replay):
    its `order.created` was already announced through `after_fallback`.
    """

    kind: ChangeKind
    order_id: str
    order_number: str
    from_status: str | None
    to_status: str
    at: str  # ISO 8601, as on the order
    actor_id: str | None = None
    storage: Literal["database", "fallback"] = "database"
    order: Mapping[str, Any] | None = None
    replayed: bool = False

    @classmethod
    def of(
        cls,
        kind: ChangeKind,
        record: Mapping[str, Any],
        from_status: str | None,
        *,
        actor_id: str | None = None,
        storage: Literal["database", "fallback"] = "database",
        replayed: bool = False,
    ) -> OrderChange:
        return cls(
            kind=kind,
            order_id=record["id"],
            order_number=record["orderNumber"],
            from_status=from_status,
            to_status=record["status"],
            at=record["updatedAt"],
            actor_id=actor_id if actor_id is not None else record.get("userId"),
            storage=storage,
            # The fallback's bookkeeping (`_krafta`) never leaves the store.
            order={**{k: v for k, v in record.items() if k != "_krafta"}, "storage": storage},
            replayed=replayed,
        )


class OrderHooks:
    """No-op hooks; subclass and override. A hook that raises inside the transaction aborts the write."""

    def in_transaction(self, conn: Connection, change: OrderChange) -> None:
        """Called inside the write transaction (same connection) of every database create/move/import."""

    def after_commit(self, change: OrderChange) -> None:
        """Called after the database transaction committed."""

    def after_fallback(self, change: OrderChange) -> None:
        """Called after a create or move was written to the fallback (the database was unavailable)."""
