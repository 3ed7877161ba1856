"""The board's state as a pure model: what the screen shows, from what the server said and "now".

`BoardModel` keeps the orders by status (the open ones as `OpenOrders`, brought up to date by
loads and live events; the latest closed ones while they are shown), who is looking, the stuck
rules the server published, the `/` filter, the marks and the sort. The screen
(`tui.screens.board`) keeps keys and layout: it hands the model what arrives (`apply_load`,
`apply_event`), draws what `view(now)` says, and sets one timer for `next_stuck_at(now)`, so a
card turns stuck the moment its time passes, with no reload and no poll.

Stuck is the server's rule read the server's way: an order is stuck iff its status has a rule
and now − `enteredStatusAt` ≥ the rule (`StuckRules`); the rules come with every staff answer of
`GET /api/orders` (`stuckRules`). No Textual and no I/O here: tests/unit/test_board_model.py drives
it without Pilot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from krafta_cli import view
from krafta_cli.client import CLOSED_STATUSES, OPEN_STATUSES
from krafta_cli.workflows import advance_target, can_cancel
from tui.loading import BoardData, OpenOrders, viewer_of
from tui.presentation import (
    OrderSummary,
    actionable_statuses,
    column_statuses,
    group_by_status,
    matches,
    summarize,
)

__all__ = ["BoardModel", "BoardView", "Column", "Marks", "StuckRules", "stuck_first"]

_OPEN_NAMES = tuple(s.value for s in OPEN_STATUSES)
_CLOSED_NAMES = tuple(s.value for s in CLOSED_STATUSES)

T = TypeVar("T")


@dataclass(frozen=True)
class StuckRules:
    """How long an order may sit in each status, as the server published them (`stuckRules`)."""

    after: Mapping[str, timedelta] = field(default_factory=dict)

    def due(self, order: OrderSummary) -> datetime | None:
        """When `order` turns stuck (it may be past); None when its status has no rule."""
        limit = self.after.get(order.status)
        if limit is None or order.entered_status_at is None:
            return None
        return order.entered_status_at + limit

    def is_stuck(self, order: OrderSummary, now: datetime) -> bool:
        due = self.due(order)
        return due is not None and now >= due


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


M = TypeVar("M", bound=_Identified)


class Marks:
    """The marked order ids (`space`), in the order they were marked.

    Ids, so marks survive refreshes and column changes; an id whose order left the board (moved by
    someone else, filtered out) simply does not count until it is back.
    """

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


@dataclass(frozen=True)
class Column:
    """One column as shown: its status, its orders through the filter and the sort, and whether
    they are only the newest of that status (`more`: the count reads "40+")."""

    status: str
    orders: list[OrderSummary]
    more: bool


@dataclass(frozen=True)
class BoardView:
    """What the screen draws at one instant."""

    columns: tuple[Column, ...]
    stuck: frozenset[str]
    """Ids of the stuck orders on the board."""
    marked: frozenset[str]

    @property
    def shown(self) -> int:
        return sum(len(c.orders) for c in self.columns)

    def column(self, status: str) -> Column | None:
        return next((c for c in self.columns if c.status == status), None)


class BoardModel:
    """The board's state; the screen asks it what to show and tells it what happened."""

    def __init__(self) -> None:
        self.user: dict[str, Any] = {}
        self.rules = StuckRules()
        self.open_orders: OpenOrders | None = None
        """The open orders as of the last load plus the live events since (None before a load)."""
        self.by_status: dict[str, list[OrderSummary]] = {}
        self.actionable: dict[str, bool] = {}
        self.truncated: frozenset[str] = frozenset()
        self.show_closed = False
        self.loaded = False
        self.complete = False
        self.updated: datetime | None = None
        self.filter = ""
        self.marks = Marks()
        self.stuck_first = False
        self.live_events = 0
        """How many live events were applied (tests wait on it)."""

    # -- what arrives --------------------------------------------------------------------------

    def apply_load(self, data: BoardData, now: datetime) -> bool:
        """Take one answer of the server; False when it is stale (asked before the closed-orders
        toggle changed: it would fill the wrong columns) and another load is needed."""
        if viewer_of(data.user) != viewer_of(self.user):
            self.actionable = {}  # another user or role: what they may do is judged afresh
        self.user = data.user
        if data.show_closed != self.show_closed:
            return False
        self.by_status = data.by_status
        self.actionable.update(actionable_statuses(o for s in _OPEN_NAMES for o in data.by_status.get(s, [])))
        self.truncated = data.truncated
        if data.open_orders is not None:
            self.open_orders = data.open_orders
        if data.stuck_rules is not None:
            self.rules = StuckRules(data.stuck_rules)
        self.loaded = True
        self.complete = data.complete
        self.updated = now
        return True

    def apply_event(self, order: Mapping[str, Any], now: datetime) -> bool:
        """One order as a live event brought it: its card goes to its new column (or off the
        board). False when there is no picture yet to apply it to (a load will bring it)."""
        if self.open_orders is None:
            return False
        card = summarize(order)
        self.open_orders = self.open_orders.updated([order])
        by_status = group_by_status(self.open_orders.newest_first(), _OPEN_NAMES)
        if self.show_closed:
            for status in _CLOSED_NAMES:
                closed = [o for o in self.by_status.get(status, []) if o.id != card.id]
                by_status[status] = [card, *closed] if card.status == status else closed
        self.by_status = by_status
        self.actionable.update(actionable_statuses([card]))
        self.updated = now
        self.live_events += 1
        return True

    # -- what the operator changes ------------------------------------------------------------

    def set_filter(self, text: str) -> None:
        self.filter = text.strip()

    def toggle_stuck_first(self) -> None:
        self.stuck_first = not self.stuck_first

    def toggle_closed(self) -> None:
        self.show_closed = not self.show_closed

    # -- what the screen asks ------------------------------------------------------------------

    @property
    def columns(self) -> tuple[str, ...]:
        """The statuses that get a column, in pipeline order (see `column_statuses`)."""
        return column_statuses(self.actionable, show_closed=self.show_closed)

    @property
    def open_count(self) -> int:
        return sum(len(v) for k, v in self.by_status.items() if k not in _CLOSED_NAMES)

    def _orders(self) -> Iterable[OrderSummary]:
        return (o for orders in self.by_status.values() for o in orders)

    def view(self, now: datetime) -> BoardView:
        """The columns through the filter and the sort, and which cards are stuck or marked."""
        stuck = frozenset(o.id for o in self._orders() if self.rules.is_stuck(o, now))
        columns = []
        for status in self.columns:
            orders = self.by_status.get(status, [])
            if self.filter:
                orders = [o for o in orders if matches(o, self.filter)]
            if self.stuck_first:
                orders = stuck_first(orders, (o.id in stuck for o in orders))
            columns.append(Column(status, list(orders), status in self.truncated))
        return BoardView(tuple(columns), stuck, self.marks.ids)

    def next_stuck_at(self, now: datetime) -> datetime | None:
        """When the next order on the board turns stuck (after `now`); None when none will."""
        dues = (self.rules.due(o) for o in self._orders())
        return min((due for due in dues if due is not None and due > now), default=None)

    def marked(self) -> list[OrderSummary]:
        """The marked orders on the board now (in any column, shown by the filter or not)."""
        return self.marks.on_board(self._orders())

    def can_advance(self, selected: OrderSummary | None) -> bool:
        """Is `a` offered: a marked order, else the selected one, has somewhere to go?"""
        if any(advance_target(o.next_statuses) for o in self.marked()):
            return True
        return selected is not None and advance_target(selected.next_statuses) is not None

    def can_cancel(self, selected: OrderSummary | None) -> bool:
        """Is `c` offered: the server offers CANCELLED to this user for a marked or the selected order?"""
        if any(can_cancel(o.next_statuses) for o in self.marked()):
            return True
        return selected is not None and can_cancel(selected.next_statuses)

    def status_line(self, shown: int, *, live: bool, streaming: bool, refresh_interval: float | None) -> str:
        """`admin@… (ADMIN) · 42 open orders · filter “lara”: 3 shown · 2 marked · … · live`."""
        parts: list[str] = []
        if self.user:
            parts.append(f"{view.text(self.user.get('email'))} ({view.text(self.user.get('role'))})")
        if not self.loaded:
            parts.append("loading…")
        elif not self.complete:
            parts.append(f"newest {self.open_count} open orders shown, loading the rest…")
        else:
            parts.append(f"{self.open_count} open orders")
        if self.filter:
            parts.append(f"filter “{view.sanitize(self.filter)}”: {shown} shown")
        marked = len(self.marked())
        if marked:
            parts.append(f"{marked} marked")
        if self.stuck_first:
            parts.append("stuck first")
        if self.updated:
            parts.append(f"updated {self.updated:%H:%M:%S}")
        if live and streaming:
            parts.append("live")
        elif refresh_interval:
            why = " (live stream unavailable)" if live else ""
            parts.append(f"polling every {refresh_interval:g} s{why}")
        return " · ".join(parts)
