"""`enter` on a card: everything an admin checks before moving the order on."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

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

from tui.presentation import age_text, money_bs, money_usd, parse_time, status_label

if TYPE_CHECKING:
    from tui.app import BoardApp

__all__ = ["DetailScreen", "render_order"]

Order = Mapping[str, Any]

# A payment reported more than 0.5 % away from what the order expects is worth a second look
# (the same tolerance the server allows between total × rate and totalBs).
_AMOUNT_TOLERANCE = 0.005


def _when(value: object, now: datetime) -> str:
    at = parse_time(value)
    if at is None:
        return "?"
    local = at.astimezone(now.tzinfo)
    return f"{local:%Y-%m-%d %H:%M} ({age_text(now - at)} ago)"


def _section(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def _fields(rows: list[tuple[str, RenderableType]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, value)
    return table


def _price_check(order: Order) -> Text:
    check = order.get("priceCheck")
    if check == "OK":
        return Text("OK — subtotal matches the catalog price", style="green")
    if check == "MISMATCH":
        return Text(
            f"MISMATCH — catalog says {money_usd(order.get('priceExpected'))}, "
            f"order says {money_usd(order.get('subtotal'))}",
            style="bold yellow",
        )
    if check == "UNKNOWN_VARIANT":
        return Text(
            "UNKNOWN VARIANT — the catalog does not know this product; check by hand", style="bold yellow"
        )
    return Text(str(check or "?"))


def _amount_check(payment: Mapping[str, Any]) -> Text:
    expected, reported = payment.get("amountExpected"), payment.get("amountReported")
    if not isinstance(expected, int | float) or not isinstance(reported, int | float):
        return Text("cannot compare", style="yellow")
    if abs(reported - expected) > abs(expected) * _AMOUNT_TOLERANCE:
        way = "more" if reported > expected else "less"
        return Text(f"DIFFERS: {money_bs(abs(reported - expected))} {way} than expected", style="bold red")
    return Text("reported matches expected", style="green")


def _entries(order: Order, key: str) -> list[Mapping[str, Any] | None]:
    """The objects of the list `order[key]`; None stands for an element that is not one.

    This runs on the UI thread: a `null` or a string where the API promises an object (a broken
    server, a proxy) must show as "—" in its place, not raise and take the screen down.
    """
    value = order.get(key)
    if not isinstance(value, list):
        return []
    return [entry if isinstance(entry, Mapping) else None for entry in value]


def _items(order: Order) -> Table:
    table = Table(box=None, padding=(0, 2, 0, 0), header_style="dim")
    for name in ("product", "variant", "qty", "unit", "design preview"):
        table.add_column(name, overflow="fold", no_wrap=name != "design preview")
    for item in _entries(order, "items"):
        if item is None:
            table.add_row(*["—"] * 5)
            continue
        table.add_row(
            str(item.get("productName") or "?"),
            str(item.get("variantId") or "?"),
            str(item.get("quantity", "?")),
            money_usd(item.get("unitPrice")),
            str(item.get("previewUrl") or "—"),
        )
    return table


def _payments(order: Order) -> RenderableType:
    blocks: list[RenderableType] = []
    for payment in _entries(order, "payments"):
        if payment is None:
            blocks.append(Text("— (a payment the server sent unreadable)", style="yellow"))
            continue
        blocks.append(
            _fields(
                [
                    ("method", f"{payment.get('method', '?')} · {payment.get('status', '?')}"),
                    ("expected", money_bs(payment.get("amountExpected"))),
                    ("reported", money_bs(payment.get("amountReported"))),
                    ("check", _amount_check(payment)),
                    ("reference", str(payment.get("reference") or "?")),
                    ("bank", str(payment.get("originBank") or "?")),
                    ("payer", str(payment.get("payerName") or "?")),
                    ("receipt", str(payment.get("receiptUrl") or "—")),
                ]
            )
        )
    return Group(*blocks) if blocks else Text("no payment reported", style="yellow")


def _history(order: Order, now: datetime) -> Table:
    table = Table(box=None, padding=(0, 2, 0, 0), header_style="dim")
    for name in ("when", "move", "who", "note"):
        table.add_column(name, overflow="fold", no_wrap=name in ("when", "move"))
    for event in _entries(order, "history"):
        if event is None:
            table.add_row("—", "—", "—", "")
            continue
        source = event.get("fromStatus")
        move = f"{status_label(str(source))} → " if source else ""
        move += status_label(str(event.get("toStatus") or "?"))
        who = str(event.get("userEmail") or "customer")
        if event.get("userRole"):
            who += f" ({event['userRole']})"
        note = str(event.get("note") or "")
        if event.get("forced"):
            note = f"FORCED {note}".strip()
        table.add_row(_when(event.get("at"), now), move, who, note)
    return table


def render_order(order: Order, now: datetime) -> RenderableType:
    """The whole detail view of one order as one rich renderable."""
    status = str(order.get("status") or "?")
    title = Text.assemble(
        (str(order.get("orderNumber") or order.get("id")), "bold"),
        "  ",
        (status_label(status), "reverse"),
        f"  placed {_when(order.get('createdAt'), now)}",
    )
    if order.get("storage") == "fallback":
        title.append("  saved in the fallback file store (database was down)", style="yellow")
    offered_raw = order.get("nextStatuses")
    offered = [s for s in offered_raw if isinstance(s, str)] if isinstance(offered_raw, list) else []
    moves = " · ".join(status_label(s) for s in offered) or "none for you"
    return Group(
        title,
        _section("Shipping"),
        _fields(
            [
                ("address", str(order.get("shippingAddress") or "?")),
                ("city", f"{order.get('shippingCity') or '?'}, {order.get('shippingState') or '?'}"),
            ]
        ),
        _section("Items"),
        _items(order),
        _section("Money"),
        _fields(
            [
                (
                    "total",
                    f"{money_usd(order.get('total'))} = {money_usd(order.get('subtotal'))} "
                    f"+ {money_usd(order.get('shippingCost'))} shipping",
                ),
                ("in Bs", f"{money_bs(order.get('totalBs'))} at {order.get('exchangeRate', '?')} Bs/$"),
                ("price check", _price_check(order)),
            ]
        ),
        _section("Payment evidence"),
        _payments(order),
        _section("History"),
        _history(order, now),
        _section("Next"),
        Text(f"moves offered to you: {moves}"),
    )


class DetailScreen(Screen[None]):
    """One order in full, fetched when opened (the board keeps only summaries)."""

    BINDINGS = [
        Binding("escape,backspace", "close", "Back", id="detail.close", tooltip="Back to the board"),
        Binding("r", "reload", "Refresh", id="detail.refresh", tooltip="Fetch this order again"),
    ]

    def __init__(self, order_id: str, number: str) -> None:
        super().__init__()
        self.order_id = order_id
        self.number = number
        self.order: Order | None = None

    @property
    def board_app(self) -> BoardApp:
        return cast("BoardApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static(f"Loading {self.number}…", id="order")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self._fetch(self.order_id)

    def action_close(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _fetch(self, order_id: str) -> dict[str, Any]:
        return self.board_app.client.get_order(order_id)

    @on(Worker.StateChanged)
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.SUCCESS:
            self.board_app.mark_online()
            self.order = cast(dict[str, Any], event.worker.result)
            self.query_one("#order", Static).update(render_order(self.order, self.board_app.clock()))
        elif event.state is WorkerState.ERROR and event.worker.error is not None:
            if self.order is None:
                failed = f"Could not load {self.number} — {event.worker.error}"
                self.query_one("#order", Static).update(failed)
            self.board_app.report_error(event.worker.error)
