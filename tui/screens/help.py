"""`?`: every key of the board, read from the bindings themselves so the list cannot drift."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from krafta_cli.view import age
from tui.presentation import OLD_AFTER

__all__ = ["HelpScreen"]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding(
            "escape,question_mark,q", "close", "Close help", id="help.close", tooltip="Back to the board"
        ),
    ]

    def __init__(self, bindings: Iterable[Binding]) -> None:
        super().__init__(classes="dialog-screen")
        self._key_bindings = list(bindings)

    def _keys_table(self) -> Table:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=False)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("does")
        keys: dict[str, list[str]] = {}
        described: dict[str, Binding] = {}
        for binding in self._key_bindings:
            keys.setdefault(binding.action, []).append(self.app.get_key_display(binding))
            described.setdefault(binding.action, binding)
        for action, binding in described.items():
            text = Text(binding.description)
            if binding.tooltip:
                text.append(f" — {binding.tooltip}", style="dim")
            table.add_row(" ".join(dict.fromkeys(keys[action])), text)
        return table

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog -help") as box:
            box.border_title = "Krafta board — keys"
            yield Static(self._keys_table())
            yield Static(
                Text.assemble(
                    "\nCards: ",
                    ("age", "bold"),
                    f" is time since the order was placed, in a warning colour past {age(OLD_AFTER)}; ",
                    ("stuck", "bold"),
                    " marks an order the server says has sat in its status too long (its rules: "
                    "KRAFTA_STUCK_AFTER), with how long it has been there; ",
                    ("◆", "bold"),
                    " marks a card picked with space: a and c then act on every marked card. "
                    "Moves offered are the ones the server allows you for that order. "
                    "The board refreshes by itself; the mouse selects (double click opens).",
                ),
                classes="legend",
            )

    def action_close(self) -> None:
        self.dismiss(None)
