"""The hand-over confirmation: which orders go to the courier, with the courier and tracking number.

Both fields may stay empty (the move is allowed without them, as in the seed); the dialog then
says what will be missing. The courier starts as the last one used on this board, because the
same courier usually picks up the whole afternoon's parcels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Static

from krafta_cli.workflows import Handover, MoveRequest
from tui.screens.confirm import ConfirmDialog

__all__ = [
    "COURIER_MAX",
    "TRACKING_MAX",
    "CourierMemory",
    "HandoverDialog",
    "confirm_moves",
]

# The server's limits (SPEC, "Hand-over and batches"); it refuses longer values with a 400.
COURIER_MAX = 40
TRACKING_MAX = 64


@dataclass
class CourierMemory:
    """The last courier typed on this board, shared by the board and the detail screen."""

    courier: str = ""


def confirm_moves(
    screen: Screen[Any],
    requests: Sequence[MoveRequest],
    memory: CourierMemory,
    send: Callable[[list[MoveRequest]], object],
    *,
    lines: Sequence[str] = (),
) -> None:
    """Ask once for `requests`, then `send` them: the hand-over dialog when one of them hands an
    order over (courier and tracking number go with those moves only), else a yes/no question.

    `lines` lists every order concerned (also those that will not move), one per line.
    """
    shown = list(lines) or [r.line for r in requests]
    if any(r.is_handover for r in requests):

        def handed(handover: Handover | None) -> None:
            if handover is None:
                return
            if handover.courier:
                memory.courier = handover.courier
            send([r.with_handover(handover) for r in requests])

        screen.app.push_screen(HandoverDialog(shown, courier=memory.courier), handed)
        return

    def answered(accept: bool | None) -> None:
        if accept:
            send(list(requests))

    if len(requests) == 1 and not lines:
        screen.app.push_screen(ConfirmDialog(requests[0].question, title="Advance"), answered)
        return
    question = f"Move these {len(requests)} orders?\n\n" + "\n".join(shown)
    screen.app.push_screen(ConfirmDialog(question, title=f"Advance {len(requests)} marked"), answered)


class HandoverDialog(ModalScreen[Handover | None]):
    """Dismisses with a `Handover`, or None when the operator backs out."""

    AUTO_FOCUS = "#courier"

    BINDINGS = [
        Binding("escape", "back", "Back", id="handover.escape", tooltip="Nothing is moved"),
    ]

    def __init__(self, lines: Sequence[str], *, courier: str = "") -> None:
        """`lines`: one per order, e.g. "KRFT-482031  READY → HANDED TO DELIVERY"."""
        super().__init__(classes="dialog-screen")
        self.lines = list(lines)
        self.last_courier = courier

    def compose(self) -> ComposeResult:
        count = len(self.lines)
        with Vertical(classes="dialog -handover") as box:
            box.border_title = "Hand over to the courier"
            shown = self.lines[:12] + ([f"… and {count - 12} more"] if count > 12 else [])
            yield Static("\n".join(shown), classes="question", id="orders")
            yield Input(
                value=self.last_courier,
                placeholder="courier (MRW, Zoom, Tealca, Domesa, …)",
                id="courier",
                max_length=COURIER_MAX,
            )
            yield Input(placeholder="tracking number", id="tracking", max_length=TRACKING_MAX)
            yield Static("", id="missing", classes="note")
            with Horizontal(classes="buttons"):
                yield Button(
                    f"Hand over {count} (enter)" if count > 1 else "Hand over (enter)",
                    id="yes",
                    variant="primary",
                )
                yield Button("Back (esc)", id="back")

    def on_mount(self) -> None:
        self._say_missing()

    def _values(self) -> Handover:
        courier = self.query_one("#courier", Input).value.strip()
        tracking = self.query_one("#tracking", Input).value.strip()
        return Handover(courier or None, tracking or None)

    def _say_missing(self) -> None:
        answer = self._values()
        missing = [
            name
            for name, value in (("courier", answer.courier), ("tracking number", answer.tracking_number))
            if value is None
        ]
        text = (
            f"No {' and no '.join(missing)}: allowed, and the order will say it is missing."
            if missing
            else ""
        )
        self.query_one("#missing", Static).update(text)

    @on(Input.Changed)
    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._say_missing()

    @on(Input.Submitted, "#courier")
    def on_courier_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#tracking", Input).focus()

    @on(Input.Submitted, "#tracking")
    def on_tracking_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(self._values())

    @on(Button.Pressed)
    def on_button(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self._values() if event.button.id == "yes" else None)

    def action_back(self) -> None:
        self.dismiss(None)
