"""Everything `krafta` prints to stdout: rich tables and panels, tab-separated rows, or JSON.

Commands build the same data whatever the format and hand it here; this module alone decides
the look (`OutputFormat`):

* `json` (`--json`, `--format json`): the API's own objects, pretty-printed (`print_json`);
* `table` (the default on a terminal): rich tables/panels, statuses coloured (rich honours `NO_COLOR`);
* `tsv` (the default when stdout is not a terminal): tab-separated rows, no header, no ANSI codes,
  exact values (ISO times, plain numbers) for `cut`/`awk`; README lists the columns.

What an order *says* (money, ages, checks, item lines) comes from `krafta_cli.view`, shared with
the board; every string from the server goes through `view.sanitize` (via `view.text`) before it
is printed: a payer name holding an escape sequence must not be able to repaint the terminal.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from krafta_cli import view
from krafta_cli.batches import Batch
from krafta_cli.client import Status

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

# rich's console, table and panel modules are imported where they are used, not here: `krafta
# --help` imports this module and must stay within 1.3× of importing typer, rich and httpx.

__all__ = [
    "ORDER_TSV_COLUMNS",
    "STATUS_STYLES",
    "Grid",
    "OutputFormat",
    "Section",
    "default_format",
    "print_batches",
    "print_catalog",
    "print_json",
    "print_line",
    "print_order",
    "print_orders",
    "print_sections",
    "print_users",
    "stdout_is_tty",
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
_CHECK_STYLES = {"ok": "green", "warning": "bold yellow", "unknown": "yellow"}

ORDER_TSV_COLUMNS = ("orderNumber", "status", "createdAt", "city, state", "items", "total", "totalBs")
"""What each tab-separated column of `krafta orders list` holds (README documents the same)."""


class OutputFormat(StrEnum):
    """`--format` of the list commands."""

    TABLE = "table"
    TSV = "tsv"
    JSON = "json"


def stdout_is_tty() -> bool:
    return sys.stdout.isatty()


def default_format(chosen: OutputFormat | None, *, as_json: bool = False) -> OutputFormat:
    """`--json` wins, then `--format`; otherwise a table on a terminal and TSV in a pipe."""
    if as_json:
        return OutputFormat.JSON
    if chosen is not None:
        return chosen
    return OutputFormat.TABLE if stdout_is_tty() else OutputFormat.TSV


def _console() -> Console:
    from rich.console import Console

    # highlight=False: rich would otherwise colour numbers and UUIDs at random in our tables.
    return Console(highlight=False)


def print_line(line: str) -> None:
    """One line of plain text to stdout (confirmations such as `KRFT-1: A → B`)."""
    sys.stdout.write(view.sanitize(line) + "\n")
    sys.stdout.flush()


# json.dumps(ensure_ascii=False) escapes C0 but writes DEL, C1 and lone surrogates raw; a raw
# 0x9b is a one-byte CSI to some terminals. Inside JSON strings \\uXXXX is the same value.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\ud800-\udfff\u2028\u2029]")


def print_json(data: Any) -> None:
    """`data` as indented JSON; the values are exactly the server's, the bytes terminal-safe."""
    encoded = json.dumps(data, ensure_ascii=False, indent=2)
    sys.stdout.write(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded) + "\n")
    sys.stdout.flush()


def _print_tsv(rows: Iterable[Sequence[Any]]) -> None:
    for row in rows:
        sys.stdout.write("\t".join(view.text(cell) for cell in row) + "\n")
    sys.stdout.flush()


def _table(*headers: str, title: str | None = None) -> Table:
    from rich import box
    from rich.table import Table

    return Table(*headers, title=title, box=box.SIMPLE_HEAD, header_style="bold", title_justify="left")


def _status_text(status: Any) -> Text:
    from rich.text import Text

    label = view.text(status)
    return Text(label, style=STATUS_STYLES.get(label, ""))


def _exact_money(value: Any) -> str:
    """Money for scripts: two decimals, no thousands separator (`1234.50`)."""
    return view.amount(value).replace(",", "")


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- orders


