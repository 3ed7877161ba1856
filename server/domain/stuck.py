"""Stuck rules: how long an order may sit in a status before staff should look at it.

Pure Python, no I/O. The server reads `KRAFTA_STUCK_AFTER` once at start (`parse_stuck_after`),
marks what staff are shown of an order with `stuck: true|false` (`StuckRules.is_stuck`), filters
`GET /api/orders?stuck=true` with the same cut-offs (`StuckRules.cutoffs`), and publishes the rules
with staff lists (`StuckRules.seconds`), so the CLI and the board never carry a rule of their own.

The one input is the order's stored `enteredStatusAt` (set at create and by every move): an order is
stuck when its status has a rule and now − enteredStatusAt ≥ that rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from server.domain.lifecycle import CLOSED, Status

__all__ = [
    "DEFAULT_STUCK_AFTER",
    "StuckAfterError",
    "StuckRules",
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

    @cached_property
    def _by_name(self) -> dict[str, timedelta]:
        # Looked up once per order of a list: by the status's text, not through the Enum's lookup.
        return {status.value: limit for status, limit in self.after.items()}

    def limit(self, status: str) -> timedelta | None:
        return self._by_name.get(status)

    def cutoffs(self, now: datetime) -> dict[Status, datetime]:
        """For each ruled status, the entry time at or before which an order there is stuck."""
        return {status: now - limit for status, limit in self.after.items()}

    def is_stuck(self, order: Mapping[str, Any], now: datetime) -> bool:
        """Has `order` (the wire shape) been in its status past the limit?"""
        return self.stuck_since(str(order.get("status")), _time(order.get("enteredStatusAt")), now)

    def stuck_since(self, status: str, entered: datetime | None, now: datetime) -> bool:
        """Is an order that entered `status` at `entered` stuck at `now`? (The rule itself.)"""
        limit = self.limit(status)
        return limit is not None and entered is not None and now - entered >= limit

    def seconds(self) -> dict[str, int]:
        """The rules as published to clients: seconds per ruled status (`{}` when off)."""
        return {s.value: int(d.total_seconds()) for s, d in self.after.items()}


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


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
