"""Planning orders, for both clients: the changes a PATCH carries (due date, rush, hold, release,
note), the days people type, sending one change to many orders, and the list's planning filters.

Whether a change is allowed is the server's word (400 naming the field, 409 for a closed order):
nothing here checks a rule, it only builds what the server reads and reports what it answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from krafta_cli.client import KraftaClient, KraftaError, Order
from krafta_cli.view import hold_text, text

__all__ = [
    "HOLD_REASONS",
    "PlanOutcome",
    "due_change",
    "hold_change",
    "note_change",
    "plan_line",
    "plan_params",
    "read_day",
    "release_change",
    "rush_change",
    "send_plan",
    "send_plans",
]

# The reasons the server takes, in the order a person is asked for them.
HOLD_REASONS = ("MATERIAL", "ARTWORK", "ADDRESS", "PAYMENT", "OTHER")


def read_day(typed: str, today: date) -> date | None:
    """A day as people type it: `2026-12-10`, `today`, `tomorrow`, `+3` (days from today), or
    `none` (no date: None). ValueError with a sentence for anything else."""
    word = typed.strip().lower()
    if word in ("none", "no", "-", "clear"):
        return None
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word.startswith("+") and word[1:].isdigit() and int(word[1:]) <= 3650:
        return today + timedelta(days=int(word[1:]))
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise ValueError(f"{typed!r} is not a day: use 2026-12-10, today, tomorrow, +3 or none") from None


def due_change(day: date | None) -> dict[str, Any]:
    return {"dueAt": day.isoformat() if day else None}


def rush_change(on: bool) -> dict[str, Any]:
    return {"priority": "rush" if on else "normal"}


def hold_change(reason: str, *, until: date | None = None, note: str | None = None) -> dict[str, Any]:
    hold: dict[str, Any] = {"reason": reason.strip().upper()}
    if until is not None:
        hold["until"] = until.isoformat()
    if note and note.strip():
        hold["note"] = note.strip()
    return {"hold": hold}


def release_change() -> dict[str, Any]:
    return {"hold": None}


def note_change(note: str) -> dict[str, Any]:
    return {"note": note}


@dataclass(frozen=True)
class PlanOutcome:
    """What the server answered one order's change: the order as it is now, or the error."""

    ref: str
    order: Order | None = None
    error: KraftaError | None = None

    @property
    def number(self) -> str:
        return text(self.order.get("orderNumber")) if self.order is not None else text(self.ref)


def send_plan(
    client: KraftaClient, ref: str, changes: Mapping[str, Any], *, expected: str | None = None
) -> PlanOutcome:
    """One order's change; an error of the server's is the outcome, never raised."""
    try:
        return PlanOutcome(ref, order=client.plan(ref, changes, expected=expected))
    except KraftaError as error:
        return PlanOutcome(ref, error=error)


def send_plans(
    client: KraftaClient, refs: Iterable[str], changes: Mapping[str, Any]
) -> Iterator[PlanOutcome]:
    """The same change for each order, one at a time: a refusal of one never stops the others."""
    for ref in refs:
        yield send_plan(client, ref, changes)


def plan_line(changes: Mapping[str, Any], order: Order) -> str:
    """What a change did, as the order now says: `due 2026-12-10`, `rush`, `held (MATERIAL …)`,
    `released`, `note added`."""
    words = []
    if "dueAt" in changes:
        words.append(f"due {text(order.get('dueAt'))}" if order.get("dueAt") else "no due date")
    if "priority" in changes:
        words.append("rush" if order.get("priority") == "rush" else "not rush")
    if "hold" in changes:
        held = hold_text(order)
        words.append(f"held ({held})" if held else "released")
    if "note" in changes:
        words.append("note added")
    return f"{text(order.get('orderNumber'))}: {', '.join(words)}"


def plan_params(
    *, late: bool = False, held: bool | None = None, rush: bool = False, sort_due: bool = False
) -> dict[str, str]:
    """The list's planning filters as the server reads them (`GET /api/orders`)."""
    params: dict[str, str] = {}
    if late:
        params["late"] = "true"
    if held is not None:
        params["held"] = "true" if held else "false"
    if rush:
        params["priority"] = "rush"
    if sort_due:
        params["sort"] = "due"
    return params