def print_orders(orders: Sequence[Mapping[str, Any]], fmt: OutputFormat | None = None) -> None:
    """The orders list: number, age, status, city/state, items × qty, total USD / Bs."""
    fmt = default_format(fmt)
    if fmt is OutputFormat.JSON:
        print_json(list(orders))
        return
    if fmt is OutputFormat.TSV:
        # Scripts get exact values (ISO time, plain numbers), not the human "3 h" and "1,234.00".
        _print_tsv(
            (
                o.get("orderNumber"),
                o.get("status"),
                o.get("createdAt"),
                view.place(o),
                view.items_summary(o),
                _exact_money(o.get("total")),
                _exact_money(o.get("totalBs")),
            )
            for o in orders
        )
        return
    console = _console()
    if not orders:
        console.print("No orders match.")
        return
    now = _now()
    table = _table("NUMBER", "AGE", "STATUS", "CITY / STATE", "ITEMS", "TOTAL USD / Bs")
    table.columns[1].justify = "right"
    table.columns[5].justify = "right"
    for o in orders:
        status = _status_text(o.get("status"))
        stuck = view.stuck_text(o.get("stuck"), view.entered_status_at(o), now)
        if stuck:
            status.append(f" stuck {stuck}", style="bold red")
        table.add_row(
            view.text(o.get("orderNumber")),
            view.age_since(o.get("createdAt"), now),
            status,
            view.place(o),
            view.items_summary(o),
            f"{view.usd(o.get('total'))} / {view.bs(o.get('totalBs'))}",
        )
    console.print(table)


@dataclass
class Section:
    """A titled list of label/value lines (a panel on a terminal, an indented block when piped)."""

    title: str
    rows: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class Grid:
    """A titled table inside a detail view (items, history)."""

    title: str
    headers: list[str]
    rows: list[list[Any]]


def _checked(check: view.Check) -> Text:
    from rich.text import Text

    return Text(check.text, style=_CHECK_STYLES[check.level])


