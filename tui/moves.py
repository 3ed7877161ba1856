"""Sending a move from the board: what both the board and the detail screen call.

`send_move` runs in a worker thread (it blocks on the network) and never raises: its
`MoveOutcome` carries the updated order or the error, together with the request, so the screen
can say which order failed to move. It always sends the status the operator saw as
`expectedStatus`: a move on an order someone else moved meanwhile is a 409, never a double step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from krafta_cli import view
from krafta_cli.client import KraftaClient, Status

__all__ = ["MoveOutcome", "MoveRequest", "send_move", "send_moves"]


@dataclass(frozen=True)
class MoveRequest:
    """Move order `order_id` (shown as `number`, seen in `source`) to `target`."""

    order_id: str
    number: str
    source: str
    target: str
    note: str | None = None
    # Sent with a move to HANDED_TO_DELIVERY only (the server refuses them with any other).
    courier: str | None = None
    tracking_number: str | None = None

    @property
    def is_cancel(self) -> bool:
        return self.target == Status.CANCELLED

    @property
    def question(self) -> str:
        """What the confirm dialog asks."""
        return (
            f"Move {self.number} from {view.status_label(self.source)} to {view.status_label(self.target)}?"
        )


@dataclass(frozen=True)
class MoveOutcome:
    """The request and either the order as the server returned it, or why it failed."""

    request: MoveRequest
    order: dict[str, Any] | None = None
    error: BaseException | None = None


def send_move(client: KraftaClient, request: MoveRequest) -> MoveOutcome:
    try:
        order = client.advance(
            request.order_id,
            request.target,
            expected=request.source,
            note=request.note,
            courier=request.courier,
            tracking_number=request.tracking_number,
        )
    except Exception as error:  # reported by the screen with the order's number, bug or not
        return MoveOutcome(request, error=error)
    return MoveOutcome(request, order=order)


def send_moves(client: KraftaClient, requests: Sequence[MoveRequest]) -> tuple[MoveOutcome, ...]:
    """Moves in bulk are many single moves (SPEC): each with its own expected status, one after the
    other, so a conflict on one never blocks the others."""
    return tuple(send_move(client, request) for request in requests)
