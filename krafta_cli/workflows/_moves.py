"""Moving orders: the advance-target rule, the plan of a move, and sending moves one by one.

There is no bulk endpoint (SPEC, "Hand-over and batches"): a move of many orders is many single
moves, each with the status its operator saw as `expectedStatus`, so a conflict on one never
blocks the others and a move on an order someone else moved meanwhile is a 409, never a double
step. Both clients go through here:

* `plan_move` / `plan_moves` turn what the operator saw (`Movable`: a `Seen` order in the CLI, an
  `OrderSummary` card on the board) into `MoveRequest`s, each with its own target;
* `send_move` / `send_moves` send them and return one `MoveOutcome` per order, error included
  (they never raise): the CLI turns outcomes into lines and an exit code, the board into one list.

No Typer, no Textual, no printing here. Which moves exist is never decided here either: it is the
server's `nextStatuses` on each order; the one rule a client keeps is which of them "advance" means.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from krafta_cli import view
from krafta_cli.client import (
    CLOSED_STATUSES,
    Conflict,
    Forbidden,
    KraftaClient,
    KraftaError,
    Order,
    Status,
    order_ref,
)

__all__ = [
    "HANDOVER",
    "SAME_REFERENCE",
    "Handover",
    "Movable",
    "MoveOutcome",
    "MoveRequest",
    "Seen",
    "Wanted",
    "advance_target",
    "can_cancel",
    "look_up",
    "order_refs",
    "plan_move",
    "plan_moves",
    "role_refusal",
    "send_move",
    "send_moves",
]

HANDOVER = Status.HANDED_TO_DELIVERY
"""The move that takes a courier and a tracking number."""

SAME_REFERENCE = "same_reference"
"""The code of a confirmation the server refuses because the payment's reference is on other orders
too: not a race (nobody moved the order), a check with the bank, then `force` with a note."""

_WORD = re.compile(r"\S+")


def advance_target(offered: Iterable[str]) -> str | None:
    """Where "advance" goes: the server's first offered move that is not a cancellation."""
    return next((s for s in offered if s != Status.CANCELLED), None)


def can_cancel(offered: Iterable[str]) -> bool:
    """Does the server offer this user a cancellation of the order?"""
    return Status.CANCELLED in offered


