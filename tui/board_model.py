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
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from rich.cells import cell_len

from krafta_cli import view
from krafta_cli.client import CLOSED_STATUSES, OPEN_STATUSES, Conflict, Status
from krafta_cli.workflows import MoveOutcome, advance_target, can_cancel
from tui.loading import BoardData, OpenOrders, viewer_of
from tui.presentation import (
    OrderSummary,
    actionable_statuses,
    column_statuses,
    group_by_status,
    matches,
    summarize,
)

__all__ = [
    "BoardModel",
    "BoardView",
    "Column",
    "DroppedMark",
    "Marks",
    "StuckRules",
    "column_order",
    "fit_parts",
    "stuck_first",
]

_OPEN_NAMES = tuple(s.value for s in OPEN_STATUSES)
_CLOSED_NAMES = tuple(s.value for s in CLOSED_STATUSES)
_EPOCH = datetime.min.replace(tzinfo=UTC)

T = TypeVar("T")


@dataclass(frozen=True)
class StuckRules:
    """How long an order may sit in each status, as the server published them (`stuckRules`)."""

    after: Mapping[str, timedelta] = field(default_factory=dict)

    def due(self, order: OrderSummary) -> datetime | None:
        """When `order` turns stuck (it may be past); None when its status has no rule, or when it
        is held (the server's rule: a held order is parked on purpose, never stuck)."""
        limit = self.after.get(order.status)
        if limit is None or order.entered_status_at is None or order.hold is not None:
            return None
        return order.entered_status_at + limit

    def is_stuck(self, order: OrderSummary, now: datetime) -> bool:
        due = self.due(order)
        return due is not None and now >= due


