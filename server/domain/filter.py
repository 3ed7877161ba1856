"""What a list request asks for, applied to fallback orders here (the SQL side is
`server.storage.queries.where`), and the opaque keyset cursor of a page (`createdAt`, `id`)."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import orjson

from server.domain.lifecycle import Status
from server.domain.search import fold

__all__ = ["After", "OrderFilter", "decode_cursor", "encode_cursor", "sort_key"]


After = tuple[datetime, str]


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

    @cached_property
    def needle(self) -> str | None:
        """`q` folded (`search.fold`): what both sides look for in an order's `search_text`."""
        return fold(self.q) if self.q else None

    def is_stuck(self, status: str, entered: datetime | None) -> bool:
        cutoff = dict(self.stuck_cutoffs).get(Status(status))
        return cutoff is not None and entered is not None and entered <= cutoff

    def matches(
        self,
        *,
        status: str,
        updated_at: str,
        user_id: str | None,
        text: str,
        created: After,
        after: After | None,
        entered: datetime | None = None,
    ) -> bool:
        """The filter on a fallback order's index entry (the Python side of `where`).

        `text`: the order's `search.search_text`; `entered`: its `enteredStatusAt`, for `stuck`.
        """
        if self.owner_id is not None and user_id != self.owner_id:
            return False
        if self.stuck is not None and self.is_stuck(status, entered) is not self.stuck:
            return False
        if self.statuses and status not in {s.value for s in self.statuses}:
            return False
        if self.updated_since is not None and datetime.fromisoformat(updated_at) <= self.updated_since:
            return False
        needle = self.needle
        if needle and needle not in text:
            return False
        return after is None or created < after


def sort_key(order: dict[str, Any]) -> After:
    return datetime.fromisoformat(order["createdAt"]), order["id"]


def encode_cursor(created_at: str, order_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([created_at, order_id])).decode().rstrip("=")


def decode_cursor(cursor: str) -> After | None:
    """The (createdAt, id) a cursor stands for; None for anything this server did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, order_id = orjson.loads(raw)
        created = datetime.fromisoformat(created_at)
        if created.tzinfo is None:
            return None
        return created.astimezone(UTC), str(uuid.UUID(order_id))
    except (ValueError, TypeError, OverflowError, AttributeError, orjson.JSONDecodeError):
        return None
