"""Moving orders on after one confirmation; a hand-over then asks courier and tracking number per order.

Every move on the board is `a`, then `y` (or `enter`) in the same yes/no dialog — a hand-over
too. Only after that does the hand-over form open (`HandoverForm`), so the `y` a hand has learnt
never lands in a text field. The form has one row per order handed over: its courier, starting as
the last one used on this board (one courier usually takes the afternoon's parcels), and its own
tracking number — couriers give one per parcel. The rows are `BurstInput`s: a scanner's burst or a
pasted column of numbers fills them in order, `enter` going down the tracking numbers, then to
the button. Fields may stay empty (the move is allowed without them, as in the seed); the form
says what will be missing. `escape` backs out: nothing is moved, not even the other orders of
the same confirmation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from krafta_cli.literal import literal
from krafta_cli.workflows import Handover, MoveRequest
from tui.screens.confirm import ConfirmDialog
from tui.widgets.fields import BurstInput

__all__ = [
    "COURIER_MAX",
    "TRACKING_MAX",
    "CourierMemory",
    "HandoverForm",
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
    """Ask once for `requests` (yes/no), then, when some of them hand an order over, their courier
    and tracking numbers (`HandoverForm`); then `send` them all.

    `lines` lists every order concerned (also those that will not move), one per line.
    """
    shown = list(lines) or [r.line for r in requests]
    handovers = [r for r in requests if r.is_handover]
    then = "\n\nNext: the courier and a tracking number for each parcel." if handovers else ""

    def handed(answers: dict[str, Handover] | None) -> None:
        if answers is None:
            return
        couriers = [a.courier for a in answers.values() if a.courier]
        if couriers:
            memory.courier = couriers[-1]
        send([r.with_handover(answers.get(r.order_id, Handover())) for r in requests])

    def answered(accept: bool | None) -> None:
        if not accept:
            return
        if handovers:
            screen.app.push_screen(HandoverForm(handovers, courier=memory.courier), handed)
        else:
            send(list(requests))

    if len(requests) == 1 and not lines:
        screen.app.push_screen(ConfirmDialog(requests[0].question + then, title="Advance"), answered)
        return
    question = f"Move these {len(requests)} orders?\n\n" + "\n".join(shown) + then
    screen.app.push_screen(ConfirmDialog(question, title=f"Advance {len(requests)} marked"), answered)


class HandoverForm(ModalScreen[dict[str, Handover] | None]):
    """Dismisses with each handed-over order's `Handover` (by order id), or None to move nothing."""

    AUTO_FOCUS = "#tracking-0"

    BINDINGS = [
        Binding("escape", "back", "Back", id="handover.escape", tooltip="Nothing is moved"),
    ]

    def __init__(self, requests: Sequence[MoveRequest], *, courier: str = "") -> None:
        """`requests`: the hand-overs, one row each, in the order they were confirmed."""
        super().__init__(classes="dialog-screen")
        self.requests = list(requests)
        self.last_courier = courier
        self._typed_courier: set[int] = set()
        """Rows whose courier the operator typed (the others follow the row above)."""
        self._set_courier = dict.fromkeys(range(len(self.requests)), courier)
        """The courier this form last put in each row (a change to anything else was typed)."""

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        count = len(self.requests)
        with Vertical(classes="dialog -handover") as box:
            box.border_title = "Hand over to the courier"
            yield Static(
                "One tracking number per parcel: enter goes to the next one (a scanner's too).",
                classes="note",
            )
            with Horizontal(classes="handover-row -head"):
                yield Static("Order", classes="number")
                yield Static("Courier", classes="courier")
                yield Static("Tracking number", classes="tracking")
            with VerticalScroll(id="rows"):
                for row, request in enumerate(self.requests):
                    with Horizontal(classes="handover-row"):
                        yield Static(literal(request.number), classes="number")
                        yield BurstInput(
                            value=self.last_courier,
                            placeholder="MRW, Zoom…",
                            id=f"courier-{row}",
                            classes="courier",
                            max_length=COURIER_MAX,
                            compact=True,
                            after_enter=self._after(row, tracking=False),
                        )
                        yield BurstInput(
                            placeholder="tracking number",
                            id=f"tracking-{row}",
                            classes="tracking",
                            max_length=TRACKING_MAX,
                            compact=True,
                            after_enter=self._after(row, tracking=True),
                        )
            yield Static("", id="missing", classes="note")
            with Horizontal(classes="buttons"):
                yield Button(f"Hand over {count}" if count > 1 else "Hand over", id="yes", variant="primary")
                yield Button("Back (esc)", id="back")

    def _after(self, row: int, *, tracking: bool) -> Callable[[], Widget | None]:
        """Where `enter` goes: from a courier to its tracking number, from a tracking number to
        the next row's, from the last one to the button."""

        def target() -> Widget | None:
            if not tracking:
                return self.query_one(f"#tracking-{row}", Input)
            if row + 1 < len(self.requests):
                return self.query_one(f"#tracking-{row + 1}", Input)
            return self.query_one("#yes", Button)

        return target

    def on_mount(self) -> None:
        self._say_missing()

    # -- the answers ---------------------------------------------------------------------------

    def answers(self) -> dict[str, Handover]:
        """Each order's courier and tracking number as typed (None where empty)."""
        found = {}
        for row, request in enumerate(self.requests):
            courier = self.query_one(f"#courier-{row}", Input).value.strip()
            tracking = self.query_one(f"#tracking-{row}", Input).value.strip()
            found[request.order_id] = Handover(courier or None, tracking or None)
        return found

    def _numbers(self, rows: Sequence[int]) -> str:
        return ", ".join(self.requests[row].number for row in rows)

    def _repeated(self) -> list[int]:
        """Rows whose tracking number an earlier row already has (a parcel scanned twice)."""
        seen: set[str] = set()
        repeated = []
        for row, answer in enumerate(self.answers().values()):
            if answer.tracking_number in seen:
                repeated.append(row)
            if answer.tracking_number:
                seen.add(answer.tracking_number)
        return repeated

    def _say_missing(self) -> None:
        answers = list(self.answers().values())
        untracked = [row for row, a in enumerate(answers) if a.tracking_number is None]
        no_courier = [row for row, a in enumerate(answers) if a.courier is None]
        notes = []
        if no_courier:
            notes.append(f"No courier for {self._numbers(no_courier)}.")
        if untracked:
            notes.append(f"No tracking number for {self._numbers(untracked)}.")
        if notes:
            notes.append("Allowed: the order will say what is missing.")
        repeated = self._repeated()
        if repeated:
            notes = [
                f"{self._numbers(repeated)}: the same tracking number as another parcel — one per parcel."
            ]
        # literal, not a str: the numbers are shown as themselves, never read as markup.
        self.query_one("#missing", Static).update(literal(" ".join(notes)))

    @on(Input.Changed)
    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        input_id = event.input.id or ""
        if input_id.startswith("courier-"):
            row = int(input_id.removeprefix("courier-"))
            if event.value != self._set_courier.get(row):
                # Typed by the operator: the rows below that nobody typed in follow it.
                self._typed_courier.add(row)
                for below in range(row + 1, len(self.requests)):
                    if below not in self._typed_courier:
                        self._set_courier[below] = event.value
                        self.query_one(f"#courier-{below}", Input).value = event.value
        self._say_missing()

    @on(Button.Pressed)
    def on_button(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id != "yes":
            self.dismiss(None)
        elif self._repeated():
            self._say_missing()
            self.query_one(f"#tracking-{self._repeated()[0]}", Input).focus()
        else:
            self.dismiss(self.answers())

    def action_back(self) -> None:
        self.dismiss(None)