class Movable(Protocol):
    """What a move needs of an order as the operator saw it."""

    @property
    def id(self) -> str: ...
    @property
    def number(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def next_statuses(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Seen:
    """An order as the operator saw it: what is sent as `expectedStatus`, and what was offered."""

    id: str
    number: str
    status: str
    next_statuses: tuple[str, ...] = ()

    @classmethod
    def of(cls, order: Mapping[str, Any]) -> Seen:
        return cls(
            id=str(order.get("id") or ""),
            number=str(order.get("orderNumber") or order.get("id") or "?"),
            status=str(order.get("status") or "?"),
            next_statuses=view.next_statuses(order),
        )


@dataclass(frozen=True)
class Handover:
    """Courier and tracking number sent with a move to HANDED_TO_DELIVERY (either may be None)."""

    courier: str | None = None
    tracking_number: str | None = None

    @property
    def empty(self) -> bool:
        return self.courier is None and self.tracking_number is None


@dataclass(frozen=True)
class MoveRequest:
    """Move order `order_id` (shown as `number`, seen in `source`) to `target`.

    `target` is None when nothing is offered to this user from where the order is: the request is
    still planned (a confirmation lists it) but sending it fails without a network call. `source`
    is None only for an order that could not be looked up. `ref` is what the operator typed.
    """

    order_id: str
    number: str
    source: str | None
    target: str | None
    note: str | None = None
    # Sent with a move to HANDED_TO_DELIVERY only (the server refuses them with any other).
    handover: Handover = Handover()
    force: bool = False
    ref: str | None = None

    @property
    def is_cancel(self) -> bool:
        return self.target == Status.CANCELLED

    @property
    def is_handover(self) -> bool:
        return self.target == HANDOVER

    def with_handover(self, handover: Handover) -> MoveRequest:
        """This request with `handover` if it hands the order over; unchanged otherwise."""
        return replace(self, handover=handover) if self.is_handover else self

    @property
    def question(self) -> str:
        """What a confirmation of this one move asks."""
        return f"Move {self.number} from {_label(self.source)} to {_label(self.target)}?"

    @property
    def line(self) -> str:
        """`KRFT-1  READY → HANDED TO DELIVERY`: one line of a confirmation listing several moves."""
        to = _label(self.target) if self.target else "— nothing to move to"
        return f"{self.number}  {_label(self.source)} → {to}"


def _label(status: str | None) -> str:
    return view.status_label(status) if status else "?"


def plan_move(
    order: Movable,
    wanted: str | None = None,
    *,
    cancel: bool = False,
    note: str | None = None,
    handover: Handover = Handover(),
    force: bool = False,
    ref: str | None = None,
) -> MoveRequest:
    """The move of `order`: to `wanted`, else its cancellation (`cancel`), else its advance target."""
    if cancel:
        target: str | None = Status.CANCELLED if can_cancel(order.next_statuses) else None
    else:
        target = wanted or advance_target(order.next_statuses)
    request = MoveRequest(order.id, order.number, order.status, target, note=note, force=force, ref=ref)
    return request.with_handover(handover)


def plan_moves(
    orders: Iterable[Movable],
    wanted: str | None = None,
    *,
    cancel: bool = False,
    note: str | None = None,
    handover: Handover = Handover(),
) -> list[MoveRequest]:
    """One `plan_move` per order: each gets its own target, so one plan covers several columns."""
    return [plan_move(o, wanted, cancel=cancel, note=note, handover=handover) for o in orders]


@dataclass(frozen=True)
class MoveOutcome:
    """What happened to one requested move: `order` is the server's answer, else `error` says why."""

    request: MoveRequest
    order: Order | None = None
    error: Exception | None = None

    @property
    def moved(self) -> bool:
        return self.order is not None

    @property
    def ref(self) -> str:
        return self.request.ref or self.request.number

    @property
    def number(self) -> str:
        return self.request.number

    @property
    def source(self) -> str | None:
        return self.request.source

    @property
    def target(self) -> str | None:
        return self.request.target


def send_move(client: KraftaClient, request: MoveRequest) -> MoveOutcome:
    """Send one move with the status the operator saw. Never raises: the outcome carries the error."""
    if request.target is None or request.source is None:
        if request.source is not None and request.source not in CLOSED_STATUSES:
            return MoveOutcome(request, error=role_refusal(request.number, request.source))
        refused = Conflict(
            f"{request.number} is {request.source}: it has no next status",
            current_status=request.source,
            next_statuses=(),
        )
        return MoveOutcome(request, error=refused)
    try:
        order = client.advance(
            request.order_id,
            request.target,
            expected=request.source,
            note=request.note,
            force=request.force,
            courier=request.handover.courier,
            tracking_number=request.handover.tracking_number,
        )
    except Conflict as error:
        return MoveOutcome(request, error=_by_role(request, error))
    except Exception as error:
        # Any failure, a bug included, is this order's outcome: the other orders still move, and
        # the operator is told which order it was.
        return MoveOutcome(request, error=error)
    return MoveOutcome(request, order=order)


def role_refusal(number: str, status: str, why: str | None = None) -> Forbidden:
    """An open order the server offers this user no move for: their role's limit, not a conflict.

    The same cause as the server's 403 for a move another role makes, so the same error (exit 7),
    whatever the server's wording for a move nobody makes from there.
    """
    reason = f"; the server says: {why}" if why else ""
    return Forbidden(
        f"{number} is {status} and your role may not move it (no move is offered to you){reason}",
        status_code=403,
        code="FORBIDDEN",
    )


def _by_role(request: MoveRequest, error: Conflict) -> KraftaError:
    """A 409 on an order still where the operator saw it, open, with nothing offered to them, is
    their role's limit (a TALLER asking REPORTED → IN_PRODUCTION: nobody may skip the stage, but
    nothing from REPORTED is the TALLER's at all); every other 409 stays a conflict."""
    source = request.source
    if error.next_statuses or error.current_status != source or source is None or source in CLOSED_STATUSES:
        return error
    return role_refusal(request.number, source, error.message.rstrip("."))


def send_moves(client: KraftaClient, planned: Iterable[MoveRequest | MoveOutcome]) -> Iterator[MoveOutcome]:
    """Send each request in turn, yielding each outcome as it is done; an outcome (a failed
    look-up) passes through as it is. Lazy: nothing is sent until the caller iterates."""
    for item in planned:
        yield item if isinstance(item, MoveOutcome) else send_move(client, item)


def look_up(client: KraftaClient, ref: str) -> Seen | MoveOutcome:
    """The order as it is now (what will be sent as expected), or the outcome saying why not."""
    try:
        return Seen.of(client.get_order(ref))
    except KraftaError as error:
        return MoveOutcome(MoveRequest("", ref, None, None, ref=ref), error=error)


@dataclass(frozen=True)
class Wanted:
    """An order named on the command line or stdin, with the tracking number its line gave, if any."""

    ref: str
    tracking_number: str | None = None


def order_refs(args: Sequence[str], stdin: Callable[[], str]) -> list[Wanted]:
    """The orders named in `args`, where `-` stands for the lines read from stdin.

    Numbers are read as people type them (`order_ref`: `246177` is `KRFT-246177`). A stdin line
    of exactly two tab-separated fields is `NUMBER<TAB>TRACKING` (what `cut -f1,3`, a spreadsheet's
    two columns or a scanner's tab hand over): that parcel's own tracking number. Any other line
    holds numbers separated by white space, or is a longer tab-separated row whose first column is
    the number (what `krafta orders list` prints when piped), so the list can be piped straight in.
    Repeats are dropped (first one kept: moving an order twice in one run would take it two steps);
    one order given two different tracking numbers is a ValueError, as nobody can tell which is right.
    """
    found: dict[str, Wanted] = {}

    def add(word: str, tracking: str | None = None) -> None:
        ref = order_ref(word)
        earlier = found.setdefault(ref, Wanted(ref, tracking))
        if tracking and earlier.tracking_number and earlier.tracking_number != tracking:
            raise ValueError(
                f"{ref} is given two tracking numbers ({earlier.tracking_number} and {tracking}): "
                "one parcel has one"
            )
        if tracking and not earlier.tracking_number:
            found[ref] = Wanted(ref, tracking)

    for arg in args:
        if arg.strip() == "-":
            for line in stdin().splitlines():
                fields = line.split("\t")
                if len(fields) == 2 and fields[0].strip():
                    add(fields[0], fields[1].strip() or None)
                else:
                    for word in _WORD.findall(fields[0]):
                        add(word)
        elif arg.strip():
            add(arg)
    return list(found.values())
