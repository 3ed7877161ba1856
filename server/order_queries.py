"""The read side of orders: list (a page, or every order streamed) and get, merging the fallback.

Reads go to the database first; whatever waits in the JSON fallback is merged in, in the same
newest-first order, so staff see every order while the database is down and right after.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select

from server.auth import Principal
from server.db import Database, is_unavailable
from server.errors import Invalid, NotFound
from server.fallback import FallbackStore, canonical_uuid, served
from server.lifecycle import STAFF_ROLES, Status
from server.serialize import (
    decode_cursor,
    dump,
    encode_cursor,
    orders_by_ids,
    orders_t,
    payments_t,
    with_next,
)

__all__ = ["PAGE", "OrderFilter", "OrderQueries", "visible_to"]

_NUMBER = re.compile(r"^KRFT-\d{6}$", re.IGNORECASE)
PAGE = 500  # orders per query while streaming the full list


@dataclass(frozen=True)
class OrderFilter:
    """What a list request asks for; the same rules apply to database rows and fallback files."""

    statuses: tuple[Status, ...] = ()
    q: str | None = None
    # Only orders changed after this instant: lets a board refresh fetch what moved, not everything.
    updated_since: datetime | None = None

    def matches(self, order: dict[str, Any]) -> bool:
        """The filter on an order record (the fallback's side of `_where`)."""
        if self.statuses and order["status"] not in {s.value for s in self.statuses}:
            return False
        if (
            self.updated_since is not None
            and datetime.fromisoformat(order["updatedAt"]) <= self.updated_since
        ):
            return False
        if self.q:
            needle = self.q.lower()
            hay = [order["orderNumber"], order["shippingCity"], order["shippingState"]]
            hay += [p["payerName"] for p in order["payments"]]
            return any(needle in h.lower() for h in hay)
        return True


def visible_to(order: dict[str, Any], viewer: Principal) -> bool:
    return viewer.role in STAFF_ROLES or order.get("userId") == viewer.id


class OrderQueries:
    def __init__(self, db: Database, store: FallbackStore) -> None:
        self.db = db
        self.store = store

    def _where(
        self, viewer: Principal, filt: OrderFilter, after: tuple[datetime, str] | None
    ) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if viewer.role not in STAFF_ROLES:
            where.append(orders_t.c.user_id == viewer.id)
        if filt.statuses:
            where.append(orders_t.c.status.in_([s.value for s in filt.statuses]))
        if filt.updated_since is not None:
            where.append(orders_t.c.updated_at > filt.updated_since)
        if filt.q:
            pattern = "%" + filt.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
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

    def _db_page(
        self, viewer: Principal, filt: OrderFilter, after: tuple[datetime, str] | None, size: int
    ) -> list[dict[str, Any]]:
        query = (
            select(orders_t)
            .where(*self._where(viewer, filt, after))
            .order_by(orders_t.c.created_at.desc(), orders_t.c.id.desc())
            .limit(size)
        )
        with self.db.session() as session:
            rows = session.execute(query).mappings().all()
            return orders_by_ids(session, rows)

    def _fallback_orders(self, viewer: Principal, filt: OrderFilter, *, db_up: bool) -> list[dict[str, Any]]:
        out = [
            served(order, "fallback")
            for order in self.store.pending()
            if visible_to(order, viewer) and filt.matches(order)
        ]
        if out and db_up:
            # A file whose order was just committed by a replay must not show twice.
            with self.db.session() as session:
                ids = [o["id"] for o in out]
                imported = set(session.scalars(select(orders_t.c.id).where(orders_t.c.id.in_(ids))))
            out = [o for o in out if o["id"] not in imported]
        out.sort(key=lambda o: (o["createdAt"], o["id"]), reverse=True)
        return out

    def list_page(
        self, viewer: Principal, filt: OrderFilter, *, limit: int, cursor: str | None
    ) -> dict[str, Any]:
        after = self._cursor(cursor)
        try:
            db_orders = self._db_page(viewer, filt, after, limit + 1)
            db_up = True
        except Exception as error:
            if not is_unavailable(error):
                raise
            db_orders, db_up = [], False
        fallback = [o for o in self._fallback_orders(viewer, filt, db_up=db_up) if _before(o, after)]
        merged = sorted(db_orders + fallback, key=lambda o: (o["createdAt"], o["id"]), reverse=True)
        page, more = merged[:limit], len(merged) > limit
        body: dict[str, Any] = {
            "success": True,
            "orders": [with_next(o, viewer.role) for o in page],
            "nextCursor": encode_cursor(page[-1]["createdAt"], page[-1]["id"]) if more and page else None,
        }
        if not db_up:
            body["database"] = "down"
        return body

    def stream_all(self, viewer: Principal, filt: OrderFilter) -> Iterator[str]:
        """Every matching order as chunks of one JSON document, a page of rows at a time.

        The first page is fetched before this returns, so a database that is down is noticed while
        an error response (or the fallback-only answer) can still be sent.
        """
        first = self.list_page(viewer, filt, limit=PAGE, cursor=None)
        return self._stream(viewer, filt, first)

    def _stream(self, viewer: Principal, filt: OrderFilter, first: dict[str, Any]) -> Iterator[str]:
        yield '{"success":true,"orders":['
        page, sep = first, ""
        while True:
            if page["orders"]:
                yield sep + ",".join(dump(o) for o in page["orders"])
                sep = ","
            if not page["nextCursor"]:
                break
            page = self.list_page(viewer, filt, limit=PAGE, cursor=page["nextCursor"])
        tail = ',"database":"down"' if "database" in first else ""
        yield '],"nextCursor":null' + tail + "}"

    def _cursor(self, cursor: str | None) -> tuple[datetime, str] | None:
        if cursor is None:
            return None
        after = decode_cursor(cursor)
        if after is None:
            raise Invalid(
                "Invalid cursor: use the nextCursor of a previous page.", fields={"cursor": "not a cursor"}
            )
        return after

    def get(self, viewer: Principal, ident: str) -> dict[str, Any]:
        order_id = canonical_uuid(ident)
        number = ident.upper() if _NUMBER.match(ident) else None
        if order_id is None and number is None:
            raise NotFound(f"No order {ident!r}: give an order number like KRFT-482031 or an order id.")
        try:
            if (found := self._get_from_db(order_id, number)) is not None:
                return self._shown(found, viewer, ident)
            database_down = False
        except Exception as error:
            if not is_unavailable(error):
                raise
            database_down = True
        stored = (
            self.store.read(order_id)
            if order_id
            else next((o for o in self.store.pending() if o["orderNumber"] == number), None)
        )
        if stored is not None:
            return self._shown(served(stored, "fallback"), viewer, ident)
        if database_down:
            raise NotFound(
                f"No order {ident} in the fallback store, and the database is unavailable to look further; "
                "try again when it is back."
            )
        # The replay may have committed the order and archived its file between our two looks.
        if (found := self._get_from_db(order_id, number)) is not None:
            return self._shown(found, viewer, ident)
        raise NotFound(f"No order {ident}.")

    def _get_from_db(self, order_id: str | None, number: str | None) -> dict[str, Any] | None:
        with self.db.session() as session:
            cond = orders_t.c.id == order_id if order_id else orders_t.c.order_number == number
            rows = session.execute(select(orders_t).where(cond)).mappings().all()
            found = orders_by_ids(session, rows)
        return found[0] if found else None

    def _shown(self, order: dict[str, Any], viewer: Principal, ident: str) -> dict[str, Any]:
        # Someone else's order is "not found", not "forbidden": its existence is not theirs to learn.
        if not visible_to(order, viewer):
            raise NotFound(f"No order {ident}.")
        return with_next(order, viewer.role)


def _before(order: dict[str, Any], after: tuple[datetime, str] | None) -> bool:
    if after is None:
        return True
    created = datetime.fromisoformat(order["createdAt"])
    return (created, order["id"]) < after
