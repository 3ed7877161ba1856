"""The board's set of open orders, kept between refreshes and brought up to date incrementally.

A full load of 5,000 open orders costs the server ~1.6 s of work (bench/results/board.json); a board
refreshing every 5 s would keep a third of a core busy for nothing. After one full load the board
asks only for what changed (`updatedSince`), and reloads in full now and then to heal anything an
incremental step could miss (clock skew between server instances, a role change).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from krafta_cli.client import Order
from tui.presentation import OrderSummary, summarize

__all__ = ["FULL_RELOAD_EVERY", "OVERLAP", "OpenOrders"]

# Incremental refreshes between two full loads (about a minute at the default 5 s interval).
FULL_RELOAD_EVERY = 12
# Asked again on every step: a change committed by another instance a moment "before" our last
# watermark (clocks differ slightly) is still seen. Re-reading a few orders costs nothing.
OVERLAP = timedelta(seconds=5)


@dataclass(frozen=True)
class OpenOrders:
    role: str | None
    statuses: tuple[str, ...]
    by_id: dict[str, OrderSummary] = field(default_factory=dict)
    watermark: datetime | None = None
    steps_left: int = FULL_RELOAD_EVERY

    @classmethod
    def full(cls, role: str | None, statuses: Sequence[str], orders: Iterable[OrderSummary]) -> OpenOrders:
        by_id = {o.id: o for o in orders}
        return cls(role=role, statuses=tuple(statuses), by_id=by_id, watermark=_latest(by_id.values(), None))

    def usable_for(self, role: str | None, statuses: Sequence[str]) -> bool:
        # With no watermark (an empty board) "changed since" would mean every order ever: load in full.
        return (
            self.watermark is not None
            and self.steps_left > 0
            and self.role == role
            and self.statuses == tuple(statuses)
        )

    def since(self) -> str | None:
        return None if self.watermark is None else (self.watermark - OVERLAP).isoformat()

    def updated(self, changes: Iterable[Order]) -> OpenOrders:
        """A new set with `changes` applied: an order now closed (or cancelled) leaves the board."""
        by_id = dict(self.by_id)
        changed = [summarize(o) for o in changes]
        for order in changed:
            if order.status in self.statuses:
                by_id[order.id] = order
            else:
                by_id.pop(order.id, None)
        return replace(
            self, by_id=by_id, watermark=_latest(changed, self.watermark), steps_left=self.steps_left - 1
        )

    def newest_first(self) -> list[OrderSummary]:
        """As the server sorts them: `createdAt` descending, ties by id."""
        return sorted(
            self.by_id.values(), key=lambda o: (o.created_at is not None, o.created_at, o.id), reverse=True
        )


def _latest(orders: Iterable[OrderSummary], start: datetime | None) -> datetime | None:
    latest = start
    for order in orders:
        if order.updated_at is not None and (latest is None or order.updated_at > latest):
            latest = order.updated_at
    return latest
