"""Everything `krafta` prints to stdout: rich tables and panels on a terminal, plain text when piped.

Commands build the same data either way and hand it here; this module alone decides the look:

* `--json`: the API's own objects, pretty-printed (`print_json`);
* stdout is a terminal: rich tables/panels, statuses coloured (rich honours `NO_COLOR`);
* stdout is not a terminal: tab-separated rows, no header, no ANSI codes, for `cut`/`awk`.

Strings from the server are stripped of control characters before printing: a payer name
holding an escape sequence must not be able to repaint the operator's terminal.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

__all__ = [
    "STATUS_STYLES",
    "Grid",
    "Section",
    "age",
    "clean",
    "items_summary",
    "money",
    "print_catalog",
    "print_json",
    "print_line",
    "print_order",
    "print_orders",
    "print_sections",
    "print_users",
    "stdout_is_tty",
    "when",
]

STATUS_STYLES: dict[str, str] = {
    "PENDING": "dim",
    "REPORTED": "yellow",
    "CONFIRMED": "cyan",
    "IN_PRODUCTION": "blue",
    "READY": "green",
    "HANDED_TO_DELIVERY": "magenta",
    "COMPLETED": "dim green",
    "CANCELLED": "red",
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NONE = "—"


def stdout_is_tty() -> bool:
    return sys.stdout.isatty()


def _console() -> Console:
    # highlight=False: rich would otherwise colour numbers and UUIDs at random in our tables.
    return Console(highlight=False)


def clean(value: Any) -> str:
    """A value as one printable line: None → "—", control characters (ESC, tabs, newlines) → space."""
    if value is None or value == "":
        return _NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _CONTROL.sub(" ", str(value)).strip() or _NONE


def money(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _NONE
    return f"{value:,.2f}"


def _parse_time(iso: Any) -> datetime | None:
    if not isinstance(iso, str):
        return None
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _span(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def age(iso: Any, now: datetime | None = None) -> str:
    """How long ago an ISO time was, compactly: "42s", "5m", "3h", "2d"."""
    then = _parse_time(iso)
    if then is None:
        return _NONE
    return _span(max(int(((now or datetime.now(UTC)) - then).total_seconds()), 0))


def when(iso: Any) -> str:
    """An ISO time as "2026-11-26 06:20 UTC (3h ago)"; unparsable values are shown as given."""
    then = _parse_time(iso)
    if then is None:
        return clean(iso)
    seconds = int((datetime.now(UTC) - then).total_seconds())
    relative = f"{_span(seconds)} ago" if seconds >= 0 else f"in {_span(-seconds)}"
    return f"{then.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({relative})"


def items_summary(order: Mapping[str, Any]) -> str:
    items = order.get("items")
    if not isinstance(items, list) or not items:
        return _NONE
    parts = []
    for item in items:
        if isinstance(item, dict):
            name = item.get("productName") or item.get("variantId") or "?"
            parts.append(f"{clean(name)} ×{clean(item.get('quantity'))}")
    return ", ".join(parts) or _NONE


def _place(order: Mapping[str, Any]) -> str:
    return f"{clean(order.get('shippingCity'))}, {clean(order.get('shippingState'))}"


def _status_text(status: Any) -> Text:
    label = clean(status)
    return Text(label, style=STATUS_STYLES.get(label, ""))


def print_line(text: str) -> None:
    """One line of plain text to stdout (confirmations such as `KRFT-1: A → B`)."""
    sys.stdout.write(_CONTROL.sub(" ", text) + "\n")
    sys.stdout.flush()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def _print_tsv(rows: Iterable[Sequence[Any]]) -> None:
    for row in rows:
        sys.stdout.write("\t".join(clean(cell) for cell in row) + "\n")
    sys.stdout.flush()


def _table(*headers: str, title: str | None = None) -> Table:
    table = Table(*headers, title=title, box=box.SIMPLE_HEAD, header_style="bold", title_justify="left")
    return table


# --------------------------------------------------------------------------- orders


def print_orders(orders: Sequence[Mapping[str, Any]]) -> None:
    """The orders list: number, age, status, city/state, items × qty, total USD / Bs."""
    if not stdout_is_tty():
        # Scripts get exact values (ISO time, plain numbers), not the human "3h" and "1,234.00".
        _print_tsv(
            (
                o.get("orderNumber"),
                o.get("status"),
                o.get("createdAt"),
                _place(o),
                items_summary(o),
                o.get("total"),
                o.get("totalBs"),
            )
            for o in orders
        )
        return
    console = _console()
    if not orders:
        console.print("No orders match.")
        return
    table = _table("NUMBER", "AGE", "STATUS", "CITY / STATE", "ITEMS", "TOTAL USD / Bs")
    table.columns[1].justify = "right"
    table.columns[5].justify = "right"
    for o in orders:
        table.add_row(
            clean(o.get("orderNumber")),
            age(o.get("createdAt")),
            _status_text(o.get("status")),
            _place(o),
            items_summary(o),
            f"{money(o.get('total'))} / {money(o.get('totalBs'))}",
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


def _price_check(order: Mapping[str, Any]) -> str:
    check = clean(order.get("priceCheck"))
    if check == "MISMATCH":
        expected, got = money(order.get("priceExpected")), money(order.get("subtotal"))
        return f"MISMATCH: expected subtotal {expected}, got {got}"
    if check == "UNKNOWN_VARIANT":
        return "UNKNOWN_VARIANT: the variant is not in the catalog (or was inactive); check the price by hand"
    return check


def _payment_section(index: int, count: int, payment: Mapping[str, Any]) -> Section:
    expected, reported = payment.get("amountExpected"), payment.get("amountReported")
    reported_text = f"Bs {money(reported)}"
    both_numbers = isinstance(expected, int | float) and isinstance(reported, int | float)
    if both_numbers and abs(expected - reported) > 0.005:
        reported_text += f"  ≠ expected (difference Bs {money(reported - expected)})"
    title = "Payment evidence" + (f" ({index}/{count})" if count > 1 else "")
    return Section(
        title,
        [
            ("Status", payment.get("status")),
            ("Method", payment.get("method")),
            ("Expected", f"Bs {money(expected)}"),
            ("Reported", reported_text),
            ("Reference", payment.get("reference")),
            ("Origin bank", payment.get("originBank")),
            ("Payer", payment.get("payerName")),
            ("Receipt", payment.get("receiptUrl")),
            ("Reported at", when(payment.get("reportedAt"))),
            (
                "Reviewed",
                f"{when(payment.get('reviewedAt'))} by {clean(payment.get('reviewedBy'))}"
                if payment.get("reviewedAt")
                else None,
            ),
        ],
    )


def _history_row(event: Mapping[str, Any]) -> list[Any]:
    source = clean(event.get("fromStatus")) if event.get("fromStatus") else "new"
    move = f"{source} → {clean(event.get('toStatus'))}" + (" (forced)" if event.get("forced") else "")
    who = "system"
    if event.get("userEmail"):
        who = f"{clean(event.get('userEmail'))} ({clean(event.get('userRole'))})"
    at = _parse_time(event.get("at"))
    # No "(3h ago)" here: one short fixed-width time per line keeps the history table readable.
    stamp = f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S}" if at else clean(event.get("at"))
    return [stamp, move, who, event.get("note")]


def _order_parts(order: Mapping[str, Any]) -> list[Section | Grid]:
    next_statuses = order.get("nextStatuses")
    summary = Section(
        f"Order {clean(order.get('orderNumber'))}",
        [
            ("Status", order.get("status")),
            (
                "Next",
                ", ".join(map(clean, next_statuses))
                if isinstance(next_statuses, list) and next_statuses
                else "— (nothing you may do now)",
            ),
            ("Id", order.get("id")),
            ("Created", when(order.get("createdAt"))),
            ("Updated", when(order.get("updatedAt"))),
            ("Customer", order.get("userId") or order.get("guestId")),
        ],
    )
    if order.get("storage") == "fallback":
        summary.rows.append(("Storage", "fallback file (database was down when it arrived)"))
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
            ("Subtotal", f"USD {money(order.get('subtotal'))}"),
            ("Shipping", f"USD {money(order.get('shippingCost'))}"),
            ("Total", f"USD {money(order.get('total'))}"),
            ("Rate", f"Bs {money(order.get('exchangeRate'))} per USD"),
            ("Total Bs", f"Bs {money(order.get('totalBs'))}"),
            ("Price check", _price_check(order)),
        ],
    )
    items = order.get("items") if isinstance(order.get("items"), list) else []
    items_grid = Grid(
        "Items",
        ["PRODUCT", "VARIANT", "QTY", "UNIT USD", "PREVIEW"],
        [
            [
                i.get("productName"),
                i.get("variantId"),
                i.get("quantity"),
                money(i.get("unitPrice")),
                i.get("previewUrl") or (f"design {i['designUploadId']}" if i.get("designUploadId") else None),
            ]
            for i in items
            if isinstance(i, dict)
        ],
    )
    payments = [p for p in order.get("payments") or [] if isinstance(p, dict)]
    history = [h for h in order.get("history") or [] if isinstance(h, dict)]
    history_grid = Grid(
        "History",
        ["WHEN (UTC)", "MOVE", "BY", "NOTE"],
        [_history_row(h) for h in history],
    )
    parts: list[Section | Grid] = [summary, shipping, items_grid, money_section]
    parts += [_payment_section(n, len(payments), p) for n, p in enumerate(payments, 1)]
    parts.append(history_grid)
    return parts


def print_order(order: Mapping[str, Any]) -> None:
    """One order in full: shipping, items, amounts and price check, payment evidence, history."""
    print_sections(_order_parts(order))


def print_sections(parts: Sequence[Section | Grid]) -> None:
    if not stdout_is_tty():
        lines: list[str] = []
        for part in parts:
            lines.append(part.title)
            if isinstance(part, Section):
                lines += [f"  {label}: {clean(value)}" for label, value in part.rows if value is not None]
            else:
                lines += ["  " + "\t".join(clean(c) for c in row) for row in part.rows] or ["  " + _NONE]
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
                grid.add_row(label, _status_text(value) if label == "Status" else Text(clean(value)))
            console.print(Panel(grid, title=part.title, title_align="left", box=box.ROUNDED))
        else:
            table = _table(*part.headers)
            for row in part.rows:
                table.add_row(*(Text(clean(c)) for c in row))
            body: Table | Text = table if part.rows else Text(_NONE)
            console.print(Panel(Group(body), title=part.title, title_align="left", box=box.ROUNDED))


# --------------------------------------------------------------------------- users, catalog


def print_users(users: Sequence[Mapping[str, Any]]) -> None:
    rows = [
        [u.get("email"), u.get("role"), u.get("active", True), u.get("createdAt"), u.get("id")] for u in users
    ]
    if not stdout_is_tty():
        _print_tsv(rows)
        return
    table = _table("EMAIL", "ROLE", "ACTIVE", "CREATED", "ID")
    for row in rows:
        table.add_row(*(clean(c) for c in row))
    _console().print(table)


def print_catalog(products: Sequence[Mapping[str, Any]]) -> None:
    """One row per variant: product id and name, variant id, sku, base price, active."""
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
                    money(v.get("basePrice")) if v else None,
                    bool(product.get("active", True)) and bool(v.get("active", True)),
                ]
            )
    if not stdout_is_tty():
        _print_tsv(rows)
        return
    if not rows:
        _console().print("The catalog is empty: load one with `krafta catalog import FILE.json`.")
        return
    table = _table("PRODUCT", "NAME", "VARIANT", "SKU", "BASE USD", "ACTIVE")
    table.columns[4].justify = "right"
    for row in rows:
        table.add_row(*(clean(c) for c in row))
    _console().print(table)