class _Marked(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def number(self) -> str: ...
    @property
    def status(self) -> str: ...


M = TypeVar("M", bound=_Marked)


@dataclass(frozen=True)
class DroppedMark:
    """A marked order that moved meanwhile: unmarked, and said so (never retargeted)."""

    number: str
    status: str | None
    """Its status now; None when it left the board (closed, or no longer shown to this user)."""

    @property
    def line(self) -> str:
        now = f"now {view.status_label(self.status)}" if self.status else "no longer on the board"
        return f"{self.number}: moved by someone else: {now}"


class Marks:
    """The marked orders (`space`), in the order they were marked, each with the status it had then.

    A mark is a promise about one status: "move this CONFIRMED order on". An order that moved
    meanwhile (someone else confirmed it, cancelled it) is unmarked and listed by `check`, never
    moved one step further than its operator meant. Ids, so marks survive refreshes and column
    changes. The moves this board sends itself are not "someone else": between `sending` and
    `settle` they are not judged.
    """

    def __init__(self) -> None:
        self._marked: dict[str, tuple[str, str]] = {}
        """id → (number, status when marked)."""
        self._sending: set[str] = set()

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._marked

    def __len__(self) -> int:
        return len(self._marked)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(self._marked)

    def toggle(self, order: _Marked) -> bool:
        """Mark or unmark one order; True when it is marked afterwards."""
        if order.id in self._marked:
            del self._marked[order.id]
            return False
        self._marked[order.id] = (order.number, order.status)
        return True

    def replace(self, orders: Iterable[_Marked]) -> None:
        self._marked = {o.id: (o.number, o.status) for o in orders}

    def discard(self, order_ids: Iterable[str]) -> None:
        for order_id in order_ids:
            self._marked.pop(order_id, None)

    def clear(self) -> None:
        self._marked.clear()

    def on_board(self, orders: Iterable[M]) -> list[M]:
        """The marked orders among `orders`, in the order they were marked."""
        found = {o.id: o for o in orders if o.id in self._marked}
        return [found[i] for i in self._marked if i in found]

    def sending(self, order_ids: Iterable[str]) -> None:
        """This board is moving these orders: their next status is ours, not someone else's."""
        self._sending.update(order_ids)

    def settle(self, outcomes: Iterable[MoveOutcome]) -> list[DroppedMark]:
        """The moves this board sent are done: a moved order is unmarked; one the server refused
        because it had moved meanwhile (a 409 naming another status) is unmarked and returned; any
        other failure stays marked for a second look."""
        dropped = []
        for outcome in outcomes:
            order_id = outcome.request.order_id
            self._sending.discard(order_id)
            if outcome.moved:
                self._marked.pop(order_id, None)
                continue
            error = outcome.error
            now = error.current_status if isinstance(error, Conflict) else None
            if order_id in self._marked and now and now != self._marked[order_id][1]:
                del self._marked[order_id]
                dropped.append(DroppedMark(outcome.number, now))
        return dropped

    def check(self, orders: Mapping[str, M], *, complete: bool) -> list[DroppedMark]:
        """Unmark and return the marked orders whose status is no longer the one they were marked in.

        `orders`: every order the board knows now, by id. An order missing from them counts as
        moved only when they are `complete` (not a first-paint preview).
        """
        dropped = []
        for order_id, (number, status) in list(self._marked.items()):
            if order_id in self._sending:
                continue
            order = orders.get(order_id)
            if order is not None and order.status == status:
                continue
            if order is None and not complete:
                continue
            del self._marked[order_id]
            dropped.append(DroppedMark(number, order.status if order else None))
        return dropped


def column_order(status: str, orders: Iterable[OrderSummary]) -> list[OrderSummary]:
    """A column's cards top to bottom.

    Open columns: the day's plan, as the server's `sort=due` orders it — rush first, then by the
    day promised (`dueAt`; none last), then oldest, by when the order entered the status
    (`enteredStatusAt`), so among equals the job waiting longest is on top and never sinks below
    the new ones; an order without that time goes last. Closed columns: newest first, as the
    server lists them (the latest are what one looks for there).
    """
    listed = list(orders)
    if status in _CLOSED_NAMES:
        return listed
    return sorted(listed, key=_planned)


def _planned(order: OrderSummary) -> tuple[bool, bool, date, bool, datetime, datetime, str]:
    entered = order.entered_status_at
    return (
        not order.rush,
        order.due is None,
        order.due or date.max,
        entered is None,
        entered or _EPOCH,
        order.created_at or _EPOCH,
        order.id,
    )


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


# How long an order a live event brought is laid over later loads that hold an older picture of it
# (a load takes well under this; a later event or load of the order ends it sooner).
RECENT_EVENTS = timedelta(seconds=60)


def _not_older(loaded: OrderSummary, brought: OrderSummary) -> bool:
    """Is the loaded card at least as new as the one the event brought (`updatedAt`)?"""
    if brought.updated_at is None:
        return True
    return loaded.updated_at is not None and loaded.updated_at >= brought.updated_at


class BoardModel:
    """The board's state; the screen asks it what to show and tells it what happened."""

    def __init__(self) -> None:
        self.user: dict[str, Any] = {}
        self.moves: dict[str, tuple[str, ...]] | None = None
        """What the user's role may do from each status, as the server published it (None: unknown)."""
        self.rules = StuckRules()
        self.open_orders: OpenOrders | None = None
        """The open orders as of the last load plus the live events since (None before a load)."""
        self.by_status: dict[str, list[OrderSummary]] = {}
        """Each column's cards in their order (`column_order`)."""
        self.actionable: dict[str, bool] = {}
        self.truncated: frozenset[str] = frozenset()
        self.show_closed = False
        self.loaded = False
        self.complete = False
        self.updated: datetime | None = None
        self.database_down_since: datetime | None = None
        """When a load first said the server's database was down (None while it answers): the
        board then shows its last known orders with the fallback's laid over (`load_board`)."""
        self.filter = ""
        self.marks = Marks()
        self.stuck_first = False
        self.live_events = 0
        """How many live events were applied (tests wait on it)."""
        self._arrived: OrderSummary | None = None
        """The card the last live event brought (judged by `check_marks` even if it left the board)."""
        self._recent: dict[str, tuple[datetime, Mapping[str, Any]]] = {}
        """Each order a live event brought in the last `RECENT_EVENTS`: when, and as it came."""

    # -- what arrives --------------------------------------------------------------------------

    def apply_load(self, data: BoardData, now: datetime) -> bool:
        """Take one answer of the server; False when it is stale (asked before the closed-orders
        toggle changed: it would fill the wrong columns) and another load is needed."""
        if viewer_of(data.user) != viewer_of(self.user):
            self.actionable = {}  # another user or role: what they may do is judged afresh
        self.user = data.user
        self.moves = data.moves
        if data.show_closed != self.show_closed:
            return False
        data = self._kept_through_outage(data)
        self.by_status = _in_column_order(data.by_status)
        self.actionable.update(actionable_statuses(o for s in _OPEN_NAMES for o in data.by_status.get(s, [])))
        self.truncated = data.truncated
        if data.open_orders is not None:
            self.open_orders = data.open_orders
        if data.stuck_rules is not None:
            self.rules = StuckRules(data.stuck_rules)
        self.loaded = True
        self.complete = data.complete
        self.updated = now
        if not data.database_down:
            self.database_down_since = None
        elif self.database_down_since is None:
            self.database_down_since = now
        self._lay_recent(now)
        return True

    def _kept_through_outage(self, data: BoardData) -> BoardData:
        """`data` with the orders this board knows kept, when the server's database is down.

        `load_board` lays the fallback's orders over the picture the load was asked with; a load
        asked before the previous answer was on screen (a first paint, then the stream's refresh)
        had none, and would show the fallback's few orders as the shop. Laid over the picture on
        screen instead, same viewer only.
        """
        known, loaded = self.open_orders, data.open_orders
        if not data.database_down or known is None or loaded is None or known.viewer != loaded.viewer:
            return data
        kept = known.with_cards(list(loaded.by_id.values()))
        by_status = group_by_status(kept.newest_first(), _OPEN_NAMES)
        for status in _CLOSED_NAMES if data.show_closed else ():
            by_status[status] = list(data.by_status.get(status, []))
        return replace(data, by_status=by_status, open_orders=kept)

    def apply_event(self, order: Mapping[str, Any], now: datetime) -> bool:
        """One order as a live event brought it: its card goes to its new column (or off the
        board). False when there is no picture yet to apply it to (a load will bring it)."""
        if self.open_orders is None:
            return False
        card = self._lay(order)
        self.updated = now
        self.live_events += 1
        self._arrived = card
        self._recent[card.id] = (now, order)
        return True

    def _lay(self, order: Mapping[str, Any]) -> OrderSummary:
        """`order`'s card in its column (or off the board), every other card as it was."""
        assert self.open_orders is not None
        card = summarize(order)
        self.open_orders = self.open_orders.updated([order])
        by_status = group_by_status(self.open_orders.newest_first(), _OPEN_NAMES)
        if self.show_closed:
            for status in _CLOSED_NAMES:
                closed = [o for o in self.by_status.get(status, []) if o.id != card.id]
                by_status[status] = [card, *closed] if card.status == status else closed
        self.by_status = _in_column_order(by_status)
        self.actionable.update(actionable_statuses([card]))
        return card

    def _lay_recent(self, now: datetime) -> None:
        """The orders live events brought lately, laid over a load that holds an older picture of
        them, or none: a load asked just before an event and answered just after it (the first
        paint, the reload when the stream connects) would put the older picture back — a new order
        appeared, then vanished until the next reload."""
        self._recent = {i: (at, o) for i, (at, o) in self._recent.items() if now - at <= RECENT_EVENTS}
        if self.open_orders is None:
            return
        for order_id, (_, order) in list(self._recent.items()):
            brought = summarize(order)
            held = self.open_orders.by_id.get(order_id)
            if held is not None and _not_older(held, brought):
                continue
            self._lay(order)

    def check_marks(self) -> list[DroppedMark]:
        """Unmark the marked orders that moved since they were marked, and say which (see `Marks`).

        Asked after every load and live event: a card a live event took out of the open columns
        is judged by the status the event gave it.
        """
        known: dict[str, OrderSummary] = {o.id: o for o in self._orders()}
        arrived, self._arrived = self._arrived, None
        if arrived is not None and arrived.id not in known:
            known[arrived.id] = arrived
        return self.marks.check(known, complete=self.complete)

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
        return column_statuses(self.actionable, show_closed=self.show_closed, moves=self.moves)

    @property
    def open_count(self) -> int:
        """The open orders in the columns shown: what the columns' counts add up to."""
        return sum(len(self.by_status.get(s, [])) for s in self.columns if s not in _CLOSED_NAMES)

    @property
    def may_cancel(self) -> bool:
        """May this user cancel at all (the server's `moves` for their role)? True when unknown."""
        return self.moves is None or any(can_cancel(targets) for targets in self.moves.values())

    @property
    def may_reject(self) -> bool:
        """May this user reject payments at all (a move to PENDING in the server's `moves` for their
        role)? True when unknown."""
        return self.moves is None or any(Status.PENDING in targets for targets in self.moves.values())

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

    def status_line(
        self, shown: int, *, live: bool, streaming: bool, refresh_interval: float | None, width: int = 0
    ) -> str:
        """`admin@… (ADMIN) · 42 open orders · filter “lara”: 3 shown · 2 marked · … · live`.

        `width` (cells; 0: no limit): the parts that matter least give way first — the "updated"
        time, then who is logged in (the header says it too), then the sort; the count, the
        filter, the marks and how the board keeps up (`live`) stay.
        """
        parts: list[tuple[int, str]] = []  # (priority: lower gives way first, text)
        if self.user:
            parts.append((1, f"{view.text(self.user.get('email'))} ({view.text(self.user.get('role'))})"))
        count = self.open_count
        orders = f"{count} open order{'' if count == 1 else 's'}"
        if self.database_down_since is not None:
            orders += " (last known)"
        if not self.loaded:
            parts.append((9, "loading…"))
        elif not self.complete:
            parts.append((9, f"newest {orders} shown, loading the rest…"))
        else:
            parts.append((9, orders))
        if self.filter:
            parts.append((7, f"filter “{view.sanitize(self.filter)}”: {shown} shown"))
        marked = len(self.marked())
        if marked:
            parts.append((8, f"{marked} marked"))
        if self.stuck_first:
            parts.append((2, "stuck first"))
        if self.updated:
            parts.append((0, f"updated {self.updated:%H:%M:%S}"))
        if self.database_down_since is not None:
            # Not "live": what the board shows is a picture from before the outage, patched.
            parts.append((9, f"database down since {self.database_down_since:%H:%M}"))
        elif live and streaming:
            parts.append((9, "live"))
        elif refresh_interval:
            why = " (live stream unavailable)" if live else ""
            parts.append((9, f"polling every {refresh_interval:g} s{why}"))
        return fit_parts(parts, width)


def fit_parts(parts: Sequence[tuple[int, str]], width: int, separator: str = " · ") -> str:
    """`parts` joined by `separator`, leaving out the lowest-priority ones (the latest of equals
    first) until the line fits `width` cells (0: no limit). What is kept keeps its place."""
    kept = list(parts)
    while width and len(kept) > 1 and cell_len(separator.join(text for _, text in kept)) > width:
        lowest = min(range(len(kept)), key=lambda i: (kept[i][0], -i))
        del kept[lowest]
    return separator.join(text for _, text in kept)


def _in_column_order(by_status: Mapping[str, Sequence[OrderSummary]]) -> dict[str, list[OrderSummary]]:
    return {status: column_order(status, orders) for status, orders in by_status.items()}
