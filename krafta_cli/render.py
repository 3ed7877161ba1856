"""Everything `krafta` prints to stdout: rich tables and panels, tab-separated rows, or JSON.

Commands build the same data whatever the format and hand it here; this module alone decides
the look (`OutputFormat`):

* `json` (`--json`, `--format json`): the API's own objects, pretty-printed (`print_json`);
* `table` (the default on a terminal): rich tables/panels, statuses coloured (rich honours `NO_COLOR`);
* `tsv` (the default when stdout is not a terminal): tab-separated rows, no header, no ANSI codes,
  exact values (ISO times, plain numbers) for `cut`/`awk`; README lists the columns.

What an order *says* (money, ages, checks, item lines) comes from `krafta_cli.view`, shared with
the board; every string from the server goes through `view.sanitize` (via `view.text`) before it
is printed: a payer name holding an escape sequence must not be able to repaint the terminal. In
a rich table every cell is a `krafta_cli.literal` `Text`, never a `str` rich would read as markup.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from krafta_cli import view, workflows
from krafta_cli.literal import literal

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

# rich's console, table and panel modules are imported where they are used, not here: `krafta
# --help` imports this module and must stay within 1.3× of importing typer, rich and httpx.

__all__ = [
    "ORDER_TSV_COLUMNS",
    "OutputFormat",
    "default_format",
    "print_batches",
    "print_catalog",
    "print_device_tokens",
    "print_json",
    "print_line",
    "print_order",
    "print_orders",
    "print_sections",
    "print_users",
    "stdout_is_tty",
]

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


# json.dumps(ensure_ascii=False) escapes C0 but writes DEL, C1, lone surrogates and format
# characters raw; a raw 0x9b is a one-byte CSI to some terminals, a raw U+202E reverses what
# follows on the screen. Inside JSON strings \\uXXXX is the same value.
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f\ud800-\udfff\u2028\u2029{view.FORMAT_CHARACTERS}]")


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # outside the BMP (the tag characters): JSON spells it as a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def print_json(data: Any) -> None:
    """`data` as indented JSON; the values are exactly the server's, the bytes terminal-safe."""
    encoded = json.dumps(data, ensure_ascii=False, indent=2)
    sys.stdout.write(_JSON_UNSAFE.sub(_json_escape, encoded) + "\n")
    sys.stdout.flush()


def _print_tsv(rows: Iterable[Sequence[Any]]) -> None:
    for row in rows:
        sys.stdout.write("\t".join(view.text(cell) for cell in row) + "\n")
    sys.stdout.flush()


def _table(*headers: str, title: str | None = None) -> Table:
    from rich import box
    from rich.table import Table

    return Table(*headers, title=title, box=box.SIMPLE_HEAD, header_style="bold", title_justify="left")


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
    from rich.text import Text

    now = _now()
    today = now.astimezone().date()
    table = _table("NUMBER", "AGE", "STATUS", "DUE", "CITY / STATE", "ITEMS", "TOTAL USD / Bs")
    table.columns[1].justify = "right"
    table.columns[6].justify = "right"
    for o in orders:
        status = workflows.status_text(o.get("status"))
        stuck = view.stuck_text(o.get("stuck"), view.parse_time(o.get("enteredStatusAt")), now)
        if stuck:
            status.append(f" stuck {stuck}", style="bold red")
        if view.is_rush(o):
            status.append(" RUSH", style="bold magenta")
        held = view.hold_text(o)
        if held:
            status.append(f" held {view.text((o.get('hold') or {}).get('reason'))}", style="yellow")
        due = view.due_text(o, today)
        table.add_row(
            literal(view.text(o.get("orderNumber"))),
            literal(view.age_since(o.get("createdAt"), now)),
            status,
            Text(due or view.NONE, style="bold red" if o.get("late") is True else ""),
            literal(view.place(o)),
            literal(view.items_summary(o)),
            literal(f"{view.usd(o.get('total'))} / {view.bs(o.get('totalBs'))}"),
        )
    console.print(table)


def print_order(order: Mapping[str, Any]) -> None:
    """One order in full: shipping, items, amounts and price check, payment evidence, history."""
    print_sections(workflows.order_parts(order, _now()))


def print_sections(parts: Sequence[workflows.Section | workflows.Grid]) -> None:
    """Titled sections and grids: rich panels on a terminal, indented plain text in a pipe."""
    if not stdout_is_tty():
        sys.stdout.write(workflows.plain(parts))
        sys.stdout.flush()
        return
    _console().print(workflows.panels(parts))


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
        table.add_row(*(literal(view.text(c)) for c in row))
    _console().print(table)


def print_users(users: Sequence[Mapping[str, Any]], fmt: OutputFormat | None = None) -> None:
    if default_format(fmt) is OutputFormat.JSON:
        print_json(list(users))
        return
    rows = [
        [u.get("email"), u.get("role"), u.get("active", True), u.get("createdAt"), u.get("id")] for u in users
    ]
    _print_rows(["EMAIL", "ROLE", "ACTIVE", "CREATED", "ID"], rows, fmt, empty="No users.")


def print_device_tokens(devices: Sequence[Mapping[str, Any]], fmt: OutputFormat | None = None) -> None:
    if default_format(fmt) is OutputFormat.JSON:
        print_json(list(devices))
        return
    rows = [
        [
            d.get("name"),
            d.get("role"),
            d.get("expiresAt"),
            d.get("revokedAt") or "",
            d.get("createdBy"),
            d.get("id"),
        ]
        for d in devices
    ]
    _print_rows(
        ["NAME", "ROLE", "EXPIRES", "REVOKED", "ISSUED BY", "ID"], rows, fmt, empty="No device tokens."
    )


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


def print_batches(batches: Sequence[workflows.Batch], fmt: OutputFormat | None = None) -> None:
    """One row per batch: status, total quantity, what to print, its orders oldest first."""
    rows = [[b.status, b.quantity, b.name, ", ".join(o.number for o in b.orders)] for b in batches]
    _print_rows(
        ["STATUS", "QTY", "BATCH", "ORDERS (oldest first)"],
        rows,
        fmt,
        empty="No CONFIRMED or IN_PRODUCTION orders: nothing to batch.",
        right=1,
    )
