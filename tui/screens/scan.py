"""The board's scan field (`:`): what `krafta scan` does, staying open for the next scan.

A scanner types a ticket's code and Enter into the field; each scan moves that order one step
(`krafta_cli.workflows.Station`), a line says what happened, and a refusal rings the terminal's bell. The
courier field (pre-filled with the board's last courier) is who takes the hand-overs: a hand-over
scan then waits for the next scan as that parcel's tracking number. Scans are handled one at a
time, in the order they were typed, by one worker thread: a burst of scans never overtakes itself.
"""

from __future__ import annotations

import queue

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Log, Static

from krafta_cli.client import KraftaClient
from krafta_cli.literal import literal
from krafta_cli.view import sanitize
from krafta_cli.workflows import ScanLine, Station

__all__ = ["ScanScreen"]

_STOP = object()


class ScanScreen(ModalScreen[None]):
    """A scan field over the board; escape closes it (the board follows the moves live)."""

    BINDINGS = [Binding("escape", "close", "Close", id="scan.close", tooltip="Close the scan field")]

    def __init__(self, client: KraftaClient, *, courier: str = "") -> None:
        super().__init__()
        self.station = Station(client, courier=courier.strip() or None)
        self._courier = courier
        self._scans: queue.Queue[object] = queue.Queue()
        self.lines: list[ScanLine] = []
        """Every line shown, in order (tests read them)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="scan-box"):
            yield Static("Scan station — a ticket's code, or a number and enter", id="scan-title")
            yield Input(self._courier, placeholder="courier for hand-overs (optional)", id="scan-courier")
            yield Input(placeholder="scan…", id="scan-input")
            yield Log(id="scan-log", max_lines=200)
            yield Static(literal(self.station.summary()), id="scan-count")

    def on_mount(self) -> None:
        self.query_one("#scan-input", Input).focus()
        self._work()

    def on_unmount(self) -> None:
        self._scans.put(_STOP)

    @on(Input.Changed, "#scan-courier")
    def _courier_changed(self, event: Input.Changed) -> None:
        self.station.courier = event.value.strip() or None

    @on(Input.Submitted, "#scan-input")
    def _scanned(self, event: Input.Submitted) -> None:
        event.input.clear()
        if event.value.strip():
            self._scans.put(event.value)

    @on(Input.Submitted, "#scan-courier")
    def _courier_done(self) -> None:
        self.query_one("#scan-input", Input).focus()

    @work(thread=True, group="scan", exit_on_error=False)
    def _work(self) -> None:
        while (scan := self._scans.get()) is not _STOP:
            result = self.station.scan(str(scan))
            if result is not None:
                self.app.call_from_thread(self._show, result)

    def _show(self, line: ScanLine) -> None:
        self.lines.append(line)
        mark = "✗" if line.refused else "✓"
        # Log writes plain text (no markup): an order's text shows as typed.
        self.query_one("#scan-log", Log).write_line(f"{mark} {sanitize(line.text)}")
        self.query_one("#scan-count", Static).update(literal(self.station.summary()))
        waiting = self.station.waiting_for
        self.query_one("#scan-input", Input).placeholder = (
            f"tracking number for {waiting}…" if waiting else "scan…"
        )
        if line.refused:
            self.app.bell()

    def action_close(self) -> None:
        left = self.station.close()
        if left is not None:
            self.app.notify(left.text, title="Scan station", severity="warning")
        self.dismiss(None)
