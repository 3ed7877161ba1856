"""`enter` on a card: everything an admin checks before moving the order on — and `a`/`c` to do it.

What the screen shows is `krafta_cli.workflows.order_panel`, the panel `krafta orders show` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from krafta_cli import view
from krafta_cli.client import KraftaClient
from krafta_cli.literal import literal
from krafta_cli.workflows import (
    MoveOutcome,
    MoveRequest,
    Seen,
    advance_target,
    can_cancel,
    order_panel,
    plan_move,
    send_move,
)
from tui.board_model import Marks
from tui.messages import ClientFailed, ServerAnswered, moved_or_failed
from tui.presentation import OrderSummary
from tui.screens.cancel_note import CancelDialog
from tui.screens.handover import CourierMemory, confirm_moves

__all__ = ["DetailScreen"]


class DetailScreen(Screen[None]):
    """One order in full, fetched when opened (the board keeps only summaries); `a`/`c` move it."""

    BINDINGS = [
        Binding("escape,backspace", "close", "Back", id="detail.close", tooltip="Back to the board"),
        Binding(
            "a", "advance", "Advance", id="detail.advance", tooltip="Move to the next status (asks first)"
        ),
        Binding(
            "c", "cancel_order", "Cancel", id="detail.cancel", tooltip="Cancel the order with a note (ADMIN)"
        ),
        Binding("r", "reload", "Refresh", id="detail.refresh", tooltip="Fetch this order again"),
    ]

    def __init__(
        self,
        client: KraftaClient,
        summary: OrderSummary,
        *,
        clock: Callable[[], datetime],
        courier_memory: CourierMemory | None = None,
        marks: Marks | None = None,
    ) -> None:
        """`marks`: the board's marks, told about the moves made here (they are not someone else's)."""
        super().__init__()
        self.client = client
        self.summary = summary
        self.clock = clock
        self.courier_memory = courier_memory or CourierMemory()
        self.marks = marks or Marks()
        self.order: dict[str, Any] | None = None

    @property
    def number(self) -> str:
        return self.summary.number

    @property
    def offered(self) -> tuple[str, ...]:
        """The moves offered: from the order as fetched, else from the board's summary."""
        return view.next_statuses(self.order) if self.order is not None else self.summary.next_statuses

    @property
    def seen(self) -> Seen:
        """The order as shown now: what a move sends as its expected status."""
        return Seen(self.summary.id, self.number, self.status, self.offered)

    @property
    def status(self) -> str:
        return view.text(self.order.get("status")) if self.order is not None else self.summary.status

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static(literal(f"Loading {self.number}…"), id="order")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "advance":
            return True if advance_target(self.offered) else None
        if action == "cancel_order":
            return can_cancel(self.offered)
        return True

    def action_reload(self) -> None:
        self._fetch(self.summary.id)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_advance(self) -> None:
        request = plan_move(self.seen)
        if request.target is None:
            self.notify(f"{self.number}: no move is offered to you from {view.status_label(self.status)}.")
            return
        confirm_moves(self, [request], self.courier_memory, lambda sent: self._move(sent[0]))

    def action_cancel_order(self) -> None:
        if not can_cancel(self.offered):
            return
        seen = self.seen

        def answered(note: str | None) -> None:
            if note:
                self._move(plan_move(seen, cancel=True, note=note))

        self.app.push_screen(CancelDialog(self.number, self.status), answered)

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _fetch(self, order_id: str) -> dict[str, Any]:
        return self.client.get_order(order_id)

    def _move(self, request: MoveRequest) -> None:
        self.marks.sending([request.order_id])
        self._send(request)

    @work(thread=True, group="move", exit_on_error=False)
    def _send(self, request: MoveRequest) -> MoveOutcome:
        return send_move(self.client, request)

    def _show(self, order: dict[str, Any]) -> None:
        self.order = order
        self.query_one("#order", Static).update(order_panel(order, self.clock()))
        self.refresh_bindings()

    @on(Worker.StateChanged)
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if not worker.is_finished or worker.group not in ("detail", "move"):
            return
        if event.state is WorkerState.SUCCESS:
            self.post_message(ServerAnswered())
            result = worker.result
            if isinstance(result, MoveOutcome):
                self.marks.settle([result])
                self.post_message(moved_or_failed(result))
                if result.order is not None:
                    self._show(result.order)
                else:
                    self.action_reload()  # whatever went wrong, show the order as it is now
            elif isinstance(result, dict):
                self._show(result)
        elif event.state is WorkerState.ERROR and worker.error is not None:
            if self.order is None:
                self.query_one("#order", Static).update(literal(f"Could not load {self.number}."))
            self.post_message(ClientFailed(worker.error, doing="load", subject=self.number))
