"""What a list request asks for, applied alike to database rows (SQL) and fallback orders (Python),
and the opaque keyset cursor of a page (`createdAt`, `id`)."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select

from server.lifecycle import Status
from server.models import events_t, orders_t, payments_t

__all__ = ["OrderFilter", "decode_cursor", "encode_cursor", "search_text"]


After = tuple[datetime, str]


def search_text(order: dict[str, Any]) -> str:
    """What `q` searches in an order, lower-cased and joined (kept in the fallback index)."""
    hay = [order["orderNumber"], order["shippingCity"], order["shippingState"]]
    hay += [p["payerName"] for p in order["payments"]]
    return "\x00".join(h.lower() for h in hay)


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

        `entered`: when the order entered its status (`stuck.entered_status_at`), for `stuck`.
        """
        if self.owner_id is not None and user_id != self.owner_id:
            return False
        if self.stuck is not None and self.is_stuck(status, entered) is not self.stuck:
            return False
        if self.statuses and status not in {s.value for s in self.statuses}:
            return False
        if self.updated_since is not None and datetime.fromisoformat(updated_at) <= self.updated_since:
            return False
        if self.q and self.q.lower() not in text:
            return False
        return after is None or created < after

    def where(self, after: After | None) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.owner_id is not None:
            where.append(orders_t.c.user_id == self.owner_id)
        if self.statuses:
            where.append(orders_t.c.status.in_([s.value for s in self.statuses]))
        if self.updated_since is not None:
            where.append(orders_t.c.updated_at > self.updated_since)
        if self.stuck is not None:
            stuck = or_(false(), *(_stuck_in(status, cutoff) for status, cutoff in self.stuck_cutoffs))
            where.append(stuck if self.stuck else not_(stuck))
        if self.q:
            pattern = "%" + self.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            payer = exists().where(
                payments_t.c.order_id == orders_t.c.id,
                func.lower(payments_t.c.payer_name).like(pattern, escape="\\"),
            )
            where.append(
                or_(
                    func.lower(orders_t.c.order_number).like(pattern, escape="\\"),
                    func.lower(orders_t.c.shipping_city).like(pattern, escape="\\"),
                    func.lower(orders_t.c.shipping_state).like(pattern, escape="\\"),
                    payer,
                )
            )
        if after is not None:
            created, oid = after
            where.append(
                or_(
                    orders_t.c.created_at < created,
                    and_(orders_t.c.created_at == created, orders_t.c.id < oid),
                )
            )
        return where


def _stuck_in(status: Status, cutoff: datetime) -> ColumnElement[bool]:
    """SQL for "in `status` since `cutoff` or earlier" (the database side of `StuckRules.is_stuck`)."""
    entered = (
        select(func.max(events_t.c.at))
        .where(
            events_t.c.order_id == orders_t.c.id,
            events_t.c.to_status == status.value,
            # An event that leaves the status as it was (renumbered at replay) is not an entry.
            or_(events_t.c.from_status.is_(None), events_t.c.from_status != events_t.c.to_status),
        )
        .scalar_subquery()
    )
    return and_(orders_t.c.status == status.value, func.coalesce(entered, orders_t.c.created_at) <= cutoff)


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
