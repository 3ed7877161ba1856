"""`b`: production batches — what the workshop prints together — and picking one to work on.

The grouping is `krafta_cli.workflows.production_batches`, the same function `krafta orders batches`
prints, over CONFIRMED and IN_PRODUCTION orders fetched when the screen opens. Choosing a batch
dismisses with its orders (id, number, status as fetched); the board marks them, so "start this
batch" is `b`, `enter`, `a`.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from krafta_cli import view
from krafta_cli.client import KraftaClient
from krafta_cli.literal import literal
from krafta_cli.workflows import BATCH_STATUSES, Batch, BatchOrder, production_batches

__all__ = ["BatchesScreen", "batch_prompt"]

_SHOWN_NUMBERS = 4


def batch_prompt(batch: Batch) -> Text:
    """One line per batch: status, `12 × Franela blanca · M · blanco`, its oldest orders."""
    numbers = [o.number for o in batch.orders]
    more = f" +{len(numbers) - _SHOWN_NUMBERS}" if len(numbers) > _SHOWN_NUMBERS else ""
    # Product names and attribute values come from the catalog: server text, sanitised.
    return Text.assemble(
        (f"{view.status_label(batch.status):<14}", "dim"),
        (view.sanitize(batch.label), "bold"),
        (view.sanitize(f"   {', '.join(numbers[:_SHOWN_NUMBERS])}{more}"), "dim"),
    )


class BatchesScreen(ModalScreen[tuple[BatchOrder, ...] | None]):
    """Dismisses with the chosen batch's orders (oldest first), or None."""

    AUTO_FOCUS = "#batches"

    BINDINGS = [
        Binding("escape,b", "back", "Back", id="batches.back", tooltip="Back to the board, nothing marked"),
        Binding(
            "enter",
            "choose",
            "Mark batch",
            id="batches.choose",
            tooltip="Mark this batch's orders on the board",
        ),
    ]

    def __init__(self, client: KraftaClient) -> None:
        super().__init__(classes="dialog-screen")
        self.client = client
        self.batches: list[Batch] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -batches") as box:
            box.border_title = "Production batches"
            yield Static("loading…", id="batches-note", classes="note")
            yield OptionList(id="batches", markup=False)

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exit_on_error=False)
    def _load(self) -> list[Batch]:
        orders = list(self.client.iter_orders(status=BATCH_STATUSES))
        catalog = self.client.list_catalog()
        return production_batches(orders, catalog)

    @on(Worker.StateChanged)
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.SUCCESS and isinstance(event.worker.result, list):
            self.show_batches(event.worker.result)
        elif event.state is WorkerState.ERROR and event.worker.error is not None:
            failed = f"could not load the batches: {view.text(str(event.worker.error))}"
            self.query_one("#batches-note", Static).update(literal(failed))

    def show_batches(self, batches: list[Batch]) -> None:
        self.batches = batches
        options = self.query_one("#batches", OptionList)
        options.clear_options()
        options.add_options([Option(batch_prompt(b), id=str(i)) for i, b in enumerate(batches)])
        note = (
            f"{len(batches)} batches · enter marks a batch's orders on the board, then `a` moves them all"
            if batches
            else "No CONFIRMED or IN_PRODUCTION orders: nothing to batch."
        )
        self.query_one("#batches-note", Static).update(note)
        if batches:
            options.highlighted = 0

    def _choose(self, index: int | None) -> None:
        if index is not None and 0 <= index < len(self.batches):
            self.dismiss(self.batches[index].orders)

    @on(OptionList.OptionSelected, "#batches")
    def on_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option_index)

    def action_choose(self) -> None:
        self._choose(self.query_one("#batches", OptionList).highlighted)

    def action_back(self) -> None:
        self.dismiss(None)
