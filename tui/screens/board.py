"""The board: one column per status, a card per order, and the keys that move orders on.

The screen keeps keys and layout. What is on the board — orders by status, the filter, the marks,
the sort, which cards are stuck — is `tui.board_model.BoardModel`; the network (loads, the live
stream, moves) is `tui.connection.BoardConnection`, a child that reports by messages. Attributes
down, messages up: the screen gets its client, clock and settings in `__init__` and reports what
the app must know by messages (`Loaded` here; `ClientFailed`, `OrderMoved`, `ServerAnswered`,
`MovesDone` from the connection bubble through). It never imports the app.

Stuck without a reload: after every change the screen asks the model when the next card turns
stuck and sets one timer for that instant, so a card turns stuck the moment its time passes,
also while the live stream is up and no load happens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Input, Static

from krafta_cli import view
from krafta_cli.client import RESYNC, KraftaClient, Status
from krafta_cli.literal import literal
from krafta_cli.workflows import (
    BatchOrder,
    MoveRequest,
    plan_move,
    plan_moves,
    release_change,
    rush_change,
    tickets_name,
)
from tui.board_model import BoardModel, DroppedMark
from tui.connection import BoardConnection
from tui.loading import CLOSED_LIMIT, BoardData, LoadPolicy
from tui.messages import MovesDone, PlansDone
from tui.presentation import OrderSummary
from tui.screens.batches import BatchesScreen
from tui.screens.cancel_note import CancelDialog, ConfirmReusedDialog, RejectDialog
from tui.screens.detail import DetailScreen
from tui.screens.handover import CourierMemory, confirm_moves
from tui.screens.help import HelpScreen
from tui.screens.plan import DueDialog, HoldDialog, NoteDialog
from tui.screens.scan import ScanScreen
from tui.widgets.banner import DatabaseBanner, OfflineBanner
from tui.widgets.column import OrderColumn
from tui.widgets.footer import FittedFooter

__all__ = ["BoardScreen"]


# A card needs ~20 cells for "KRFT-482031  24 min" (bar, number, gap, age) plus its border: at
# 160 columns all seven statuses fit side by side, at 80 three do and the row scrolls sideways.
MIN_COLUMN_WIDTH = 22

_MOVE = Binding.Group("move", compact=True)

# What the footer keeps when the terminal is narrow, most important first; other keys give way
# (they are all in `?`). Help and quit stay, or nothing says how to find the rest or leave.
FOOTER_KEEPS = (
    "help",
    "quit",
    "advance",
    "cancel_order",
    "open_order",
    "toggle_mark",
    "filter",
    "clear_filter",
)


class _Columns(HorizontalScroll, can_focus=False):
    """The row of columns; scrolls sideways on narrow terminals, never takes the focus."""


class BoardScreen(Screen[None]):
    """Columns in pipeline order; the keys act on the selected card of the active column."""

    # Nothing takes the focus: the screen's own bindings drive the columns. ("" rather than
    # None, which would fall back to the app's "focus the first focusable widget".)
    AUTO_FOCUS = ""

    BINDINGS = [
        Binding(
            "up,k", "cursor_up", "Card above", id="board.up", group=_MOVE, tooltip="Select the card above"
        ),
        Binding(
            "down,j",
            "cursor_down",
            "Card below",
            id="board.down",
            group=_MOVE,
            tooltip="Select the card below",
        ),
        Binding(
            "left,h", "cursor_left", "Column left", id="board.left", group=_MOVE, tooltip="Previous column"
        ),
        Binding(
            "right,l", "cursor_right", "Column right", id="board.right", group=_MOVE, tooltip="Next column"
        ),
        Binding(
            "enter", "open_order", "Details", id="board.open", tooltip="Shipping, items, payment, history"
        ),
        Binding(
            "space",
            "toggle_mark",
            "Mark",
            id="board.mark",
            tooltip="Mark or unmark the card: a and c then act on every marked card",
        ),
        Binding(
            "a",
            "advance",
            "Advance",
            id="board.advance",
            tooltip="Move to the next status — the marked cards, else this one (asks first)",
        ),
        Binding(
            "c",
            "cancel_order",
            "Cancel",
            id="board.cancel",
            tooltip="Cancel with a note (ADMIN) — the marked cards, else this one",
        ),
        Binding(
            "x",
            "reject_payment",
            "Reject",
            id="board.reject",
            tooltip="Reject this REPORTED order's payment with a reason the customer sees (ADMIN; asks)",
            show=False,
        ),
        Binding(
            "exclamation_mark",
            "toggle_rush",
            "Rush",
            id="board.rush",
            tooltip="Rush (first in its column) or back to normal — the marked cards, else this one",
            # In the help and the palette, not the footer: at 80 columns the footer keeps the moving keys.
            show=False,
        ),
        Binding(
            "H",
            "hold",
            "Hold",
            id="board.hold",
            tooltip="Hold with a reason (asks), or release a held order — the marked cards, else this one",
            show=False,
        ),
        Binding(
            "D",
            "due",
            "Due",
            id="board.due",
            tooltip="Set the day promised (asks) — the marked cards, else this one",
            show=False,
        ),
        Binding(
            "n",
            "note",
            "Note",
            id="board.note",
            tooltip="Add a note to this order's timeline (asks)",
            show=False,
        ),
        Binding(
            "b",
            "batches",
            "Batches",
            id="board.batches",
            tooltip="Production batches by product and variant; enter marks a batch's orders",
        ),
        Binding(
            "s",
            "toggle_stuck_first",
            "Stuck first",
            id="board.stuck_first",
            tooltip="Sort each column with the orders the server says are stuck on top",
        ),
        Binding("slash", "filter", "Filter", id="board.filter", tooltip="Filter by number, city or payer"),
        Binding(
            "escape",
            "clear_filter",
            "Clear",
            id="board.clear_filter",
            tooltip="Clear the filter, else unmark every marked card",
        ),
        Binding("r", "refresh", "Refresh", id="board.refresh", tooltip="Fetch the orders now"),
        Binding(
            "p",
            "print_tickets",
            "Tickets",
            id="board.tickets",
            tooltip="Job tickets (PDF) for the marked cards, else this one, to a file in this folder",
            # In the help, not the footer: at 80 columns the footer keeps the moving keys.
            show=False,
        ),
        Binding(
            "colon",
            "scan",
            "Scan",
            id="board.scan",
            tooltip="A scan field: each scan moves that order one step, as `krafta scan` does",
            show=False,
        ),
        Binding(
            "t",
            "toggle_closed",
            "Closed",
            id="board.toggle_closed",
            tooltip="Show/hide COMPLETED and CANCELLED",
        ),
        Binding(
            "question_mark", "help", "Help", id="board.help", tooltip="Every key, and what the colours mean"
        ),
    ]

    class Loaded(Message):
        """An answer from the server is on screen (`data.complete` once every open order is)."""

        def __init__(self, data: BoardData, columns: tuple[str, ...]) -> None:
            super().__init__()
            self.data = data
            self.columns = columns
            """The statuses shown as columns, in order."""

    def __init__(
        self,
        client: KraftaClient,
        *,
        clock: Callable[[], datetime],
        refresh_interval: float | None = None,
        closed_limit: int = CLOSED_LIMIT,
        policy: LoadPolicy | None = None,
        connect: Callable[[], None] | None = None,
        live: bool = True,
    ) -> None:
        """
        Args:
            client: talks to the server (shared with the app; its token is the session).
            clock: "now", for the cards' ages, the stuck rule and the "updated" time.
            refresh_interval: seconds between automatic refreshes; None turns them off, and the
                live stream with them (nothing changes on screen unless asked).
            closed_limit: how many COMPLETED/CANCELLED orders the toggle shows.
            policy: decides each load (a fresh `LoadPolicy` by default).
            connect: blocking work before the first load, run in the first load's worker while the
                board is already on screen (`krafta demo`: wait for its server, get a token).
            live: follow the server's event stream, polling only while it is unavailable.
        """
        super().__init__()
        self.client = client
        self.clock = clock
        self.refresh_interval = refresh_interval
        self.model = BoardModel()
        self.connection = BoardConnection(
            client,
            self.model,
            policy=policy or LoadPolicy(),
            refresh_interval=refresh_interval,
            closed_limit=closed_limit,
            connect=connect,
            live=live,
        )
        self._statuses: tuple[str, ...] = ()
        self._active = 0
        self._offered: tuple[bool | None, ...] = ()
        self._stuck_timer: Timer | None = None
        # The hand-over dialog starts with the last courier: one courier takes the afternoon's parcels.
        self.courier_memory = CourierMemory()
        self.refreshes = 0
        """How many complete answers the board has shown (the bench and tests wait on it)."""

    @property
    def live_events(self) -> int:
        """How many live events the board has applied (tests wait on it)."""
        return self.model.live_events

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield OfflineBanner(id="offline")
        yield DatabaseBanner(id="database-down")
        filter_input = Input(
            placeholder="filter: number, city or payer — enter keeps it, escape clears", id="filter"
        )
        filter_input.display = False
        yield filter_input
        # No columns yet: which ones depends on what the server offers, known after the first answer.
        yield _Columns(id="columns")
        yield Static("connecting…", id="status")
        yield FittedFooter(keep=FOOTER_KEEPS)
        yield self.connection

    @property
    def columns(self) -> list[OrderColumn]:
        return list(self.query_one("#columns", _Columns).query_children(OrderColumn))

    @property
    def active_column(self) -> OrderColumn | None:
        columns = self.columns
        return columns[self._active] if 0 <= self._active < len(columns) else None

    @property
    def selected(self) -> OrderSummary | None:
        column = self.active_column
        return column.selected if column else None

    async def _build_columns(self) -> None:
        """(Re)create the columns when what the server offers or the closed-orders toggle changes them."""
        statuses = self.model.columns
        if statuses == self._statuses:
            return
        active_status = self._statuses[self._active] if 0 <= self._active < len(self._statuses) else None
        self._statuses = statuses
        container = self.query_one("#columns", _Columns)
        await container.remove_children()
        await container.mount_all(
            OrderColumn(status, clock=self.clock, id=f"col-{status.lower()}") for status in statuses
        )
        self._active = statuses.index(active_status) if active_status in statuses else 0
        self._fit_columns()
        self._show()

    def _fit_columns(self) -> None:
        """Share the width between the columns; past the minimum the row scrolls instead.

        Done here rather than with `1fr` in the stylesheet because fractions inside a
        horizontally scrolling container resolve against the whole row, not the share.
        """
        columns = self.columns
        if not columns:
            return
        room = self.query_one("#columns", _Columns).size.width or self.app.size.width
        base, extra = divmod(room, len(columns))
        for index, column in enumerate(columns):
            column.styles.width = max(MIN_COLUMN_WIDTH, base + (1 if index < extra else 0))

    def on_resize(self) -> None:
        self._fit_columns()

    def _show(self) -> None:
        """Draw the model now (filter, sort, marks, stuck), keeping each column's cursor; then set
        the timer for the next card that turns stuck."""
        now = self.clock()
        shown = self.model.view(now)
        for index, column in enumerate(self.columns):
            drawn = shown.column(column.status)
            current = column.selected
            column.active = index == self._active
            column.set_orders(
                drawn.orders if drawn else [],
                keep_id=current.id if current else None,
                more=drawn.more if drawn else False,
            )
            column.set_marked(shown.marked)
            column.set_stuck(shown.stuck)
        self.query_one("#database-down", DatabaseBanner).show_since(self.model.database_down_since)
        status = self.query_one("#status", Static)
        status.update(
            literal(
                self.model.status_line(
                    shown.shown,
                    live=self.connection.live,
                    streaming=self.connection.streaming,
                    refresh_interval=self.refresh_interval,
                    width=max(0, (status.size.width or self.app.size.width) - 2),
                )
            )
        )
        self._update_keys()
        self._schedule_stuck(now)

    def _schedule_stuck(self, now: datetime) -> None:
        if self._stuck_timer is not None:
            self._stuck_timer.stop()
            self._stuck_timer = None
        due = self.model.next_stuck_at(now)
        if due is not None:
            # A hair past the instant, so the clock read when the timer fires is past it too.
            delay = (due - now).total_seconds() + 0.01
            self._stuck_timer = self.set_timer(delay, self._show, name="stuck")

    def _activate(self, index: int) -> None:
        columns = self.columns
        if not columns:
            return
        index = max(0, min(index, len(columns) - 1))
        self._active = index
        for i, column in enumerate(columns):
            column.active = i == index
        self.query_one("#columns", _Columns).scroll_to_widget(columns[index], animate=False)
        columns[index].scroll_to_cursor()
        self._update_keys()

    def _select_first_visible(self) -> None:
        """After filtering: if the active column shows nothing, go to the first one that does."""
        column = self.active_column
        if column is not None and column.orders:
            return
        for index, candidate in enumerate(self.columns):
            if candidate.orders:
                self._activate(index)
                candidate.set_cursor(0)
                return

    # -- what the app tells the screen -----------------------------------------------------------

    def show_offline(self, reason: str) -> None:
        """The server does not answer: show the banner (the last known orders stay on screen)."""
        for banner in self.query("#offline").results(OfflineBanner):
            banner.show_offline(reason, self.refresh_interval)

    def clear_offline(self) -> None:
        for banner in self.query("#offline").results(OfflineBanner):
            banner.clear()

    def request_refresh(self) -> None:
        """Fetch the orders now, or right after the fetch already running."""
        self.connection.request_refresh()

    def full_reload(self) -> None:
        """Refresh by loading every open order again, not just what changed (the bench's worst case)."""
        self.connection.full_reload()

    # -- what the connection reports -------------------------------------------------------------

    @on(BoardConnection.Loaded)
    async def on_loaded(self, message: BoardConnection.Loaded) -> None:
        message.stop()
        data = message.data
        try:
            if not self.model.apply_load(data, self.clock()):
                self.request_refresh()
                return
            await self._build_columns()
            self._show()
            self._say_dropped(self.model.check_marks())
        finally:
            if message.painted is not None:
                self.call_after_refresh(message.painted.set)
        if data.complete:
            self.connection.policy.loaded(data.kind)
            self.refreshes += 1
        self.post_message(self.Loaded(data, self._statuses))

    @on(BoardConnection.LiveEvent)
    async def on_live_event(self, message: BoardConnection.LiveEvent) -> None:
        """One event on screen: the order's card goes to its new column (or off the board)."""
        message.stop()
        event = message.event
        if event.type == RESYNC:
            self.full_reload()
        elif event.order is None or not self.model.apply_event(event.order, self.clock()):
            self.request_refresh()  # no picture yet to apply it to: the load will bring it
        else:
            await self._build_columns()
            self._show()
            self._say_dropped(self.model.check_marks())

    @on(BoardConnection.StreamChanged)
    def on_stream_changed(self, message: BoardConnection.StreamChanged) -> None:
        message.stop()
        self._show()

    @on(MovesDone)
    def on_moves_done(self, message: MovesDone) -> None:
        # Successes leave the marks; an order someone else moved meanwhile is unmarked (the app's
        # list says so); other failures stay marked for a second look. (The app hears it too.)
        message.unmarked = frozenset(d.number for d in self.model.marks.settle(message.outcomes))
        self._show()

    @on(PlansDone)
    def on_plans_done(self, message: PlansDone) -> None:
        """Say what a planning change did; the cards follow through the live events (or a refresh)."""
        message.stop()
        changed, failed = message.changed, message.failed
        if changed:
            numbers = ", ".join(o.number for o in changed[:6]) + (" …" if len(changed) > 6 else "")
            self.notify(f"{message.what}: {numbers}", title=f"{len(changed)} planned")
        if failed:
            lines = [
                f"{o.number}: {view.reason(o.error.message) if o.error else 'not changed'}" for o in failed
            ]
            self.notify("\n".join(lines), title=f"{len(failed)} not changed", severity="error", timeout=15)
        if not self.connection.policy.streaming:
            self.request_refresh()

    def _say_dropped(self, dropped: Sequence[DroppedMark]) -> None:
        """A marked order moved by someone else is unmarked, and the operator is told which."""
        if dropped:
            self._show()
            self.notify(
                "\n".join(d.line for d in dropped),
                title=f"{len(dropped)} unmarked",
                severity="warning",
                timeout=15,
            )

    # -- keys ----------------------------------------------------------------------------------

    # The actions whose availability depends on the selected card or the filter.
    _DYNAMIC_ACTIONS = ("advance", "cancel_order", "clear_filter", "toggle_mark")

    def _update_keys(self) -> None:
        """Refresh the footer only when what it offers changed.

        A footer refresh rebuilds its widgets (~100 ms at 160×50, measured): done on every
        cursor move it made keys lag behind the operator's typing.
        """
        offered = tuple(self.check_action(action, ()) for action in self._DYNAMIC_ACTIONS)
        if offered != self._offered:
            self._offered = offered
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "advance":
            return True if self.model.can_advance(self.selected) else None
        if action == "cancel_order":
            # Only offered when the server offers CANCELLED to this user (marked cards, else this one).
            return self.model.can_cancel(self.selected)
        if action == "toggle_mark":
            return True if self.selected is not None else None
        if action == "clear_filter":
            box = self.query_one("#filter", Input)
            return bool(self.model.filter) or box.display or len(self.model.marks) > 0
        return True

    def marked_orders(self) -> list[OrderSummary]:
        """The marked orders on the board now (in any column, shown by the filter or not)."""
        return self.model.marked()

    def _move_cursor(self, delta: int) -> None:
        column = self.active_column
        if column is not None:
            column.move_cursor(delta)
            self._update_keys()

    def action_cursor_up(self) -> None:
        self._move_cursor(-1)

    def action_cursor_down(self) -> None:
        self._move_cursor(1)

    def action_cursor_left(self) -> None:
        self._activate(self._active - 1)

    def action_cursor_right(self) -> None:
        self._activate(self._active + 1)

    @on(OrderColumn.Picked)
    def on_card_picked(self, event: OrderColumn.Picked) -> None:
        columns = self.columns
        if event.column in columns:
            self._activate(columns.index(event.column))
            event.column.set_cursor(event.index)
            self._update_keys()
            if event.open:
                self.action_open_order()

    def _say_empty(self) -> None:
        column = self.active_column
        where = f"the {view.status_label(column.status)} column" if column else "the board"
        because = " matches the filter" if self.model.filter else ""
        self.notify(f"No order in {where}{because}.", title="Nothing selected", severity="warning")

    def action_open_order(self) -> None:
        order = self.selected
        if order is None:
            self._say_empty()
            return
        self.app.push_screen(
            DetailScreen(
                self.client,
                order,
                clock=self.clock,
                courier_memory=self.courier_memory,
                marks=self.model.marks,
            )
        )

    def action_help(self) -> None:
        bindings = [*Binding.make_bindings(self.BINDINGS), *Binding.make_bindings(self.app.BINDINGS)]
        # Only the keys this user's role can use: a TALLER is not told that `c` cancels or `x` rejects.
        offered = [
            b
            for b in bindings
            if (b.action != "cancel_order" or self.model.may_cancel)
            and (b.action != "reject_payment" or self.model.may_reject)
        ]
        self.app.push_screen(HelpScreen(offered))

    def action_advance(self) -> None:
        marked = self.marked_orders()
        if marked:
            self._advance_marked(marked)
            return
        order = self.selected
        if order is None:
            self._say_empty()
            return
        request = plan_move(order)
        if request.target is None:
            self.notify(f"{order.number}: no move is offered to you from {view.status_label(order.status)}.")
            return
        if request.target == Status.CONFIRMED and order.same_reference:
            # The server confirms a reused reference only forced, with a note: never one key press.
            def noted(note: str | None) -> None:
                if note:
                    self.connection.move(plan_move(order, note=note, force=True))

            self.app.push_screen(ConfirmReusedDialog(order.number, ", ".join(order.same_reference)), noted)
            return
        confirm_moves(self, [request], self.courier_memory, lambda sent: self.connection.move(sent[0]))

    def _advance_marked(self, marked: Sequence[OrderSummary]) -> None:
        """One confirmation listing every marked order (also those with no move offered)."""
        plan = plan_moves(marked)
        requests = [r for r in plan if r.target]
        if not requests:
            self.notify("No move is offered to you for the marked orders.")
            return
        lines = [r.line for r in plan]
        confirm_moves(self, requests, self.courier_memory, self._send_marked, lines=lines)

    def _send_marked(self, requests: list[MoveRequest]) -> None:
        """Send the moves of marked orders; until their outcomes are in, their new status is ours."""
        self.model.marks.sending(r.order_id for r in requests)
        self.connection.move_many(requests)

    def action_toggle_mark(self) -> None:
        order = self.selected
        if order is None:
            self._say_empty()
            return
        self.model.marks.toggle(order)
        self._show()

    def action_print_tickets(self) -> None:
        chosen = self.marked_orders() or ([self.selected] if self.selected is not None else [])
        if not chosen:
            self._say_empty()
            return
        name = tickets_name(self.clock().date())
        self.connection.save_tickets([o.number for o in chosen], Path.cwd(), name)

    def action_scan(self) -> None:
        self.app.push_screen(ScanScreen(self.client, courier=self.courier_memory.courier))

    def action_batches(self) -> None:
        def chosen(orders: tuple[BatchOrder, ...] | None) -> None:
            if orders:
                # Each marked in the status the batch found it in: a mark is a promise about that one.
                self.model.marks.replace(orders)
                self._show()
                count = len(self.marked_orders())
                self.notify(f"{count} orders of the batch marked: `a` moves them all.", title="Batch")

        self.app.push_screen(BatchesScreen(self.client), chosen)

    # -- planning (issue 15) ---------------------------------------------------------------------

    def _planned(self) -> list[OrderSummary]:
        """What a planning key acts on: the marked cards, else the selected one."""
        return self.marked_orders() or ([self.selected] if self.selected is not None else [])

    def _what(self, orders: Sequence[OrderSummary]) -> str:
        return orders[0].number if len(orders) == 1 else f"{len(orders)} orders"

    def _today(self) -> date:
        return self.clock().astimezone().date()

    def action_toggle_rush(self) -> None:
        orders = self._planned()
        if not orders:
            self._say_empty()
            return
        # All rush already: back to normal; else every one becomes rush.
        rush = not all(o.rush for o in orders)
        what = "rush" if rush else "not rush"
        self.connection.plan([o.number for o in orders], rush_change(rush), what)

    def action_hold(self) -> None:
        orders = self._planned()
        if not orders:
            self._say_empty()
            return
        if all(o.hold is not None for o in orders):
            self.connection.plan([o.number for o in orders], release_change(), "released")
            return
        numbers = [o.number for o in orders]

        def answered(change: dict[str, object] | None) -> None:
            if change:
                self.connection.plan(numbers, change, "held")

        self.app.push_screen(HoldDialog(self._what(orders), self._today), answered)

    def action_due(self) -> None:
        orders = self._planned()
        if not orders:
            self._say_empty()
            return
        numbers = [o.number for o in orders]
        current = orders[0].due.isoformat() if len(orders) == 1 and orders[0].due else ""

        def answered(change: dict[str, object] | None) -> None:
            if change:
                self.connection.plan(numbers, change, "due date set")

        self.app.push_screen(DueDialog(self._what(orders), current, self._today), answered)

    def action_note(self) -> None:
        order = self.selected
        if order is None:
            self._say_empty()
            return

        def answered(change: dict[str, object] | None) -> None:
            if change:
                self.connection.plan([order.number], change, "note added")

        self.app.push_screen(NoteDialog(order.number), answered)

    def action_toggle_stuck_first(self) -> None:
        self.model.toggle_stuck_first()
        self._show()

    def action_cancel_order(self) -> None:
        marked = self.marked_orders()
        if marked:
            cancellable = [r for r in plan_moves(marked, cancel=True) if r.target]
            if not cancellable:
                return

            def noted_all(note: str | None) -> None:
                if note:
                    self._send_marked([replace(r, note=note) for r in cancellable])

            numbers = ", ".join(r.number for r in cancellable)
            self.app.push_screen(CancelDialog(f"{len(cancellable)} orders ({numbers})", "marked"), noted_all)
            return
        order = self.selected
        if order is None or not order.can_cancel:
            return

        def answered(note: str | None) -> None:
            if note:
                self.connection.move(plan_move(order, cancel=True, note=note))

        self.app.push_screen(CancelDialog(order.number, order.status), answered)

    def action_reject_payment(self) -> None:
        order = self.selected
        # Offered by the server (REPORTED → PENDING is an ADMIN's rejection), never decided here.
        if order is None or Status.PENDING not in order.next_statuses:
            self.app.notify("Nothing to reject here: only a REPORTED order's payment, by an ADMIN.")
            return

        def answered(reason: str | None) -> None:
            if reason:
                self.connection.move(plan_move(order, Status.PENDING, note=reason))

        self.app.push_screen(RejectDialog(order.number, order.status), answered)

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()
        self._update_keys()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if not self.model.filter and not box.display and len(self.model.marks):
            self.model.marks.clear()
            self._show()
            return
        box.value = ""
        box.display = False
        self.model.set_filter("")
        self.set_focus(None)
        self._show()

    @on(Input.Changed, "#filter")
    def on_filter_changed(self, event: Input.Changed) -> None:
        self.model.set_filter(event.value)
        self._show()
        self._select_first_visible()

    @on(Input.Submitted, "#filter")
    def on_filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        # The filter stays applied and visible; the keys go back to the board.
        self.set_focus(None)
        if not self.model.filter:
            event.input.display = False
        self._select_first_visible()
        self._update_keys()

    async def action_toggle_closed(self) -> None:
        self.model.toggle_closed()
        await self._build_columns()
        self.request_refresh()

    def action_refresh(self) -> None:
        self.request_refresh()

    def numbers_in(self, status: str) -> Sequence[str]:
        """The order numbers shown in `status`'s column, top to bottom (for tests and the bench)."""
        for column in self.columns:
            if column.status == status:
                return [o.number for o in column.orders]
        return []
