"""Planning dialogs (issue 15): the board's `H` asks why an order is held (and until when), `D`
the day promised, `n` a note. Each dismisses with the change a PATCH carries (the workflows'
`hold_change`, `due_change`, `note_change`), or None when the operator backs out; the server
judges the values (a reason it does not know is its 400, said by the board's error policy)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from krafta_cli.literal import literal
from krafta_cli.workflows import HOLD_REASONS, due_change, hold_change, note_change, read_day

__all__ = ["DueDialog", "HoldDialog", "NoteDialog"]

Change = dict[str, Any]


class _PlanDialog(ModalScreen[Change | None]):
    """A small form: its inputs, a line for what is wrong, OK and Back."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="plan.escape", tooltip="Change nothing; nothing is sent"),
    ]

    def __init__(self, title: str, question: str) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.question = question

    def inputs(self) -> ComposeResult:
        raise NotImplementedError

    def change(self) -> Change | str:
        """The change the form says, or a sentence saying what is wrong with it."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = literal(self.title_text)
            yield Static(literal(self.question), classes="question")
            yield from self.inputs()
            yield Static("", id="why", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("OK", id="confirm", variant="primary")
                yield Button("Back (esc)", id="back")

    def _submit(self) -> None:
        answer = self.change()
        if isinstance(answer, str):
            self.query_one("#why", Static).update(literal(answer))
            return
        self.dismiss(answer)

    @on(Input.Submitted)
    def on_submitted(self, event: Input.Submitted) -> None:
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

    def value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()


def _day(typed: str, today: date) -> date | str | None:
    try:
        return read_day(typed, today)
    except ValueError as exc:
        return str(exc)


class HoldDialog(_PlanDialog):
    """Why the orders wait (`MATERIAL`, … or its first letters), until when (optional), a note."""

    AUTO_FOCUS = "#reason"

    def __init__(self, what: str, today: Callable[[], date]) -> None:
        super().__init__(f"Hold {what}", f"Hold {what}? It keeps its status and place, and is never stuck.")
        self.today = today

    def inputs(self) -> ComposeResult:
        yield Input(placeholder=f"reason: {', '.join(HOLD_REASONS)}", id="reason", max_length=16)
        yield Input(placeholder="until (optional): 2026-12-10, tomorrow, +3", id="until", max_length=16)
        yield Input(placeholder="note (optional): what is missing", id="note", max_length=500)

    def change(self) -> Change | str:
        typed = self.value("reason").upper()
        reasons = [r for r in HOLD_REASONS if typed and r.startswith(typed)]
        if len(reasons) != 1:
            return f"Reason: one of {', '.join(HOLD_REASONS)}."
        until = _day(self.value("until"), self.today()) if self.value("until") else None
        if isinstance(until, str):
            return until
        return hold_change(reasons[0], until=until, note=self.value("note") or None)


class DueDialog(_PlanDialog):
    """The day promised to the customer: a date, today, tomorrow, +N, or none to clear it."""

    AUTO_FOCUS = "#day"

    def __init__(self, what: str, current: str, today: Callable[[], date]) -> None:
        super().__init__(f"Due date of {what}", f"The day promised for {what} (now: {current or 'none'}).")
        self.today = today

    def inputs(self) -> ComposeResult:
        yield Input(placeholder="2026-12-10, today, tomorrow, +3, or none", id="day", max_length=16)

    def change(self) -> Change | str:
        if not self.value("day"):
            return "Give a day (or none to clear it)."
        day = _day(self.value("day"), self.today())
        return day if isinstance(day, str) else due_change(day)


class NoteDialog(_PlanDialog):
    """A note for the order's timeline (who and when are the server's)."""

    AUTO_FOCUS = "#text"

    def __init__(self, number: str) -> None:
        super().__init__(f"Note on {number}", f"A note for {number}'s timeline.")

    def inputs(self) -> ComposeResult:
        yield Input(placeholder="the note (kept in the timeline with your name)", id="text", max_length=1000)

    def change(self) -> Change | str:
        return note_change(self.value("text")) if self.value("text") else "The note is empty."
