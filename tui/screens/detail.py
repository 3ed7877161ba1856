"""`enter` on a card: everything an admin checks before moving the order on — and `a`/`c` to do it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from krafta_cli import view
from krafta_cli.client import KraftaClient
from tui.messages import ClientFailed, ServerAnswered, moved_or_failed
from tui.moves import MoveOutcome, MoveRequest, send_move
from tui.presentation import OrderSummary
from tui.screens.cancel_note import CancelDialog
from tui.screens.handover import CourierMemory, confirm_moves

__all__ = ["DetailScreen", "render_order"]

Order = Mapping[str, Any]

_CHECK_STYLES = {"ok": "green", "warning": "bold yellow", "unknown": "yellow"}


def _section(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def _fields(rows: list[tuple[str, RenderableType]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, value)
    return table


def _check(check: view.Check) -> Text:
    return Text(check.text, style=_CHECK_STYLES[check.level])


def _items(order: Order) -> Table:
    table = Table(box=None, padding=(0, 2, 0, 0), header_style="dim")
    for name in ("product", "qty", "unit", "design preview"):
        table.add_column(name, overflow="fold", no_wrap=name != "design preview")
    for line in view.item_lines(order):
        if line is None:
            table.add_row(*[view.NONE] * 4)
            continue
        table.add_row(line.label, line.quantity, line.unit_price, line.preview)
    return table


def _payments(order: Order) -> RenderableType:
    blocks: list[RenderableType] = []
    payments = order.get("payments")
    for payment in payments if isinstance(payments, list) else []:
        if not isinstance(payment, Mapping):
            blocks.append(Text("— (a payment the server sent unreadable)", style="yellow"))
            continue
        blocks.append(
            _fields(
                [
                    ("method", f"{view.text(payment.get('method'))} · {view.text(payment.get('status'))}"),
                    ("expected", view.bs(payment.get("amountExpected"))),
                    ("reported", view.bs(payment.get("amountReported"))),
                    ("check", _check(view.payment_check(payment))),
                    ("reference", view.text(payment.get("reference"))),
                    ("bank", view.text(payment.get("originBank"))),
                    ("payer", view.text(payment.get("payerName"))),
                    ("receipt", view.text(payment.get("receiptUrl"))),
                ]
            )
        )
    return Group(*blocks) if blocks else Text("no payment reported", style="yellow")


def _history(order: Order, now: datetime) -> Table:
    table = Table(box=None, padding=(0, 2, 0, 0), header_style="dim")
    for name in ("when", "move", "who", "note"):
        table.add_column(name, overflow="fold", no_wrap=name in ("when", "move"))
    for line in view.history_lines(order):
        if line is None:
            table.add_row(view.NONE, view.NONE, view.NONE, "")
            continue
        at = view.when(line.at.isoformat(), now) if line.at else view.NONE
        table.add_row(at, line.move, line.who, line.note)
    return table


def _delivery(order: Order, now: datetime) -> RenderableType:
    """Courier, tracking number and hand-over time; what is missing in yellow."""
    if view.delivery_line(order) is None:
        return Text("not handed over yet", style="dim")
    raw = order.get("delivery")
    delivery: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}

    def shown(key: str) -> RenderableType:
        value = delivery.get(key)
        if isinstance(value, str) and value.strip():
            return view.text(value)
        return Text("missing", style="bold yellow")

    rows: list[tuple[str, RenderableType]] = [
        ("courier", shown("courier")),
        ("tracking", shown("trackingNumber")),
        ("handed over", view.when(delivery.get("handedAt"), now) if delivery.get("handedAt") else view.NONE),
    ]
    if not delivery.get("trackingNumber"):
        rows.append(("", Text("the customer is waiting for a tracking number", style="yellow")))
    return _fields(rows)


def render_order(order: Order, now: datetime) -> RenderableType:
    """The whole detail view of one order as one rich renderable (every server text sanitised)."""
    status = view.text(order.get("status"))
    title = Text.assemble(
        (view.text(order.get("orderNumber") or order.get("id")), "bold"),
        "  ",
        (view.status_label(status), "reverse"),
        f"  placed {view.when(order.get('createdAt'), now)}",
    )
    if order.get("storage") == "fallback":
        title.append("  saved in the fallback file store (database was down)", style="yellow")
    moves = " · ".join(view.status_label(s) for s in view.next_statuses(order)) or "none for you"
    return Group(
        title,
        _section("Shipping"),
        _fields(
            [
                ("address", view.text(order.get("shippingAddress"))),
                ("city", view.place(order)),
            ]
        ),
        _section("Items"),
        _items(order),
        _section("Money"),
        _fields(
            [
                (
                    "total",
                    f"{view.usd(order.get('total'))} = {view.usd(order.get('subtotal'))} "
                    f"+ {view.usd(order.get('shippingCost'))} shipping",
                ),
                (
                    "in Bs",
                    f"{view.bs(order.get('totalBs'))} at {view.amount(order.get('exchangeRate'))} Bs/$",
                ),
                ("price check", _check(view.price_check(order))),
            ]
        ),
        _section("Payment evidence"),
        _payments(order),
        _section("Delivery"),
        _delivery(order, now),
        _section("History"),
        _history(order, now),
        _section("Next"),
        Text(f"moves offered to you: {moves}  (a advances, c cancels)"),
    )


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
    ) -> None:
        super().__init__()
        self.client = client
        self.summary = summary
        self.clock = clock
        self.courier_memory = courier_memory or CourierMemory()
        self.order: dict[str, Any] | None = None

    @property
    def number(self) -> str:
        return self.summary.number

    @property
    def offered(self) -> tuple[str, ...]:
        """The moves offered: from the order as fetched, else from the board's summary."""
        return view.next_statuses(self.order) if self.order is not None else self.summary.next_statuses

    @property
    def status(self) -> str:
        return view.text(self.order.get("status")) if self.order is not None else self.summary.status

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static(f"Loading {self.number}…", id="order")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "advance":
            return True if view.advance_target(self.offered) else None
        if action == "cancel_order":
            return view.can_cancel(self.offered)
        return True

    def action_reload(self) -> None:
        self._fetch(self.summary.id)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_advance(self) -> None:
        target = view.advance_target(self.offered)
        if target is None:
            self.notify(f"{self.number}: no move is offered to you from {view.status_label(self.status)}.")
            return
        request = MoveRequest(self.summary.id, self.number, self.status, target)
        confirm_moves(self, [request], self.courier_memory, lambda sent: self._move(sent[0]))

    def action_cancel_order(self) -> None:
        if not view.can_cancel(self.offered):
            return
        request = MoveRequest(self.summary.id, self.number, self.status, "CANCELLED")

        def answered(note: str | None) -> None:
            if note:
                self._move(
                    MoveRequest(request.order_id, request.number, request.source, request.target, note)
                )

        self.app.push_screen(CancelDialog(self.number, self.status), answered)

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _fetch(self, order_id: str) -> dict[str, Any]:
        return self.client.get_order(order_id)

    @work(thread=True, group="move", exit_on_error=False)
    def _move(self, request: MoveRequest) -> MoveOutcome:
        return send_move(self.client, request)

    def _show(self, order: dict[str, Any]) -> None:
        self.order = order
        self.query_one("#order", Static).update(render_order(order, self.clock()))
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
                self.post_message(moved_or_failed(result))
                if result.order is not None:
                    self._show(result.order)
                else:
                    self.action_reload()  # whatever went wrong, show the order as it is now
            elif isinstance(result, dict):
                self._show(result)
        elif event.state is WorkerState.ERROR and worker.error is not None:
            if self.order is None:
                failed = f"Could not load {self.number}."
                self.query_one("#order", Static).update(failed)
            self.post_message(ClientFailed(worker.error, doing="load", subject=self.number))
