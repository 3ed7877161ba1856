"""What a list request asks for, applied to fallback orders here (the SQL side is
`server.storage.queries.where`), and the opaque keyset cursor of a page.

Two orders: newest first (the key `(createdAt, id)`, descending), and `sort=due`, the day's plan —
rush first, then the promised day (none last), then oldest (the key `(rank, dueAt or
9999-12-31, createdAt, id)`, ascending). A cursor is the last key of its page.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any, Literal

import orjson

from server.domain.lifecycle import Status
from server.domain.planning import late_on
from server.domain.search import fold

__all__ = ["NO_DUE", "After", "OrderFilter", "Sort", "decode_cursor", "due_key", "encode_cursor", "sort_key"]


# A keyset position: `(createdAt, id)` newest first; `(rank, due, createdAt, id)` for `sort=due`.
After = tuple[Any, ...]
Sort = Literal["new", "due"]
# An order with no promised day sorts after every promised one.
NO_DUE = date.max


@dataclass(frozen=True)
class OrderFilter:
    """Statuses, a search text, `updatedSince`; `owner_id` limits to one customer's orders."""

    statuses: tuple[Status, ...] = ()
    q: str | None = None
    # Only orders changed after this instant: lets a board refresh fetch what moved, not everything.
    updated_since: datetime | None = None
    owner_id: str | None = None
    # Only stuck orders (True) or only the others (False), by the cut-offs of the server's rules
    # taken once per request (`StuckRules.cutoffs`): per ruled status, the entry time at or before
    # which an order there is stuck.
    stuck: bool | None = None
    stuck_cutoffs: tuple[tuple[Status, datetime], ...] = ()
    # Planning (`server/domain/planning.py`): late as of the shop's `today`, held, a priority.
    late: bool | None = None
    today: date | None = None
    held: bool | None = None
    priority: str | None = None
    sort: Sort = "new"
    # Only orders with a payment whose reference another order's payment carries (True), or only the
    # others (False): `sameReference` not empty (`server.domain.desk`).
    same_reference: bool | None = None

    @property
    def descending(self) -> bool:
        return self.sort == "new"

    @cached_property
    def needle(self) -> str | None:
        """`q` folded (`search.fold`): what both sides look for in an order's `search_text`."""
        return fold(self.q) if self.q else None

    def is_stuck(self, status: str, entered: datetime | None, held: bool = False) -> bool:
        # A held order is parked on purpose: never stuck.
        cutoff = dict(self.stuck_cutoffs).get(Status(status))
        return not held and cutoff is not None and entered is not None and entered <= cutoff

    def is_late(self, status: str, due: date | None) -> bool:
        return self.today is not None and late_on(status, due, self.today)

    def matches(
        self,
        *,
        status: str,
        updated_at: str,
        user_id: str | None,
        text: str,
        key: After,
        after: After | None,
        entered: datetime | None = None,
        due: date | None = None,
        held: bool = False,
        priority: str = "normal",
        reused: bool = False,
    ) -> bool:
        """The filter on a fallback order's index entry (the Python side of `where`).

        `text`: the order's `search.search_text`; `key`: its `sort_key`; `entered`: its
        `enteredStatusAt`, for `stuck`; `due`, `held`, `priority`: its planning; `reused`: whether
        another order claims one of its payments' references, for `same_reference`.
        """
        if self.owner_id is not None and user_id != self.owner_id:
            return False
        if self.same_reference is not None and reused is not self.same_reference:
            return False
        if self.stuck is not None and self.is_stuck(status, entered, held) is not self.stuck:
            return False
        if self.late is not None and self.is_late(status, due) is not self.late:
            return False
        if self.held is not None and held is not self.held:
            return False
        if self.priority is not None and priority != self.priority:
            return False
        if self.statuses and status not in {s.value for s in self.statuses}:
            return False
        if self.updated_since is not None and datetime.fromisoformat(updated_at) <= self.updated_since:
            return False
        needle = self.needle
        if needle and needle not in text:
            return False
        if after is None:
            return True
        return key < after if self.descending else key > after


def due_key(priority: str, due: date | None, created: datetime, order_id: str) -> After:
    return (0 if priority == "rush" else 1, due or NO_DUE, created, order_id)


def sort_key(order: dict[str, Any], sort: Sort = "new") -> After:
    created = datetime.fromisoformat(order["createdAt"])
    if sort == "due":
        due = date.fromisoformat(order["dueAt"]) if order.get("dueAt") else None
        return due_key(order.get("priority") or "normal", due, created, order["id"])
    return created, order["id"]


def encode_cursor(key: After, sort: Sort = "new") -> str:
    # Times with microseconds, as `shape.iso` writes them.
    if sort == "due":
        rank, due, created, order_id = key
        data: list[Any] = ["due", rank, due.isoformat(), created.isoformat(timespec="microseconds"), order_id]
    else:
        created, order_id = key
        data = [created.isoformat(timespec="microseconds"), order_id]
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def _instant(text: Any) -> datetime:
    created = datetime.fromisoformat(text)
    if created.tzinfo is None:
        raise ValueError("no offset")
    return created.astimezone(UTC)


def decode_cursor(cursor: str, sort: Sort = "new") -> After | None:
    """The key a cursor stands for in this sort; None for anything this server did not make for it."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = orjson.loads(raw)
        if sort == "due":
            tag, rank, due, created_at, order_id = data
            if tag != "due" or rank not in (0, 1) or isinstance(rank, bool):
                return None
            return rank, date.fromisoformat(due), _instant(created_at), str(uuid.UUID(order_id))
        created_at, order_id = data
        return _instant(created_at), str(uuid.UUID(order_id))
    except (ValueError, TypeError, OverflowError, AttributeError, orjson.JSONDecodeError):
        return None
