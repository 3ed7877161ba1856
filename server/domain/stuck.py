"""Stuck rules: how long an order may sit in a status before staff should look at it.

Pure Python, no I/O. The server reads `KRAFTA_STUCK_AFTER` once at start (`parse_stuck_after`),
marks every staff view of an order with `stuck: true|false` (`StuckRules.is_stuck`), and filters
`GET /api/orders?stuck=true` with the same cut-offs (`StuckRules.cutoffs`), so the CLI and the board
never carry a rule of their own and always agree.

An order's time in its status starts at the last history event *into* that status: a move, or a
forced correction. Events that leave the status unchanged (a renumbering at replay) do not restart
the clock, or replaying a fallback order would make it look fresh.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from server.domain.lifecycle import CLOSED, Status

__all__ = [
    "DEFAULT_STUCK_AFTER",
    "StuckAfterError",
    "StuckRules",
    "entered_status_at",
    "format_duration",
    "parse_stuck_after",
]

# What a small workshop told us is "someone forgot it": a payment unchecked for a day, an order not
# started a day after it was confirmed, two days in production, a parcel ready for a day and nobody
# called the courier, a week with the courier without being closed.
DEFAULT_STUCK_AFTER = "REPORTED=1d,CONFIRMED=1d,IN_PRODUCTION=2d,READY=1d,HANDED_TO_DELIVERY=7d"

_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_DURATION = re.compile(r"^(\d{1,6})([mhd])$")
# Past ten years a rule means "never"; a bound keeps datetime arithmetic from overflowing.
_LONGEST = timedelta(days=3650)
_OFF = {"none", "off"}


class StuckAfterError(ValueError):
    """`KRAFTA_STUCK_AFTER` cannot be used; the message is one line naming the bad part."""


@dataclass(frozen=True)
class StuckRules:
    """The time each status may last; statuses not listed are never stuck."""

    after: Mapping[Status, timedelta] = field(default_factory=dict)

    def limit(self, status: str) -> timedelta | None:
        try:
            return self.after.get(Status(status))
        except ValueError:
            return None

    def cutoffs(self, now: datetime) -> dict[Status, datetime]:
        """For each ruled status, the entry time at or before which an order there is stuck."""
        return {status: now - limit for status, limit in self.after.items()}

    def is_stuck(self, order: Mapping[str, Any], now: datetime) -> bool:
        """Has `order` (the wire shape, with its history) been in its status past the limit?"""
        limit = self.limit(str(order.get("status")))
        if limit is None:
            return False
        entered = entered_status_at(order)
        return entered is not None and now - entered >= limit

    def describe(self) -> str:
        """The rules as `KRAFTA_STUCK_AFTER` would spell them (for logs and help texts)."""
        if not self.after:
            return "none"
        return ",".join(f"{s.value}={format_duration(d)}" for s, d in self.after.items())


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def entered_status_at(order: Mapping[str, Any]) -> datetime | None:
    """When the order entered its current status: the newest history event into it.

    Without such an event (a file written by an older version) the creation time stands in.
    """
    status = order.get("status")
    history = order.get("history")
    latest: datetime | None = None
    for event in history if isinstance(history, list) else ():
        if not isinstance(event, Mapping) or event.get("toStatus") != status:
            continue
        if event.get("fromStatus") == status:
            continue  # not a move: e.g. "renumbered at replay"
        at = _time(event.get("at"))
        if at is not None and (latest is None or at > latest):
            latest = at
    return latest or _time(order.get("createdAt"))


def format_duration(value: timedelta) -> str:
    """`timedelta(days=2)` → `2d`, `timedelta(hours=36)` → `36h`, `timedelta(minutes=90)` → `90m`."""
    minutes = int(value.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def _duration(status: str, text: str) -> timedelta:
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise StuckAfterError(
            f"KRAFTA_STUCK_AFTER: {status}={text!r} is not a duration: use a whole number with m, h or d, "
            "like 90m, 36h or 2d"
        )
    value = int(match[1]) * _UNITS[match[2]]
    if value <= timedelta(0):
        raise StuckAfterError(f"KRAFTA_STUCK_AFTER: {status}={text} must be longer than zero")
    if value > _LONGEST:
        raise StuckAfterError(f"KRAFTA_STUCK_AFTER: {status}={text} is longer than 10 years")
    return value


def parse_stuck_after(text: str | None) -> StuckRules:
    """The rules in `text` (`CONFIRMED=1d,IN_PRODUCTION=2d,READY=1d`).

    Unset or blank: the defaults (`DEFAULT_STUCK_AFTER`). `none` (or `off`): no order is ever stuck.
    Otherwise the listed statuses replace the defaults entirely, so what the variable says is the
    whole rule. Raises `StuckAfterError` with one line naming what is wrong.
    """
    if text is None or not text.strip():
        text = DEFAULT_STUCK_AFTER
    if text.strip().lower() in _OFF:
        return StuckRules({})
    after: dict[Status, timedelta] = {}
    for part in _parts(text):
        name, sep, duration = part.partition("=")
        name = name.strip().upper()
        if not sep or not name:
            raise StuckAfterError(
                f"KRAFTA_STUCK_AFTER: {part!r} is not STATUS=DURATION (e.g. CONFIRMED=1d,READY=12h)"
            )
        try:
            status = Status(name)
        except ValueError:
            known = ", ".join(s.value for s in Status if s not in CLOSED)
            raise StuckAfterError(f"KRAFTA_STUCK_AFTER: {name!r} is not a status (use {known})") from None
        if status in CLOSED:
            raise StuckAfterError(f"KRAFTA_STUCK_AFTER: {status} is a closed status; an order there is done")
        if status in after:
            raise StuckAfterError(f"KRAFTA_STUCK_AFTER: {status} is given twice")
        after[status] = _duration(status.value, duration)
    return StuckRules(after)


def _parts(text: str) -> Iterable[str]:
    parts = [p.strip() for p in text.split(",")]
    if any(not p for p in parts):
        raise StuckAfterError(f"KRAFTA_STUCK_AFTER: {text!r} has an empty entry (a stray comma?)")
    return parts
