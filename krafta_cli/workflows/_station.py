"""A scan station: each scan moves one order one step, with the status it was seen in.

Shared by `krafta scan` and the board's scan field; no printing, no Typer, no Textual here. A scan
is one line as a scanner types it: a ticket's QR payload (`KRFT-482031|RUSH|…`: its first field
counts), its barcode, or a number typed by hand (`KRFT-482031`, `krft-482031`): the text is handed to
the server as the order's number, so whatever the server accepts for one, a scan may say.

* Each scan looks the order up and moves it to its next step (the server's first offered move
  that is not a cancellation), or to `to` when that is its next step, sending the status it was
  seen in as `expectedStatus`: a station never takes an order past a move it did not see.
* A second scan of an order this session already moved is refused (a scanner reading a ticket
  twice must not take it two steps).
* A hand-over (to HANDED_TO_DELIVERY) needs the station's `courier`: the next scan is that
  parcel's tracking number (the courier's own label), and only then is the order moved, courier
  and tracking number together. A ticket scanned instead is refused and the station keeps waiting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from krafta_cli.client import Conflict, Forbidden, KraftaClient, NotFound, ValidationFailed, order_ref
from krafta_cli.view import moved_line, reason, sanitize
from krafta_cli.workflows._moves import (
    HANDOVER,
    Handover,
    MoveOutcome,
    Seen,
    advance_target,
    look_up,
    plan_move,
    send_move,
)

__all__ = ["PAYLOAD_SEPARATOR", "ScanLine", "Station", "scanned_reference"]

# The QR payload's field separator (server/paper/payload.py): the order number is the first field.
PAYLOAD_SEPARATOR = "|"
_TICKET = re.compile(r"^\s*krft\b", re.IGNORECASE)
_CLOSED = frozenset({"COMPLETED", "CANCELLED"})


def scanned_reference(line: str) -> str:
    """The order reference in a scan: the QR payload's first field, or the whole line, read as people
    type numbers (`order_ref`: a scanned or typed `482031` is `KRFT-482031`)."""
    return order_ref(line.split(PAYLOAD_SEPARATOR, 1)[0])


@dataclass(frozen=True)
class ScanLine:
    """What one scan did, as one line; `refused` rings the bell, `waiting` means the next scan is
    the tracking number of `number`."""

    text: str
    refused: bool = False
    waiting: bool = False
    number: str | None = None


@dataclass
class Station:
    client: KraftaClient
    to: str | None = None
    courier: str | None = None
    moved: int = 0
    refused: int = 0
    _done: dict[str, str] = field(default_factory=dict)
    _pending: Seen | None = None

    @property
    def waiting_for(self) -> str | None:
        """The order whose tracking number the next scan is, if any."""
        return self._pending.number if self._pending else None

    def summary(self) -> str:
        return f"{self.moved} moved, {self.refused} refused"

    def scan(self, raw: str) -> ScanLine | None:
        """Act on one scan (None for a blank line, which a station ignores)."""
        line = raw.strip()
        if not line:
            return None
        if self._pending is not None:
            return self._tracking(self._pending, line)
        ref = scanned_reference(line)
        if not ref:
            return self._refuse(f"{sanitize(line)}: not an order number")
        found = look_up(self.client, ref)
        if isinstance(found, MoveOutcome):
            return self._refuse(self._why(ref, found.error))
        if found.number in self._done:
            return self._refuse(
                f"{found.number}: already moved to {self._done[found.number]} by this station"
            )
        target, refusal = self._target(found)
        if target is None:
            return self._refuse(refusal)
        if target == HANDOVER:
            if not self.courier:
                return self._refuse(
                    f"{found.number}: {found.status}, and a hand-over needs a courier "
                    "(start the station with --courier NAME)"
                )
            self._pending = found
            return ScanLine(
                f"{found.number}: {found.status} → {HANDOVER} with {sanitize(self.courier)}: "
                "scan its tracking number",
                waiting=True,
                number=found.number,
            )
        return self._move(found, target, Handover())

    def close(self) -> ScanLine | None:
        """End of the session: a hand-over still waiting for its tracking number is not made."""
        if self._pending is None:
            return None
        number, self._pending = self._pending.number, None
        return self._refuse(f"{number}: not handed over (no tracking number was scanned)")

    # -- steps ---------------------------------------------------------------------------------

    def _target(self, seen: Seen) -> tuple[str | None, str]:
        step = advance_target(seen.next_statuses)
        if self.to is not None:
            if seen.status == self.to:
                return None, f"{seen.number}: already {seen.status}"
            if step != self.to:
                after = f"its next step is {step}" if step else "it has no next step you may make"
                return None, f"{seen.number}: {seen.status}, {after}, not {self.to}"
            return step, ""
        if step is None:
            if seen.status in _CLOSED:
                return None, f"{seen.number}: already {seen.status}, nothing further"
            return None, f"{seen.number}: {seen.status}, not your move"
        return step, ""

    def _tracking(self, seen: Seen, line: str) -> ScanLine:
        if _TICKET.match(line):
            scanned = scanned_reference(line).upper()
            again = "scanned again" if scanned == seen.number else f"that is a ticket ({sanitize(scanned)})"
            return self._refuse(f"{again}: scan {seen.number}'s tracking number", waiting=True)
        return self._move(seen, HANDOVER, Handover(self.courier, line), keep_waiting=True)

    def _move(self, seen: Seen, target: str, handover: Handover, *, keep_waiting: bool = False) -> ScanLine:
        outcome = send_move(self.client, plan_move(seen, target, handover=handover))
        if outcome.error is not None:
            if keep_waiting and isinstance(outcome.error, ValidationFailed):
                # A label the server will not take as a tracking number: the parcel still waits for one.
                return self._refuse(f"{seen.number}: {self._why(seen.number, outcome.error)}", waiting=True)
            self._pending = None
            return self._refuse(self._why(seen.number, outcome.error))
        self._pending = None
        self._done[seen.number] = target
        self.moved += 1
        return ScanLine(moved_line(seen.number, seen.status, outcome.order or {}), number=seen.number)

    def _refuse(self, text: str, *, waiting: bool = False) -> ScanLine:
        self.refused += 1
        return ScanLine(text, refused=True, waiting=waiting, number=self.waiting_for)

    @staticmethod
    def _why(ref: str, error: Exception | None) -> str:
        name = sanitize(ref)
        if isinstance(error, NotFound):
            return f"{name}: no such order"
        if isinstance(error, Conflict) and error.current_status:
            return f"{name}: moved by someone else meanwhile, now {error.current_status}"
        if isinstance(error, Forbidden):
            return f"{name}: not your move ({reason(sanitize(error.message))})"
        return f"{name}: {reason(sanitize(str(error)))}" if error else f"{name}: refused"
