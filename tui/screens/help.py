"""`?`: every key of the board, read from the bindings themselves so the list cannot drift.

Two layouts, chosen by what the terminal has room for, so the help never needs scrolling: one key
a row with what it does in full where the full list fits (120×40 and up), else two columns of
keys with their short names and a shorter legend (80×24: the tooltips are in the command palette).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.console import Console, RenderableType
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

# The help dialog's frame: `.dialog.-help` is 96 cells wide at most 95% of the screen, at most 90%
# of its height, with a round border and `padding: 1 2` (tui/board.tcss).
_WIDTH, _MAX_WIDTH, _MAX_HEIGHT = 96, 0.95, 0.90
_FRAME_WIDTH, _FRAME_HEIGHT = 2 + 4, 2 + 2


@dataclass(frozen=True)
class _Row:
    keys: str
    name: str
    does: str


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding(
            "escape,question_mark,q", "close", "Close help", id="help.close", tooltip="Back to the board"
        ),
    ]

    def __init__(self, bindings: Iterable[Binding]) -> None:
        super().__init__(classes="dialog-screen")
        self._key_bindings = list(bindings)
        self.compact = False
        """Two columns of short names: the full list would not fit the terminal without scrolling."""

    def rows(self) -> list[_Row]:
        """One row per action; the actions of one binding group (the arrows) share a row."""
        keys: dict[str, list[str]] = {}
        described: dict[str, Binding] = {}
        for binding in self._key_bindings:
            keys.setdefault(binding.action, []).append(self.app.get_key_display(binding))
            described.setdefault(binding.action, binding)
        rows: list[_Row] = []
        groups: dict[str, list[Binding]] = {}
        for action, binding in described.items():
            if binding.group is None:
                does = binding.tooltip
                rows.append(_Row(" ".join(dict.fromkeys(keys[action])), binding.description, does))
                continue
            if binding.group.description not in groups:
                groups[binding.group.description] = []
                rows.append(_Row("", binding.group.description, ""))  # filled in below, in its place
            groups[binding.group.description].append(binding)
        for index, row in enumerate(rows):
            members = groups.get(row.name) if not row.keys else None
            if members:
                # `↑↓←→ kjhl`: each action's first key together, then their other keys.
                firsts = "".join(keys[b.action][0] for b in members)
                others = "".join(k for b in members for k in keys[b.action][1:])
                does = ", ".join(b.description.lower() for b in members)
                rows[index] = _Row(f"{firsts} {others}".strip(), row.name.capitalize(), does.capitalize())
        return rows

    def _full(self, rows: list[_Row]) -> Table:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=False)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("does")
        for row in rows:
            text = Text(row.name)
            if row.does:
                text.append(f" — {row.does}", style="dim")
            table.add_row(row.keys, text)
        return table

    def _compact(self, rows: list[_Row]) -> Table:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
        for _ in range(2):
            table.add_column("key", style="bold", no_wrap=True)
            table.add_column("does", no_wrap=True, overflow="ellipsis", ratio=1)
        half = (len(rows) + 1) // 2
        for left, right in zip(rows[:half], [*rows[half:], None], strict=False):
            table.add_row(left.keys, left.name, *((right.keys, right.name) if right else ("", "")))
        return table

    @staticmethod
    def _legend(*, short: bool) -> Text:
        if short:
            return Text.assemble(
                ("age", "bold"),
                f" since placed, warning colour past {age(OLD_AFTER)} · ",
                ("stuck", "bold"),
                " too long in its status (the server's rules) · ",
                ("◆", "bold"),
                " marked with space: a and c act on every marked card. Ctrl+P: every key described.",
            )
        return Text.assemble(
            "Cards: ",
            ("age", "bold"),
            f" is time since the order was placed, in a warning colour past {age(OLD_AFTER)}; ",
            ("stuck", "bold"),
            " marks an order the server says has sat in its status too long (its rules: "
            "KRAFTA_STUCK_AFTER), with how long it has been there; ",
            ("◆", "bold"),
            " marks a card picked with space: a and c then act on every marked card. "
            "Moves offered are the ones the server allows you for that order. "
            "The board refreshes by itself; the mouse selects (double click opens).",
        )

    def _fits(self, parts: Iterable[RenderableType], width: int, height: int) -> bool:
        console = Console(width=max(1, width), file=None, legacy_windows=False)
        lines = sum(len(console.render_lines(part, pad=False)) for part in parts)
        return lines + 1 <= height  # + the blank line between the keys and the legend

    def compose(self) -> ComposeResult:
        rows = self.rows()
        screen = self.app.size
        width = min(_WIDTH, int(screen.width * _MAX_WIDTH)) - _FRAME_WIDTH
        height = int(screen.height * _MAX_HEIGHT) - _FRAME_HEIGHT
        keys: RenderableType = self._full(rows)
        legend = self._legend(short=False)
        self.compact = not self._fits((keys, legend), width, height)
        if self.compact:
            keys, legend = self._compact(rows), self._legend(short=True)
        with VerticalScroll(classes="dialog -help") as box:
            box.border_title = "Krafta board — keys"
            yield Static(keys, id="help-keys")
            yield Static(Text.assemble("\n", legend), classes="legend")

    def action_close(self) -> None:
        self.dismiss(None)
