"""Marked cards: what `space` picks and `a` / `c` then act on together (pure, no Textual).

Marks are order ids, so they survive refreshes and column changes; an id whose order left the
board (moved by someone else, filtered out) simply does not count until it is back. What
each marked order then moves to is `krafta_cli.workflows.plan_moves`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

__all__ = ["Markable", "Marks", "stuck_first"]


class Markable(Protocol):
    """What a mark needs of an order (its `OrderSummary`): the id."""

    @property
    def id(self) -> str: ...


M = TypeVar("M", bound=Markable)
T = TypeVar("T")


class Marks:
    """The set of marked order ids, in the order they were marked."""

    def __init__(self) -> None:
        self._ids: dict[str, None] = {}

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(self._ids)

    def toggle(self, order_id: str) -> bool:
        """Mark or unmark one order; True when it is marked afterwards."""
        if order_id in self._ids:
            del self._ids[order_id]
            return False
        self._ids[order_id] = None
        return True

    def replace(self, order_ids: Iterable[str]) -> None:
        self._ids = dict.fromkeys(order_ids)

    def discard(self, order_ids: Iterable[str]) -> None:
        for order_id in order_ids:
            self._ids.pop(order_id, None)

    def clear(self) -> None:
        self._ids.clear()

    def on_board(self, orders: Iterable[M]) -> list[M]:
        """The marked orders among `orders`, in the order they were marked."""
        found = {o.id: o for o in orders if o.id in self._ids}
        return [found[i] for i in self._ids if i in found]


def stuck_first(orders: Sequence[T], stuck: Iterable[bool]) -> list[T]:
    """`orders` with the stuck ones first, each group keeping its order (stable)."""
    flags = list(stuck)
    return [o for o, s in zip(orders, flags, strict=True) if s] + [
        o for o, s in zip(orders, flags, strict=True) if not s
    ]
