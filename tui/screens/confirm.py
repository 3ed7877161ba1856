"""A yes/no question over the board, e.g. before advancing an order."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from krafta_cli.literal import literal

__all__ = ["ConfirmDialog"]


class ConfirmDialog(ModalScreen[bool]):
    """Dismisses with True (`y`, `enter`, Yes) or False (`n`, `escape`, No)."""

    # Focus starts on Yes, so `enter` pressing the focused button also means "yes".
    AUTO_FOCUS = "#yes"

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes", tooltip="Accept"),
        Binding("enter", "answer(True)", "Yes", id="confirm.enter", show=False, tooltip="Accept"),
        Binding("n", "answer(False)", "No", id="confirm.no", tooltip="Leave the order as it is"),
        Binding("escape", "answer(False)", "Back", id="confirm.escape", tooltip="Leave the order as it is"),
    ]

    def __init__(self, question: str, *, title: str = "Confirm") -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.dialog_title = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            # The question names orders and what the server said about them: literal text.
            box.border_title = literal(self.dialog_title)
            yield Static(literal(self.question), classes="question")
            with Horizontal(classes="buttons"):
                yield Button("Yes (y)", id="yes", variant="primary")
                yield Button("No (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, accept: bool) -> None:
        self.dismiss(accept)
