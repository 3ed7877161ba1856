"""The detail panel of one order, as `krafta orders show` prints it and the board's `enter` shows it.

`order_parts(order, now)` says what the panel holds — titled sections of label/value rows and
titled grids (items, history), built from `krafta_cli.view`'s words — and `panels(parts)` draws
them with rich, once for both clients; `plain(parts)` is the same content as indented text for a
pipe. Status and check colours are named here once (`STATUS_STYLES`, `CHECK_STYLES`).

rich is imported inside the functions that draw: `krafta --help` imports this package and must
stay fast (see `krafta_cli.render`). Every value from the server passes through `view.text` (the
one sanitize gate) and becomes a rich `Text`, never markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from krafta_cli import view
from krafta_cli.client import Status
from krafta_cli.literal import literal

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

__all__ = [
    "CHECK_STYLES",
    "STATUS_STYLES",
    "Grid",
    "Section",
    "Styled",
    "order_panel",
    "order_parts",
    "panels",
    "plain",
    "status_text",
]

STATUS_STYLES: dict[str, str] = {
    Status.PENDING: "dim",
    Status.REPORTED: "yellow",
    Status.CONFIRMED: "cyan",
    Status.IN_PRODUCTION: "blue",
    Status.READY: "green",
    Status.HANDED_TO_DELIVERY: "magenta",
    Status.COMPLETED: "dim green",
    Status.CANCELLED: "red",
}
CHECK_STYLES: dict[str, str] = {"ok": "green", "warning": "bold yellow", "unknown": "yellow"}


@dataclass(frozen=True)
class Styled:
    """A value drawn in a style (a check's colour, the stuck warning); plain text in a pipe."""

    text: str
    style: str


@dataclass
class Section:
    """A titled list of label/value lines (a panel on a terminal, an indented block when piped).

    A value of None is left out; a `Styled` value keeps its style; anything else is `view.text`.
    """

    title: str
    rows: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class Grid:
    """A titled table inside a detail view (items, history)."""

    title: str
    headers: list[str]
    rows: list[list[Any]]


_UNREADABLE_PAYMENT = Styled("— (a payment the server sent unreadable)", "yellow")


def _checked(check: view.Check) -> Styled:
    return Styled(check.text, CHECK_STYLES[check.level])


def _status(value: object) -> Styled:
    label = view.text(value)
    return Styled(label, STATUS_STYLES.get(label, ""))


def _payment_section(index: int, count: int, payment: Mapping[str, Any], now: datetime) -> Section:
    title = "Payment evidence" + (f" ({index}/{count})" if count > 1 else "")
    reviewed = None
    if payment.get("reviewedAt"):
        by = f" by {view.text(payment.get('reviewedBy'))}" if payment.get("reviewedBy") else ""
        reviewed = f"{view.when(payment.get('reviewedAt'), now)}{by}"
    rows: list[tuple[str, Any]] = [("Status", _status(payment.get("status")))]
    if payment.get("rejectReason"):
        rows.append(("Rejected because", payment.get("rejectReason")))
    # Staff views name the other orders paid with this reference (`sameReference`): check the bank.
    same = payment.get("sameReference")
    if isinstance(same, list) and same:
        rows.append(
            ("Same reference", Styled("also on " + ", ".join(view.text(n) for n in same), "bold red"))
        )
    return Section(
        title,
        [
            *rows,
            ("Method", payment.get("method")),
            ("Expected", view.bs(payment.get("amountExpected"))),
            ("Reported", view.bs(payment.get("amountReported"))),
            ("Check", _checked(view.payment_check(payment))),
            ("Reference", payment.get("reference")),
            ("Origin bank", payment.get("originBank")),
            ("Payer", payment.get("payerName")),
            ("Receipt", payment.get("receiptUrl")),
            ("Reported at", view.when(payment.get("reportedAt"), now)),
            ("Reviewed", reviewed),
        ],
    )


def _payments(order: Mapping[str, Any], now: datetime) -> list[Section]:
    raw = order.get("payments")
    payments = raw if isinstance(raw, list) else []
    if not payments:
        return [Section("Payment evidence", [("Status", Styled("no payment reported", "yellow"))])]
    return [
        _payment_section(n, len(payments), p, now)
        if isinstance(p, Mapping)
        else Section(f"Payment evidence ({n}/{len(payments)})", [("Payment", _UNREADABLE_PAYMENT)])
        for n, p in enumerate(payments, 1)
    ]


def _history_row(line: view.HistoryLine | None) -> list[Any]:
    if line is None:
        return [view.NONE] * 4
    # No "(3 h ago)" here: one short fixed-width time per line keeps the history table readable.
    stamp = f"{line.at.astimezone(UTC):%Y-%m-%d %H:%M:%S}" if line.at else view.NONE
    return [stamp, line.move, line.who, line.note]


def _summary(order: Mapping[str, Any], now: datetime) -> Section:
    offered = view.next_statuses(order)
    summary = Section(
        f"Order {view.text(order.get('orderNumber'))}",
        [
            ("Status", _status(order.get("status"))),
            ("Next", ", ".join(map(view.text, offered)) if offered else "— (nothing you may do now)"),
            ("Id", order.get("id")),
            ("Created", view.when(order.get("createdAt"), now)),
            ("Updated", view.when(order.get("updatedAt"), now)),
            ("Customer", _customer(order)),
        ],
    )
    if order.get("storage") == "fallback":
        summary.rows.append(("Storage", "fallback file (database was down when it arrived)"))
    # Whether it is stuck is the server's word (`stuck`, staff views); for how long, its entry time.
    stuck = view.stuck_text(order.get("stuck"), view.parse_time(order.get("enteredStatusAt")), now)
    if stuck:
        summary.rows.append(
            ("Stuck", Styled(f"yes: {stuck} in {view.text(order.get('status'))}", "bold red"))
        )
    # The plan (issue 15): the day promised, rush, and why it is held.
    due = view.due_text(order, now.date())
    if due is not None:
        day = f"{view.text(order.get('dueAt'))} ({due})"
        summary.rows.append(("Due", Styled(day, "bold red") if order.get("late") is True else day))
    if view.is_rush(order):
        summary.rows.append(("Priority", Styled("RUSH", "bold magenta")))
    held = view.hold_text(order)
    if held is not None:
        hold = order.get("hold") or {}
        by = f" — {view.text(hold.get('by'))}" if isinstance(hold, Mapping) and hold.get("by") else ""
        summary.rows.append(("Hold", Styled(held + by, "yellow")))
    return summary


def _delivery(order: Mapping[str, Any], now: datetime) -> Section | None:
    if view.delivery_line(order) is None:
        return None
    raw = order.get("delivery")
    handed: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    return Section(
        "Delivery",
        [
            ("Courier", handed.get("courier") or "missing"),
            ("Tracking", handed.get("trackingNumber") or "missing — the customer is waiting for it"),
            ("Handed over", view.when(handed.get("handedAt"), now) if handed.get("handedAt") else None),
        ],
    )


def order_parts(order: Mapping[str, Any], now: datetime) -> list[Section | Grid]:
    """One order in full: summary, shipping, items, amounts and price check, delivery, payment
    evidence, history — what an admin checks before moving it on."""
    shipping = Section(
        "Shipping",
        [
            ("Address", order.get("shippingAddress")),
            ("City", order.get("shippingCity")),
            ("State", order.get("shippingState")),
        ],
    )
    # Who receives the parcel, when the order says (orders from before it was asked do not).
    for label, key in (
        ("Recipient", "recipientName"),
        ("Phone", "recipientPhone"),
        ("ID number", "recipientIdNumber"),
    ):
        if order.get(key):
            shipping.rows.append((label, order.get(key)))
    items = Grid(
        "Items",
        ["ITEM", "QTY", "UNIT USD", "PREVIEW"],
        [
            [line.label, line.quantity, line.unit_price, line.preview] if line else [view.NONE] * 4
            for line in view.item_lines(order)
        ],
    )
    amounts = Section(
        "Amounts",
        [
            ("Subtotal", view.usd(order.get("subtotal"))),
            ("Shipping", view.usd(order.get("shippingCost"))),
            ("Total", view.usd(order.get("total"))),
            ("Rate", f"{view.bs(order.get('exchangeRate'))} per USD"),
            ("Total Bs", view.bs(order.get("totalBs"))),
            ("Price check", _checked(view.price_check(order))),
        ],
    )
    parts: list[Section | Grid] = [_summary(order, now), shipping, items, amounts]
    delivery = _delivery(order, now)
    if delivery is not None:
        parts.append(delivery)
    parts += _payments(order, now)
    history = [_history_row(h) for h in view.history_lines(order)]
    # The timeline: moves, notes and planning changes, each with who and when.
    parts.append(Grid("History", ["WHEN (UTC)", "CHANGE", "BY", "NOTE"], history))
    return parts


def _cell_text(value: Any) -> str:
    return value.text if isinstance(value, Styled) else view.text(value)


def plain(parts: Sequence[Section | Grid]) -> str:
    """The parts as indented plain text (`Label: value`, grid rows tab-separated), for a pipe."""
    lines: list[str] = []
    for part in parts:
        lines.append(view.text(part.title))
        if isinstance(part, Section):
            lines += [f"  {label}: {_cell_text(value)}" for label, value in part.rows if value is not None]
        else:
            rows = ["  " + "\t".join(_cell_text(c) for c in row) for row in part.rows]
            lines += rows or ["  " + view.NONE]
        lines.append("")
    return "\n".join(lines)


def _cell(value: Any) -> Text:
    if isinstance(value, Styled):
        return literal(value.text, value.style)
    return literal(view.text(value))


def status_text(status: object) -> Text:
    """A status in its colour (lists and panels)."""
    return _cell(_status(status))


def panels(parts: Sequence[Section | Grid]) -> RenderableType:
    """The parts as rich panels, one per part, stacked (what a terminal shows)."""
    from rich import box
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    drawn: list[RenderableType] = []
    for part in parts:
        body: RenderableType
        if isinstance(part, Section):
            grid = Table.grid(padding=(0, 2))
            grid.add_column(style="bold")
            grid.add_column()
            for label, value in part.rows:
                if value is not None:
                    grid.add_row(literal(label), _cell(value))
            body = grid
        elif part.rows:
            table = Table(*part.headers, box=box.SIMPLE_HEAD, header_style="bold")
            for row in part.rows:
                table.add_row(*(_cell(c) for c in row))
            body = table
        else:
            body = Text(view.NONE)
        # A panel's title is markup when it is a str: it names the order, so a Text too.
        title = literal(view.text(part.title))
        drawn.append(Panel(body, title=title, title_align="left", box=box.ROUNDED))
    return Group(*drawn)


def order_panel(order: Mapping[str, Any], now: datetime) -> RenderableType:
    """`panels(order_parts(order, now))`: the whole detail of one order, drawn."""
    return panels(order_parts(order, now))


def _customer(order: Mapping[str, Any]) -> str | None:
    """Who placed the order, as staff know people: the account's e-mail (`customerEmail`), else a
    guest; the account's uuid only from a server that sends no e-mail."""
    email = order.get("customerEmail")
    if isinstance(email, str) and email:
        return email
    if order.get("userId"):
        return str(order["userId"])
    return "guest (no account)" if order.get("guestId") else None
