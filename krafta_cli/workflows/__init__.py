"""What both clients do with orders, written once: the `krafta` CLI and the board import it from here.

    from krafta_cli.workflows import plan_moves, send_moves, production_batches, order_panel

* Moves (`_moves.py`): the advance-target rule (`advance_target`, `can_cancel`), planning a move
  from what the operator saw (`plan_move`, `plan_moves`: one `MoveRequest` each) and sending them
  one by one (`send_move`, `send_moves`: one `MoveOutcome` each, never raising); the CLI's
  `look_up` and `order_refs` for orders named on the command line or stdin.
* Production batches (`_batches.py`): `production_batches`, what the workshop prints together.
* The scan station (`_station.py`): `Station`, one scan at a time moving its order one step
  (`krafta scan` and the board's `:`); `scanned_reference` reads the order out of a scan.
* Planning (`_planning.py`): the changes a PATCH carries (`due_change`, `rush_change`,
  `hold_change`, `release_change`, `note_change`), days as typed (`read_day`), one change sent to
  many orders (`send_plan`, `send_plans`: one `PlanOutcome` each, never raising), `plan_line`,
  and the list's planning filters (`plan_params`).
* Paper (`_paper.py`): `save_new` (tickets and manifests to a dated file that never replaces
  another), `save_to`, `tickets_name`.
* The detail panel (`_detail.py`): `order_parts` (what the panel of one order holds), drawn by
  `panels` (rich) or `plain` (a pipe); `order_panel` for both at once.

No Typer, no Textual, no I/O beyond the `KraftaClient` passed in and the file paper is saved to;
the words come from `krafta_cli.view`. The board (`tui`) may import from `krafta_cli` only
`client`, `view` and this package (an import-linter contract). The private modules may move; import from here.
"""

from typing import TYPE_CHECKING

from krafta_cli.client._lazy import lazy_attributes

if TYPE_CHECKING:
    from krafta_cli.workflows._batches import (
        BATCH_STATUSES,
        Batch,
        BatchOrder,
        batches_json,
        production_batches,
    )
    from krafta_cli.workflows._detail import (
        CHECK_STYLES,
        STATUS_STYLES,
        Grid,
        Section,
        Styled,
        order_panel,
        order_parts,
        panels,
        plain,
        status_text,
    )
    from krafta_cli.workflows._moves import (
        HANDOVER,
        SAME_REFERENCE,
        Handover,
        Movable,
        MoveOutcome,
        MoveRequest,
        Seen,
        Wanted,
        advance_target,
        can_cancel,
        look_up,
        order_refs,
        plan_move,
        plan_moves,
        role_refusal,
        send_move,
        send_moves,
    )
    from krafta_cli.workflows._paper import save_new, save_to, tickets_name
    from krafta_cli.workflows._planning import (
        HOLD_REASONS,
        PlanOutcome,
        due_change,
        hold_change,
        note_change,
        plan_line,
        plan_params,
        read_day,
        release_change,
        rush_change,
        send_plan,
        send_plans,
    )
    from krafta_cli.workflows._station import ScanLine, Station, scanned_reference

_HOMES = {
    "BATCH_STATUSES": "_batches",
    "Batch": "_batches",
    "BatchOrder": "_batches",
    "batches_json": "_batches",
    "production_batches": "_batches",
    "CHECK_STYLES": "_detail",
    "STATUS_STYLES": "_detail",
    "Grid": "_detail",
    "Section": "_detail",
    "Styled": "_detail",
    "order_panel": "_detail",
    "order_parts": "_detail",
    "panels": "_detail",
    "plain": "_detail",
    "status_text": "_detail",
    "HANDOVER": "_moves",
    "Handover": "_moves",
    "Movable": "_moves",
    "MoveOutcome": "_moves",
    "MoveRequest": "_moves",
    "Seen": "_moves",
    "Wanted": "_moves",
    "advance_target": "_moves",
    "can_cancel": "_moves",
    "look_up": "_moves",
    "order_refs": "_moves",
    "plan_move": "_moves",
    "plan_moves": "_moves",
    "role_refusal": "_moves",
    "SAME_REFERENCE": "_moves",
    "send_move": "_moves",
    "send_moves": "_moves",
    "save_new": "_paper",
    "save_to": "_paper",
    "tickets_name": "_paper",
    "HOLD_REASONS": "_planning",
    "PlanOutcome": "_planning",
    "due_change": "_planning",
    "hold_change": "_planning",
    "note_change": "_planning",
    "plan_line": "_planning",
    "plan_params": "_planning",
    "read_day": "_planning",
    "release_change": "_planning",
    "rush_change": "_planning",
    "send_plan": "_planning",
    "send_plans": "_planning",
    "ScanLine": "_station",
    "Station": "_station",
    "scanned_reference": "_station",
}

__all__ = [
    "BATCH_STATUSES",
    "CHECK_STYLES",
    "HANDOVER",
    "HOLD_REASONS",
    "SAME_REFERENCE",
    "STATUS_STYLES",
    "Batch",
    "BatchOrder",
    "Grid",
    "Handover",
    "Movable",
    "MoveOutcome",
    "MoveRequest",
    "PlanOutcome",
    "ScanLine",
    "Section",
    "Seen",
    "Station",
    "Styled",
    "Wanted",
    "advance_target",
    "batches_json",
    "can_cancel",
    "due_change",
    "hold_change",
    "look_up",
    "note_change",
    "order_panel",
    "order_parts",
    "order_refs",
    "panels",
    "plain",
    "plan_line",
    "plan_move",
    "plan_moves",
    "plan_params",
    "production_batches",
    "read_day",
    "release_change",
    "role_refusal",
    "rush_change",
    "save_new",
    "save_to",
    "scanned_reference",
    "send_move",
    "send_moves",
    "send_plan",
    "send_plans",
    "status_text",
    "tickets_name",
]


__getattr__ = lazy_attributes(__name__, _HOMES, globals())