def _payment_section(index: int, count: int, payment: Mapping[str, Any], now: datetime) -> Section:
    title = "Payment evidence" + (f" ({index}/{count})" if count > 1 else "")
    reviewed = None
    if payment.get("reviewedAt"):
        by = f" by {view.text(payment.get('reviewedBy'))}" if payment.get("reviewedBy") else ""
        reviewed = f"{view.when(payment.get('reviewedAt'), now)}{by}"
    return Section(
        title,
        [
            ("Status", payment.get("status")),
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


def _history_row(line: view.HistoryLine | None) -> list[Any]:
    if line is None:
        return [view.NONE] * 4
    # No "(3 h ago)" here: one short fixed-width time per line keeps the history table readable.
    stamp = f"{line.at.astimezone(UTC):%Y-%m-%d %H:%M:%S}" if line.at else view.NONE
    return [stamp, line.move, line.who, line.note]


def _order_parts(order: Mapping[str, Any]) -> list[Section | Grid]:
    now = _now()
    offered = view.next_statuses(order)
    summary = Section(
        f"Order {view.text(order.get('orderNumber'))}",
        [
            ("Status", order.get("status")),
            ("Next", ", ".join(map(view.text, offered)) if offered else "— (nothing you may do now)"),
            ("Id", order.get("id")),
            ("Created", view.when(order.get("createdAt"), now)),
            ("Updated", view.when(order.get("updatedAt"), now)),
            ("Customer", order.get("userId") or order.get("guestId")),
        ],
    )
    if order.get("storage") == "fallback":
        summary.rows.append(("Storage", "fallback file (database was down when it arrived)"))
    stuck = view.stuck_text(order.get("stuck"), view.entered_status_at(order), now)
    if stuck:
        from rich.text import Text

        summary.rows.append(
            ("Stuck", Text(f"yes: {stuck} in {view.text(order.get('status'))}", style="bold red"))
        )
    shipping = Section(
        "Shipping",
        [
            ("Address", order.get("shippingAddress")),
            ("City", order.get("shippingCity")),
            ("State", order.get("shippingState")),
        ],
    )
    money_section = Section(
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
    items_grid = Grid(
        "Items",
        ["PRODUCT", "VARIANT", "QTY", "UNIT USD", "PREVIEW"],
        [
            [line.product, line.variant, line.quantity, line.unit_price, line.preview]
            if line
            else [view.NONE] * 5
            for line in view.item_lines(order)
        ],
    )
    payments = [p for p in order.get("payments") or [] if isinstance(p, Mapping)]
    history_grid = Grid(
        "History", ["WHEN (UTC)", "MOVE", "BY", "NOTE"], [_history_row(h) for h in view.history_lines(order)]
    )
    parts: list[Section | Grid] = [summary, shipping, items_grid, money_section]
    delivery = view.delivery_line(order)
    if delivery is not None:
        raw = order.get("delivery")
        handed: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        parts.append(
            Section(
                "Delivery",
                [
                    ("Courier", handed.get("courier") or "missing"),
                    ("Tracking", handed.get("trackingNumber") or "missing — the customer is waiting for it"),
                    (
                        "Handed over",
                        view.when(handed.get("handedAt"), now) if handed.get("handedAt") else None,
                    ),
                ],
            )
        )
    parts += [_payment_section(n, len(payments), p, now) for n, p in enumerate(payments, 1)]
    parts.append(history_grid)
    return parts


def print_order(order: Mapping[str, Any]) -> None:
    """One order in full: shipping, items, amounts and price check, payment evidence, history."""
    print_sections(_order_parts(order))


def _cell(value: Any) -> Text:
    from rich.text import Text

    return value if isinstance(value, Text) else Text(view.text(value))


def print_sections(parts: Sequence[Section | Grid]) -> None:
    from rich import box
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    if not stdout_is_tty():
        lines: list[str] = []
        for part in parts:
            lines.append(view.text(part.title))
            if isinstance(part, Section):
                lines += [
                    f"  {label}: {_cell(value).plain}" for label, value in part.rows if value is not None
                ]
            else:
                lines += ["  " + "\t".join(_cell(c).plain for c in row) for row in part.rows] or [
                    "  " + view.NONE
                ]
            lines.append("")
        sys.stdout.write("\n".join(lines))
        sys.stdout.flush()
        return
    console = _console()
    for part in parts:
        if isinstance(part, Section):
            grid = Table.grid(padding=(0, 2))
            grid.add_column(style="bold")
            grid.add_column()
            for label, value in part.rows:
                if value is None:
                    continue
                grid.add_row(label, _status_text(value) if label == "Status" else _cell(value))
            console.print(Panel(grid, title=view.text(part.title), title_align="left", box=box.ROUNDED))
        else:
            table = _table(*part.headers)
            for row in part.rows:
                table.add_row(*(_cell(c) for c in row))
            body: Table | Text = table if part.rows else Text(view.NONE)
            console.print(
                Panel(Group(body), title=view.text(part.title), title_align="left", box=box.ROUNDED)
            )


# --------------------------------------------------------------------------- users, catalog


def _print_rows(
    headers: Sequence[str], rows: list[list[Any]], fmt: OutputFormat | None, *, empty: str, right: int = -1
) -> None:
    fmt = default_format(fmt)
    if fmt is OutputFormat.TSV:
        _print_tsv(rows)
        return
    if not rows:
        _console().print(empty)
        return
    table = _table(*headers)
    if right >= 0:
        table.columns[right].justify = "right"
    for row in rows:
        table.add_row(*(view.text(c) for c in row))
    _console().print(table)


def print_users(users: Sequence[Mapping[str, Any]], fmt: OutputFormat | None = None) -> None:
    if default_format(fmt) is OutputFormat.JSON:
        print_json(list(users))
        return
    rows = [
        [u.get("email"), u.get("role"), u.get("active", True), u.get("createdAt"), u.get("id")] for u in users
    ]
    _print_rows(["EMAIL", "ROLE", "ACTIVE", "CREATED", "ID"], rows, fmt, empty="No users.")


def print_catalog(products: Sequence[Mapping[str, Any]], fmt: OutputFormat | None = None) -> None:
    """One row per variant: product id and name, variant id, sku, base price, active."""
    if default_format(fmt) is OutputFormat.JSON:
        print_json(list(products))
        return
    rows: list[list[Any]] = []
    for product in products:
        variants = [v for v in product.get("variants") or [] if isinstance(v, dict)] or [{}]
        for v in variants:
            rows.append(
                [
                    product.get("id"),
                    product.get("name"),
                    v.get("id"),
                    v.get("sku"),
                    view.amount(v.get("basePrice")) if v else None,
                    bool(product.get("active", True)) and bool(v.get("active", True)),
                ]
            )
    _print_rows(
        ["PRODUCT", "NAME", "VARIANT", "SKU", "BASE USD", "ACTIVE"],
        rows,
        fmt,
        empty="The catalog is empty: load one with `krafta catalog import FILE.json`.",
        right=4,
    )


# --------------------------------------------------------------------------- production batches


def print_batches(batches: Sequence[Batch], fmt: OutputFormat | None = None) -> None:
    """One row per batch: status, total quantity, what to print, its orders oldest first."""
    rows = [[b.status, b.quantity, b.name, ", ".join(o.number for o in b.orders)] for b in batches]
    _print_rows(
        ["STATUS", "QTY", "BATCH", "ORDERS (oldest first)"],
        rows,
        fmt,
        empty="No CONFIRMED or IN_PRODUCTION orders: nothing to batch.",
        right=1,
    )
