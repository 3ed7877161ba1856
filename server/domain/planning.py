"""Planning the day: the date a customer was promised, rush orders, holds with a reason, notes.

Pure Python, no I/O. `plan_edit` turns a PATCH (`schemas.PlanIn`) into the edit every store applies
(`domain/edits.py`), one timeline entry per change, each with its `kind` (`shape.HISTORY_KINDS`);
`release_edit` is the edit that ends a hold on its `until` day (`orders/holds.py` runs it). The
`Calendar` knows the shop's days: its time zone, the working days a promise takes
(`KRAFTA_LEAD_DAYS`), the holidays that do not count (`KRAFTA_HOLIDAYS`), and the clock — one
attribute, so tests steer "today" instead of waiting for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from server.domain.edits import OrderEdit
from server.domain.errors import ErrorCode, Invalid
from server.domain.lifecycle import CLOSED, MoveRefused, Status
from server.domain.principal import Principal
from server.domain.records import history_entry, reviewer
from server.domain.schemas import PlanIn
from server.domain.shape import iso, utcnow

__all__ = [
    "DEFAULT_LEAD_DAYS",
    "DONE",
    "Calendar",
    "PlanningConfigError",
    "is_held",
    "is_late",
    "late_on",
    "parse_holidays",
    "parse_lead_days",
    "plan_edit",
    "release_edit",
]

DEFAULT_LEAD_DAYS = 3
# Past these statuses the promise is kept (or moot): the parcel left the workshop, or the order ended.
DONE = frozenset({Status.HANDED_TO_DELIVERY, *CLOSED})


class PlanningConfigError(ValueError):
    """`KRAFTA_LEAD_DAYS` or `KRAFTA_HOLIDAYS` cannot be used; the message is one line naming it."""


def parse_lead_days(text: str | None) -> int:
    if text is None or not text.strip():
        return DEFAULT_LEAD_DAYS
    value = text.strip()
    if not value.isdigit() or int(value) > 365:
        raise PlanningConfigError(f"KRAFTA_LEAD_DAYS: {text!r} is not a number of working days from 0 to 365")
    return int(value)


def parse_holidays(text: str | None) -> frozenset[date]:
    """Dates like `2026-12-24,2026-12-25` (commas or spaces between them)."""
    days = set()
    for part in (text or "").replace(",", " ").split():
        try:
            days.add(date.fromisoformat(part))
        except ValueError:
            raise PlanningConfigError(
                f"KRAFTA_HOLIDAYS: {part!r} is not a date like 2026-12-25 (dates separated by commas)"
            ) from None
    return frozenset(days)


@dataclass
class Calendar:
    """The shop's days. `clock` is the one source of "now" for planning (dueAt, late, holds ending)."""

    zone: tzinfo = UTC
    lead_days: int = DEFAULT_LEAD_DAYS
    holidays: frozenset[date] = frozenset()
    clock: Callable[[], datetime] = field(default=utcnow)

    def now(self) -> datetime:
        return self.clock()

    def today(self, now: datetime | None = None) -> date:
        return (now or self.clock()).astimezone(self.zone).date()

    def working(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def due_from(self, day: date) -> date:
        """`day` plus the lead time in working days (Monday to Friday, holidays skipped)."""
        left = self.lead_days
        while left > 0:
            day += timedelta(days=1)
            if self.working(day):
                left -= 1
        return day


def is_held(order: Mapping[str, Any]) -> bool:
    return bool(order.get("hold"))


def late_on(status: str, due: date | None, today: date) -> bool:
    """The rule: the promised day has passed with the order still in the workshop."""
    return due is not None and due < today and status not in DONE


def is_late(order: Mapping[str, Any], today: date) -> bool:
    due = order.get("dueAt")
    return late_on(str(order.get("status")), date.fromisoformat(due) if isinstance(due, str) else None, today)


def _entry(kind: str, status: str, actor: Principal | None, at: datetime, note: str | None) -> dict[str, Any]:
    # A planning entry keeps the status: from and to are the status the order is in.
    return history_entry(from_status=status, to_status=status, actor=actor, note=note, at=at, kind=kind)


def _hold_text(hold: Mapping[str, Any]) -> str:
    text = str(hold["reason"])
    if hold.get("note"):
        text += f": {hold['note']}"
    if hold.get("until"):
        text += f" (until {hold['until']})"
    return text


def plan_edit(
    record: Mapping[str, Any], body: PlanIn, actor: Principal, at: datetime, today: date
) -> OrderEdit:
    """What a PATCH changes on `record` (the staff record, read in the write's transaction).

    Only what differs from the order is changed and entered in its timeline (setting rush on a
    rush order adds nothing); a note is always entered. `expectedStatus` other than the order's is a
    conflict, as for moves; a closed order takes notes only.
    """
    status = str(record["status"])
    if body.expected_status is not None and body.expected_status.value != status:
        raise MoveRefused(
            f"order is {status}, not {body.expected_status.value}",
            code=ErrorCode.CONFLICT,
            current=Status(status),
        )
    given = body.model_fields_set
    planning = given & {"due_at", "priority"} or ("hold" in given and body.hold is not None)
    if planning and Status(status) in CLOSED:
        raise MoveRefused(
            f"order is {status}: a closed order takes notes only",
            code=ErrorCode.CONFLICT,
            current=Status(status),
        )
    fields: dict[str, Any] = {}
    entries: list[dict[str, Any]] = []
    if "due_at" in given:
        due = body.due_at.isoformat() if body.due_at else None
        if due != record.get("dueAt"):
            fields["dueAt"] = due
            was = record.get("dueAt") or "none"
            entries.append(_entry("due", status, actor, at, f"due {due or 'none'} (was {was})"))
    if "priority" in given and body.priority is not None and body.priority != record.get("priority"):
        fields["priority"] = body.priority
        entries.append(_entry("priority", status, actor, at, body.priority))
    if "hold" in given:
        if body.hold is not None:
            if body.hold.until is not None and body.hold.until <= today:
                raise Invalid(
                    f"Invalid hold.until: a day after today ({today.isoformat()}).",
                    fields={"hold.until": f"a day after {today.isoformat()}"},
                )
            hold = {
                "reason": body.hold.reason,
                "note": body.hold.note or None,
                "until": body.hold.until.isoformat() if body.hold.until else None,
                "at": iso(at),
                "by": reviewer(actor),
            }
            fields["hold"] = hold
            entries.append(_entry("hold", status, actor, at, _hold_text(hold)))
        elif is_held(record):
            fields["hold"] = None
            entries.append(_entry("release", status, actor, at, f"released ({_hold_text(record['hold'])})"))
    if body.note:
        entries.append(_entry("note", status, actor, at, body.note))
    if fields or entries:
        fields["updatedAt"] = iso(at)
    return OrderEdit("order.updated", fields, tuple(entries))


def release_edit(record: Mapping[str, Any], at: datetime) -> OrderEdit:
    """The hold ends by itself on its `until` day: no one released it, the timeline says so."""
    hold = record.get("hold") or {}
    note = f"hold ended on {hold.get('until')} ({_hold_text(hold)})" if hold else "hold ended"
    entry = _entry("release", str(record["status"]), None, at, note)
    return OrderEdit("order.updated", {"hold": None, "updatedAt": iso(at)}, (entry,))
