"""Messages the board's screens send up to the app ("attributes down, messages up").

A screen gets its client and data in `__init__` and never imports the app: when something
happens that is not its own business — a network call failed, an order moved, the server
answered again — it posts one of these, and `BoardApp` decides what the user sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.message import Message

from krafta_cli.workflows import MoveOutcome, PlanOutcome

__all__ = [
    "ClientFailed",
    "MovesDone",
    "OrderMoved",
    "PlansDone",
    "ServerAnswered",
    "TicketsSaved",
    "moved_or_failed",
]


class ClientFailed(Message):
    """A call to the server failed; `doing` and `subject` say what it was ("move", "KRFT-1")."""

    def __init__(self, error: BaseException, *, doing: str = "", subject: str = "") -> None:
        super().__init__()
        self.error = error
        self.doing = doing
        self.subject = subject


class OrderMoved(Message):
    """An order moved at this user's request (from the board or the detail screen)."""

    def __init__(self, number: str, source: str, order: dict[str, Any]) -> None:
        super().__init__()
        self.number = number
        self.source = source
        self.order = order


class MovesDone(Message):
    """A bulk move (the marked cards) finished: one outcome per order, moved or not."""

    def __init__(self, outcomes: tuple[MoveOutcome, ...]) -> None:
        super().__init__()
        self.outcomes = outcomes
        self.unmarked: frozenset[str] = frozenset()
        """Numbers of the failed ones the board unmarked: someone else had moved them meanwhile."""

    @property
    def moved(self) -> list[MoveOutcome]:
        return [o for o in self.outcomes if o.order is not None]

    @property
    def failed(self) -> list[MoveOutcome]:
        return [o for o in self.outcomes if o.order is None]


class PlansDone(Message):
    """A planning change (`!`, `H`, `n`, `D`) finished: one outcome per order, changed or not."""

    def __init__(self, what: str, outcomes: tuple[PlanOutcome, ...]) -> None:
        super().__init__()
        self.what = what
        """What was asked, in words (`rush`, `hold`, …), for the note the board shows."""
        self.outcomes = outcomes

    @property
    def changed(self) -> list[PlanOutcome]:
        return [o for o in self.outcomes if o.order is not None]

    @property
    def failed(self) -> list[PlanOutcome]:
        return [o for o in self.outcomes if o.order is None]


class TicketsSaved(Message):
    """Job tickets were written to a file (the board's `p`): `count` of them, at `path`."""

    def __init__(self, path: Path, count: int) -> None:
        super().__init__()
        self.path = path
        self.count = count


class ServerAnswered(Message):
    """A call succeeded: the server is reachable (clears the offline banner)."""


def moved_or_failed(outcome: MoveOutcome) -> OrderMoved | ClientFailed:
    """The message a finished move sends up: the moved order, or the error with the order's number."""
    request = outcome.request
    if outcome.order is not None:
        return OrderMoved(request.number, request.source or "?", outcome.order)
    error = outcome.error or RuntimeError("the move returned nothing")
    return ClientFailed(error, doing="cancel" if request.is_cancel else "move", subject=request.number)
