"""An order change: what happened to one order, as the stores report it to their hooks
(`server.storage.hooks.OrderHooks`) and the live feed publishes it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["ChangeKind", "OrderChange"]

# `order.updated`: a planning change (due date, priority, hold, note) that keeps the status.
ChangeKind = Literal["order.created", "order.status_changed", "order.updated"]


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
