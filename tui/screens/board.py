"""The board: one column per status, a card per order, and the keys that move orders on.

Attributes down, messages up: the screen gets its client, clock and settings in `__init__`,
fetches and moves in workers, and reports what the app must know by messages (`Loaded` here;
`ClientFailed`, `OrderMoved`, `ServerAnswered` from `tui.messages`). It never imports the app.
How it loads (preview, full, changes; polling or not) is `tui.loading.LoadPolicy`'s decision.

Live: a worker follows the server's event stream (`KraftaClient.follow_events`) and each event is
applied as it comes (the card moves column, counts change, a new order appears); the refresh
timer polls only while the stream is unavailable, and the status line says which it is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static
from textual.worker import Worker, WorkerState

from krafta_cli import view
from krafta_cli.client import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    RESYNC,
    EventStream,
    Forbidden,
    KraftaClient,
    KraftaError,
    NotLoggedIn,
    OrderEvent,
)
from krafta_cli.workflows import MoveOutcome, MoveRequest, plan_move, plan_moves, send_move, send_moves
from tui.loading import CLOSED_LIMIT, BoardData, LoadKind, LoadPolicy, OpenOrders, load_board, viewer_of
from tui.marks import Marks, stuck_first
from tui.messages import ClientFailed, MovesDone, ServerAnswered, moved_or_failed
from tui.presentation import (
    OrderSummary,
    actionable_statuses,
    column_statuses,
    group_by_status,
    matches,
    summarize,
)
from tui.screens.batches import BatchesScreen
from tui.screens.cancel_note import CancelDialog
from tui.screens.detail import DetailScreen
from tui.screens.handover import CourierMemory, confirm_moves
from tui.screens.help import HelpScreen
from tui.widgets.banner import OfflineBanner
from tui.widgets.column import OrderColumn

__all__ = ["BoardData", "BoardScreen", "ConnectFailed"]


# A card needs ~20 cells for "KRFT-482031  24 min" (bar, number, gap, age) plus its border: at
# 160 columns all seven statuses fit side by side, at 80 three do and the row scrolls sideways.
MIN_COLUMN_WIDTH = 22

# At most this long the first load waits for its preview to be painted (a frame, normally).
PREVIEW_PAINT_WAIT = 1.0

_MOVE = Binding.Group("move", compact=True)
_OPEN_NAMES = tuple(s.value for s in OPEN_STATUSES)
_CLOSED_NAMES = tuple(s.value for s in CLOSED_STATUSES)


class ConnectFailed(Exception):
    """The `connect` step before the first load failed (`error` says why)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


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
            clock: "now", for the cards' ages and the "updated" time.
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
        self._connect = connect
        self.clock = clock
        self.refresh_interval = refresh_interval
        self.closed_limit = closed_limit
        self.policy = policy or LoadPolicy()
        self.user: dict[str, Any] = {}
        self._by_status: dict[str, list[OrderSummary]] = {}
        self._actionable: dict[str, bool] = {}
        self._truncated: frozenset[str] = frozenset()
        self._statuses: tuple[str, ...] = ()
        self._active = 0
        self._filter = ""
        self._show_closed = False
        self._loaded = False
        self._complete = False
        self._refreshing = False
        self._refresh_again = False
        self._updated: datetime | None = None
        self._timer: Timer | None = None
        self._offered: tuple[bool | None, ...] = ()
        self._open_orders: OpenOrders | None = None
        self.live = live and refresh_interval is not None
        self._live_stop = threading.Event()
        self._live_stream: EventStream | None = None
        self.live_events = 0
        """How many live events the board has applied (tests wait on it)."""
        self._marks = Marks()
        self._stuck_first = False
        # The hand-over dialog starts with the last courier: one courier takes the afternoon's parcels.
        self.courier_memory = CourierMemory()
        self.refreshes = 0
        """How many complete answers the board has shown (the bench and tests wait on it)."""

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield OfflineBanner(id="offline")
        filter_input = Input(
            placeholder="filter: number, city or payer — enter keeps it, escape clears", id="filter"
        )
        filter_input.display = False
        yield filter_input
        yield _Columns(id="columns")
        yield Static("connecting…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        # No columns yet: which ones depends on what the server offers, known after the first answer.
        if self.refresh_interval:
            self._timer = self.set_interval(self.refresh_interval, self._tick)
        self.request_refresh()
        if self.live:
            self._follow()

    def on_unmount(self) -> None:
        self.stop_live()

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
        statuses = column_statuses(self._actionable, show_closed=self._show_closed)
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
        """Fill the columns from the last refresh through the filter, keeping each cursor."""
        for index, column in enumerate(self.columns):
            orders = self._by_status.get(column.status, [])
            if self._filter:
                orders = [o for o in orders if matches(o, self._filter)]
            if self._stuck_first:
                orders = stuck_first(orders, (o.stuck for o in orders))
            current = column.selected
            column.active = index == self._active
            column.set_orders(
                orders, keep_id=current.id if current else None, more=column.status in self._truncated
            )
            column.set_marked(self._marks.ids)
        self._update_status_line()
        self._update_keys()

    def _update_status_line(self) -> None:
        parts: list[str] = []
        if self.user:
            parts.append(f"{view.text(self.user.get('email'))} ({view.text(self.user.get('role'))})")
        open_count = sum(len(v) for k, v in self._by_status.items() if k not in _CLOSED_NAMES)
        if not self._loaded:
            parts.append("loading…")
        elif not self._complete:
            parts.append(f"newest {open_count} open orders shown, loading the rest…")
        else:
            parts.append(f"{open_count} open orders")
        if self._filter:
            shown = sum(len(c.orders) for c in self.columns)
            parts.append(f"filter “{view.sanitize(self._filter)}”: {shown} shown")
        marked = len(self.marked_orders())
        if marked:
            parts.append(f"{marked} marked")
        if self._stuck_first:
            parts.append("stuck first")
        if self._updated:
            parts.append(f"updated {self._updated:%H:%M:%S}")
        if self.live and self.policy.streaming:
            parts.append("live")
        elif self.refresh_interval:
            why = " (live stream unavailable)" if self.live else ""
            parts.append(f"polling every {self.refresh_interval:g} s{why}")
        self.query_one("#status", Static).update(" · ".join(parts))

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
        marked = self.marked_orders() if action in ("advance", "cancel_order") else []
        if action == "advance":
            if any(o.advance_target for o in marked):
                return True
            order = self.selected
            return True if order is not None and order.advance_target else None
        if action == "cancel_order":
            if any(o.can_cancel for o in marked):
                return True
            order = self.selected
            # Only offered when the server offers CANCELLED to this user for this order.
            return order is not None and order.can_cancel
        if action == "toggle_mark":
            return True if self.selected is not None else None
        if action == "clear_filter":
            return bool(self._filter) or self.query_one("#filter", Input).display or len(self._marks) > 0
        return True

    def marked_orders(self) -> list[OrderSummary]:
        """The marked orders on the board now (in any column, shown by the filter or not)."""
        return self._marks.on_board(o for orders in self._by_status.values() for o in orders)

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
        because = " matches the filter" if self._filter else ""
        self.notify(f"No order in {where}{because}.", title="Nothing selected", severity="warning")

    def action_open_order(self) -> None:
        order = self.selected
        if order is None:
            self._say_empty()
            return
        self.app.push_screen(
            DetailScreen(self.client, order, clock=self.clock, courier_memory=self.courier_memory)
        )

    def action_help(self) -> None:
        bindings = [*Binding.make_bindings(self.BINDINGS), *Binding.make_bindings(self.app.BINDINGS)]
        self.app.push_screen(HelpScreen(bindings))

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
        confirm_moves(self, [request], self.courier_memory, lambda sent: self._move(sent[0]))

    def _advance_marked(self, marked: Sequence[OrderSummary]) -> None:
        """One confirmation listing every marked order (also those with no move offered)."""
        plan = plan_moves(marked)
        requests = [r for r in plan if r.target]
        if not requests:
            self.notify("No move is offered to you for the marked orders.")
            return
        confirm_moves(self, requests, self.courier_memory, self._move_many, lines=[r.line for r in plan])

    def action_toggle_mark(self) -> None:
        order = self.selected
        if order is None:
            self._say_empty()
            return
        self._marks.toggle(order.id)
        self._show()

    def action_batches(self) -> None:
        def chosen(order_ids: tuple[str, ...] | None) -> None:
            if order_ids:
                self._marks.replace(order_ids)
                self._show()
                count = len(self.marked_orders())
                self.notify(f"{count} orders of the batch marked: `a` moves them all.", title="Batch")

        self.app.push_screen(BatchesScreen(self.client), chosen)

    def action_toggle_stuck_first(self) -> None:
        self._stuck_first = not self._stuck_first
        self._show()

    def action_cancel_order(self) -> None:
        marked = self.marked_orders()
        if marked:
            cancellable = [o for o in marked if o.can_cancel]
            if not cancellable:
                return

            def noted_all(note: str | None) -> None:
                if note:
                    self._move_many(plan_moves(cancellable, cancel=True, note=note))

            numbers = ", ".join(o.number for o in cancellable)
            self.app.push_screen(CancelDialog(f"{len(cancellable)} orders ({numbers})", "marked"), noted_all)
            return
        order = self.selected
        if order is None or not order.can_cancel:
            return

        def answered(note: str | None) -> None:
            if note:
                self._move(plan_move(order, cancel=True, note=note))

        self.app.push_screen(CancelDialog(order.number, order.status), answered)

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()
        self._update_keys()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if not self._filter and not box.display and len(self._marks):
            self._marks.clear()
            self._show()
            return
        box.value = ""
        box.display = False
        self._filter = ""
        self.set_focus(None)
        self._show()

    @on(Input.Changed, "#filter")
    def on_filter_changed(self, event: Input.Changed) -> None:
        self._filter = event.value.strip()
        self._show()
        self._select_first_visible()

    @on(Input.Submitted, "#filter")
    def on_filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        # The filter stays applied and visible; the keys go back to the board.
        self.set_focus(None)
        if not self._filter:
            event.input.display = False
        self._select_first_visible()
        self._update_keys()

    async def action_toggle_closed(self) -> None:
        self._show_closed = not self._show_closed
        await self._build_columns()
        self.request_refresh()

    # -- network -------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.request_refresh()

    def _tick(self) -> None:
        if self.policy.poll_due():
            self.request_refresh()

    def request_refresh(self) -> None:
        """Fetch the orders now, or right after the fetch already running (never two at once)."""
        if not self.client.token and self._connect is None:
            return
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        self._refresh_again = False
        self._fetch(self._show_closed, self.policy.plan(self._open_orders), self._open_orders)

    def full_reload(self) -> None:
        """Refresh by loading every open order again, not just what changed (the bench's worst case)."""
        self.policy.forget()
        self.request_refresh()

    @work(thread=True, group="refresh", exit_on_error=False)
    def _fetch(self, show_closed: bool, kind: LoadKind, known: OpenOrders | None) -> BoardData:
        connect, self._connect = self._connect, None
        if connect is not None:
            try:
                connect()
            except Exception as error:
                raise ConnectFailed(error) from error

        def show_preview(data: BoardData) -> None:
            # (mypy cannot infer call_from_thread's type variable from a coroutine function.)
            self.app.call_from_thread(self._apply, data)  # type: ignore[arg-type]
            # Let the preview reach the screen before the full load starts: parsing thousands of
            # orders in this thread holds the GIL in long stretches, and the first frame would wait
            # behind it (measured with 5,000 open orders on a busy machine: first paint 1.5 s).
            painted = threading.Event()
            self.app.call_from_thread(self.call_after_refresh, painted.set)
            painted.wait(timeout=PREVIEW_PAINT_WAIT)

        return load_board(
            self.client,
            kind,
            known,
            show_closed=show_closed,
            closed_limit=self.closed_limit,
            on_preview=show_preview,
        )

    # -- live events ---------------------------------------------------------------------------

    @work(thread=True, group="live", exit_on_error=False)
    def _follow(self) -> None:
        """Follow the event stream until the screen goes; reconnects by itself (the client does)."""
        stop = self._live_stop
        while not stop.is_set():
            try:
                for event in self.client.follow_events(
                    stop=stop, on_state=self._stream_state_from_thread, on_open=self._stream_opened
                ):
                    self._call_on_ui(self._apply_event, event)
            except (NotLoggedIn, Forbidden) as error:
                # No session yet (the login screen is up) or no longer: poll meanwhile, try again later.
                self._stream_state_from_thread(False, error)
                stop.wait(self.refresh_interval or 5.0)

    def _stream_opened(self, stream: EventStream) -> None:
        self._live_stream = stream
        if self._live_stop.is_set():
            stream.close()

    def _stream_state_from_thread(self, connected: bool, error: KraftaError | None) -> None:
        self._call_on_ui(self._stream_state, connected)

    def _call_on_ui(self, callback: Callable[..., Any], *args: Any) -> None:
        if self._live_stop.is_set():
            return
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:
            self._live_stop.set()  # the app is gone

    def _stream_state(self, connected: bool) -> None:
        was = self.policy.streaming
        if connected:
            self.policy.stream_connected()
            # What changed while there was no stream (or before the first one): fetched once.
            self.request_refresh()
        elif was:
            self.policy.stream_lost()
        self._update_status_line()

    def stop_live(self) -> None:
        """End the stream now (the screen is going); the worker's thread then returns."""
        self._live_stop.set()
        if self._live_stream is not None:
            self._live_stream.close()

    async def _apply_event(self, event: OrderEvent) -> None:
        """One event on screen: the order's card goes to its new column (or off the board)."""
        if event.type == RESYNC:
            self.full_reload()
            return
        order = event.order
        if order is None or self._open_orders is None:
            self.request_refresh()  # no picture yet to apply it to: the load will bring it
            return
        self._open_orders = self._open_orders.updated([order])
        card = summarize(order)
        by_status = group_by_status(self._open_orders.newest_first(), _OPEN_NAMES)
        for status in _CLOSED_NAMES:
            if self._show_closed:
                closed = [o for o in self._by_status.get(status, []) if o.id != card.id]
                by_status[status] = [card, *closed] if card.status == status else closed
        self._by_status = by_status
        self._actionable.update(actionable_statuses([card]))
        self._updated = self.clock()
        self.live_events += 1
        await self._build_columns()
        self._show()

    @work(thread=True, group="move", exit_on_error=False)
    def _move(self, request: MoveRequest) -> MoveOutcome:
        return send_move(self.client, request)

    @work(thread=True, group="move", exit_on_error=False)
    def _move_many(self, requests: list[MoveRequest]) -> tuple[MoveOutcome, ...]:
        return tuple(send_moves(self.client, requests))

    @on(Worker.StateChanged)
    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if not worker.is_finished or worker.group not in ("refresh", "move"):
            return
        if worker.group == "refresh":
            self._refreshing = False
        if event.state is WorkerState.SUCCESS:
            self.post_message(ServerAnswered())
            result = worker.result
            if isinstance(result, BoardData):
                await self._apply(result)
            elif isinstance(result, MoveOutcome):
                self.post_message(moved_or_failed(result))
            elif isinstance(result, tuple):
                # Successes leave the marks; failures stay marked for a second look.
                self._marks.discard(o.request.order_id for o in result if o.order is not None)
                self._show()
                self.post_message(MovesDone(result))
        elif event.state is WorkerState.ERROR and worker.error is not None:
            self.post_message(ClientFailed(worker.error, doing=worker.group))
        if worker.group == "refresh" and self._refresh_again:
            self.request_refresh()

    async def _apply(self, data: BoardData) -> None:
        if viewer_of(data.user) != viewer_of(self.user):
            self._actionable = {}  # another user or role: what they may do is judged afresh
        self.user = data.user
        # A stale answer from before the closed-orders toggle would fill the wrong columns.
        if data.show_closed != self._show_closed:
            self._refresh_again = True
            return
        self._by_status = data.by_status
        self._actionable.update(
            actionable_statuses(o for s in _OPEN_NAMES for o in data.by_status.get(s, []))
        )
        self._truncated = data.truncated
        if data.open_orders is not None:
            self._open_orders = data.open_orders
        self._loaded = True
        self._complete = data.complete
        self._updated = self.clock()
        await self._build_columns()
        self._show()
        if data.complete:
            self.policy.loaded(data.kind)
            self.refreshes += 1
        self.post_message(self.Loaded(data, self._statuses))

    def numbers_in(self, status: str) -> Sequence[str]:
        """The order numbers shown in `status`'s column, top to bottom (for tests and the bench)."""
        for column in self.columns:
            if column.status == status:
                return [o.number for o in column.orders]
        return []
