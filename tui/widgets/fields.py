"""`BurstInput`: a text field that keeps a burst of keys in order — a barcode scanner, a paste.

Why: a scanner (or a fast typist, or a terminal without bracketed paste) sends its keys faster
than the board handles them. Textual hands each key to the widget focused when the key *arrives*,
and a Tab moves the focus only once it has travelled up to the app's bindings: the keys behind
the Tab were already queued for the old field. "Zoom", Tab, "888" made the courier `Zoom888`
(issue 19). A `BurstInput` therefore moves the focus itself, at once, on Tab, Shift+Tab and
Enter, and passes on any key that reaches it after the focus has left, to the field that has it
now: the burst lands where a slow typist's keys would have. A paste is read the same way, its tabs
and line ends moving from field to field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from textual import events
from textual.widget import Widget
from textual.widgets import Input

__all__ = ["BurstInput"]

# A pasted spreadsheet row or column: its cells end at tabs, its rows at line ends.
_CELL = re.compile(r"(\t|\r\n|\r|\n)")


class BurstInput(Input):
    """An `Input` whose Tab, Shift+Tab and Enter move the focus at once (see the module docstring).

    `after_enter` says where Enter goes (None: stay, as an `Input` does); Enter still posts
    `Input.Submitted` first.
    """

    def __init__(self, *, after_enter: Callable[[], Widget | None] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.after_enter = after_enter

    def _focused_elsewhere(self) -> Widget | None:
        focused = self.screen.focused
        return focused if focused is not None and focused is not self else None

    async def _on_key(self, event: events.Key) -> None:
        elsewhere = self._focused_elsewhere()
        if elsewhere is not None:
            # Queued here before the focus moved on: it belongs to the widget that has it now,
            # handed over as the app hands keys to the focused widget (marked as forwarded, so its
            # bindings — a button's Enter — are checked once it bubbles back up).
            self._stop(event)
            elsewhere._forward_event(events.Key(event.key, event.character))
            return
        if event.key in ("tab", "shift+tab", "enter"):
            self._stop(event)
            self._move_on(event.key)
        # Anything else: the Input's own handling (the next class in the MRO).

    def _stop(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()

    def _move_on(self, key: str) -> None:
        """What Tab, Shift+Tab and Enter do, done now (the focus is set before the next key)."""
        if key == "tab":
            self.screen.focus_next()
        elif key == "shift+tab":
            self.screen.focus_previous()
        else:
            # As Input.action_submit, without waiting: the focus must move before the next key.
            validation = self.validate(self.value) if "submitted" in self.validate_on else None
            self.post_message(self.Submitted(self, self.value, validation))
            target = self.after_enter() if self.after_enter is not None else None
            if target is not None:
                # Not target.focus(): that waits for the next turn of the app's loop.
                self.screen.set_focus(target)

    def _on_paste(self, event: events.Paste) -> None:
        """Cells separated by tabs and line ends go field by field, as typed keys would."""
        elsewhere = self._focused_elsewhere()
        if elsewhere is not None:
            event.stop()
            event.prevent_default()
            elsewhere.post_message(events.Paste(event.text))
            return
        pieces = _CELL.split(event.text)
        if len(pieces) == 1:
            return  # one cell: the Input's own paste
        event.stop()
        event.prevent_default()
        first, separator, rest = pieces[0], pieces[1], "".join(pieces[2:])
        if self.selection.is_empty:
            self.insert_text_at_cursor(first)
        else:
            self.replace(first, *self.selection)
        self._move_on("tab" if separator == "\t" else "enter")
        after = self._focused_elsewhere()
        if rest and after is not None:
            after.post_message(events.Paste(rest))
