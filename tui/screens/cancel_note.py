"""Cancelling an order asks why: the note goes into the order's history."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from krafta_cli.literal import literal

__all__ = ["CancelDialog"]


class CancelDialog(ModalScreen[str | None]):
    """Dismisses with the note, or None when the operator backs out."""

    AUTO_FOCUS = "#note"

    BINDINGS = [
        Binding("escape", "back", "Back", id="cancel.escape", tooltip="Keep the order; nothing is sent"),
    ]

    def __init__(self, number: str, status: str) -> None:
        super().__init__(classes="dialog-screen")
        self.number = number
        self.status = status

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -danger") as box:
            box.border_title = literal(f"Cancel {self.number}")
            yield Static(
                literal(
                    f"Cancel {self.number} ({self.status})? "
                    "This cannot be undone without an admin correction."
                ),
                classes="question",
            )
            yield Input(placeholder="why? (required, kept in the history)", id="note", max_length=500)
            yield Static("", id="why", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel order", id="confirm", variant="error")
                yield Button("Back (esc)", id="back")

    def _submit(self) -> None:
        note = self.query_one("#note", Input).value.strip()
        if not note:
            self.query_one("#why", Static).update("A note is required: say why the order is cancelled.")
            self.query_one("#note", Input).focus()
            return
        self.dismiss(note)

    @on(Input.Submitted, "#note")
    def on_note_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    @on(Button.Pressed)
    def on_button(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm":
            self._submit()
        else:
            self.dismiss(None)

    def action_back(self) -> None:
        self.dismiss(None)
