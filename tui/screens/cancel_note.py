"""Cancelling an order asks why: the note goes into the order's history. Rejecting a payment asks
why too: the reason goes to the customer (`RejectDialog`)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from krafta_cli.literal import literal

__all__ = ["CancelDialog", "ConfirmReusedDialog", "RejectDialog"]


class CancelDialog(ModalScreen[str | None]):
    """Dismisses with the note, or None when the operator backs out."""

    # What the dialog says; `RejectDialog` says its own.
    VERB = "Cancel"
    QUESTION = "Cancel {number} ({status})? This cannot be undone without an admin correction."
    PLACEHOLDER = "why? (required, kept in the history)"
    BUTTON = "Cancel order"
    REQUIRED = "A note is required: say why the order is cancelled."

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
            box.border_title = literal(f"{self.VERB} {self.number}")
            yield Static(
                literal(self.QUESTION.format(number=self.number, status=self.status)),
                classes="question",
            )
            yield Input(placeholder=self.PLACEHOLDER, id="note", max_length=500)
            yield Static("", id="why", classes="error")
            with Horizontal(classes="buttons"):
                yield Button(self.BUTTON, id="confirm", variant="error")
                yield Button("Back (esc)", id="back")

    def _submit(self) -> None:
        note = self.query_one("#note", Input).value.strip()
        if not note:
            self.query_one("#why", Static).update(self.REQUIRED)
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


class RejectDialog(CancelDialog):
    """Rejecting a REPORTED order's payment (ADMIN): the reason is required, and the customer sees it."""

    VERB = "Reject payment of"
    QUESTION = (
        "Reject the payment of {number} ({status})? "
        "It goes back to PENDING until the customer sends new evidence."
    )
    PLACEHOLDER = "why? (required; the customer is shown it)"
    BUTTON = "Reject payment"
    REQUIRED = "A reason is required: the customer is shown why the payment was rejected."


class ConfirmReusedDialog(CancelDialog):
    """Confirming a payment whose reference other orders' payments carry: the server takes it only
    as a forced move with a note, so the board asks for the note (`status` names the other orders)."""

    VERB = "Confirm"
    QUESTION = (
        "The payment of {number} has a reference also on {status}. Checked with the bank? "
        "It is confirmed as a correction, with your note."
    )
    PLACEHOLDER = "what the bank said (required, kept in the history)"
    BUTTON = "Confirm anyway"
    REQUIRED = "A note is required: say how the payment was checked."
