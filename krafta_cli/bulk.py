"""Moves in bulk: many single moves, each with the status its operator saw as `expectedStatus`.

There is no bulk endpoint (SPEC, "Hand-over and batches"): a conflict on one order must never
block the others, and each order's move is checked and recorded on its own. This module runs the
moves and returns one `MoveOutcome` per order, error included; the CLI turns outcomes into lines
and an exit code, the board into one list. No Typer, no Textual, no printing here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from krafta_cli.client import Conflict, KraftaClient, KraftaError, Order

__all__ = [
    "HANDOVER",
    "Handover",
    "MoveOutcome",
    "Seen",
    "look_up",
    "move_each",
    "move_seen",
    "order_refs",
]

HANDOVER = "HANDED_TO_DELIVERY"
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Handover:
    """Courier and tracking number sent with a move to HANDED_TO_DELIVERY (either may be None)."""

    courier: str | None = None
    tracking_number: str | None = None

    @property
    def empty(self) -> bool:
        return self.courier is None and self.tracking_number is None


@dataclass(frozen=True)
class Seen:
    """An order as the operator saw it: what is sent as `expectedStatus`, and what was offered."""

    id: str
    number: str
    status: str
    next_statuses: tuple[str, ...] = ()

    @classmethod
    def of(cls, order: Mapping[str, Any]) -> Seen:
        offered = order.get("nextStatuses")
        return cls(
            id=str(order.get("id") or ""),
            number=str(order.get("orderNumber") or order.get("id") or "?"),
            status=str(order.get("status") or "?"),
            next_statuses=tuple(s for s in offered if isinstance(s, str))
            if isinstance(offered, list)
            else (),
        )


@dataclass(frozen=True)
class MoveOutcome:
    """What happened to one order: `order` is the server's answer when it moved, else `error` says why."""

    ref: str
    number: str
    source: str | None
    target: str | None
    order: Order | None = None
    error: KraftaError | None = None

    @property
    def moved(self) -> bool:
        return self.order is not None


def order_refs(args: Sequence[str], stdin: Callable[[], str]) -> list[str]:
    """The order references in `args`, where `-` stands for the numbers read from stdin.

    Stdin holds numbers separated by white space, or tab-separated rows whose first column is the
    number (what `krafta orders list` prints when piped), so the list can be piped straight in.
    Repeats are dropped (first one kept): moving an order twice in one run would take it two steps.
    """
    refs: list[str] = []
    for arg in args:
        if arg.strip() == "-":
            for line in stdin().splitlines():
                refs.extend(_WORD.findall(line.split("\t", 1)[0] if "\t" in line else line))
        elif arg.strip():
            refs.append(arg.strip())
    return list(dict.fromkeys(refs))


def _target(seen: Seen, wanted: str | None) -> str | None:
    if wanted is not None:
        return wanted
    return next((s for s in seen.next_statuses if s != "CANCELLED"), None)


def move_seen(
    client: KraftaClient,
    seen: Seen,
    wanted: str | None,
    *,
    note: str | None = None,
    handover: Handover = Handover(),
    ref: str | None = None,
) -> MoveOutcome:
    """Move one order the caller already has (the board's cards), to `wanted` or its next status."""
    target = _target(seen, wanted)
    name = ref or seen.number

    def outcome(*, order: Order | None = None, error: KraftaError | None = None) -> MoveOutcome:
        return MoveOutcome(name, seen.number, seen.status, target, order=order, error=error)

    if target is None:
        return outcome(
            error=Conflict(
                f"{seen.number} is {seen.status}: there is no next status you may move it to",
                current_status=seen.status,
                next_statuses=seen.next_statuses,
            )
        )
    extra = handover if target == HANDOVER else Handover()
    try:
        updated = client.advance(
            seen.id,
            target,
            expected=seen.status,
            note=note,
            courier=extra.courier,
            tracking_number=extra.tracking_number,
        )
    except KraftaError as error:
        return outcome(error=error)
    return outcome(order=updated)


def look_up(client: KraftaClient, ref: str) -> Seen | MoveOutcome:
    """The order as it is now (what will be sent as expected), or the outcome saying why not."""
    try:
        return Seen.of(client.get_order(ref))
    except KraftaError as error:
        return MoveOutcome(ref=ref, number=ref, source=None, target=None, error=error)


def move_each(
    client: KraftaClient,
    plan: Iterable[tuple[str, Seen | MoveOutcome]],
    wanted: str | None,
    *,
    note: str | None = None,
    handover: Handover = Handover(),
) -> Iterator[MoveOutcome]:
    """Move each looked-up order in turn (a failed look-up passes through), yielding as each is done."""
    for ref, seen in plan:
        if isinstance(seen, MoveOutcome):
            yield seen
        else:
            yield move_seen(client, seen, wanted, note=note, handover=handover, ref=ref)
