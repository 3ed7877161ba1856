"""Server text as rich `Text`: the one way a string from the server reaches a rich table, a panel or
a Textual widget in either client.

rich and Textual read a plain `str` as markup: a `shippingCity` of `[/close]` raised MarkupError
(every `krafta orders list` at a terminal failed while that order was listed; the board closed
when its detail opened), `[link=https://evil.example]Lara[/link]` became a real hyperlink and
`[bold red]PAID IN FULL[/]` in a payer's name was styled. A `Text` is never parsed: what the
customer typed is what the operator reads. `view.sanitize` first takes out what a terminal would
act on (control characters, bidi controls, zero-width characters), so `literal` is both gates in
one call. Plain output (`print_line`, TSV, a pipe, Textual's `Log`) needs only `view.sanitize`;
JSON stays the server's values (`render.print_json`).

rich is imported on the first call, not here: `krafta --help` must stay fast (see `render`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from krafta_cli import view

if TYPE_CHECKING:
    from rich.style import StyleType
    from rich.text import Text

__all__ = ["literal", "literal_lines"]


def literal(value: str, style: StyleType = "") -> Text:
    """`value` (already worded by `krafta_cli.view`, or any server string) as one inert line."""
    from rich.text import Text

    return Text(view.sanitize(value), style=style)


def literal_lines(value: str, style: StyleType = "") -> Text:
    """`literal` for a message shown on several lines (a toast listing orders, a note): LF kept."""
    from rich.text import Text

    return Text(view.sanitize(value, keep_newlines=True), style=style)
