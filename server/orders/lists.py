"""Order lists, as JSON bytes: one page after a cursor, or every matching order streamed.

Both take each store's share from the seam (`OrderStorage.listing`: a database page, and the
pending fallback orders the database does not hold yet), render each order for its caller, and
merge them in the filter's order (newest first, or the day's plan with `sort=due`). Staff pages
are the database's own JSON (`storage/order_json.py`) with
what staff are shown spliced in; a page of customers' orders goes through `shown_to`.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

import orjson

from server.domain.audience import is_staff, shown_to, staff_json
from server.domain.errors import Forbidden, Invalid
from server.domain.filter import After, OrderFilter, Sort, decode_cursor, encode_cursor, sort_key
from server.domain.planning import Calendar, late_on
from server.domain.principal import Principal
from server.domain.stuck import StuckRules
from server.storage.database import DatabaseOrders
from server.storage.seam import OrderStorage

__all__ = ["PAGE", "OrderLists"]

PAGE = 1000  # orders per query while streaming the full list
CHUNK = 500  # orders per chunk of a streamed answer

Piece = tuple[After, bytes]  # an order's sort key, and the order as its caller is shown it


class OrderLists:
    def __init__(self, storage: OrderStorage, stuck: StuckRules, calendar: Calendar | None = None) -> None:
        self.storage = storage
        self.stuck = stuck
        self.calendar = calendar if calendar is not None else Calendar()

    def page(self, viewer: Principal, filt: OrderFilter, *, limit: int, cursor: str | None) -> bytes:
        """One page as a JSON document:
        `{"success"[, "stuckRules"], "orders", "nextCursor"[, "database": "down"]}`."""
        after = _cursor(cursor, filt.sort)
        filt = self._scope(viewer, filt)
        share = self.storage.listing(
            filt,
            after,
            limit + 1,
            lambda database: self._database_page(database, viewer, filt, after, limit + 1),
        )
        held = {key[-1] for key, _ in share.database}
        fallback = [p for p in self._pieces(viewer, share.files, filt.sort) if p[0][-1] not in held]
        pieces = [*share.database, *fallback]
        merged = sorted(pieces, key=_key, reverse=filt.descending)
        page, more = merged[:limit], len(merged) > limit
        next_cursor = encode_cursor(page[-1][0], filt.sort) if more and page else None
        return (
            self._head(viewer)
            + b",".join(piece for _, piece in page)
            + b'],"nextCursor":'
            + orjson.dumps(next_cursor)
            + (b"" if share.answered else b',"database":"down"')
            + b"}"
        )

    def stream(self, viewer: Principal, filt: OrderFilter) -> Iterator[bytes]:
        """Every matching order as chunks of one JSON document, database pages merged with the files.

        The first page is fetched before this returns, so a database that is down is noticed while
        the answer can still say so; the fallback's orders are read once, not once per page.
        """
        filt = self._scope(viewer, filt)
        share = self.storage.listing(
            filt, None, None, lambda database: self._database_page(database, viewer, filt, None, PAGE)
        )
        fallback = self._pieces(viewer, share.files, filt.sort)
        if not share.answered:
            return self._chunks(viewer, iter(fallback), answered=False)
        pages = self._database_pages(viewer, filt, share.database)
        merged = heapq.merge(pages, fallback, key=_key, reverse=filt.descending)
        return self._chunks(viewer, _once(merged, {key[-1] for key, _ in fallback}), answered=True)

    def _scope(self, viewer: Principal, filt: OrderFilter) -> OrderFilter:
        if is_staff(viewer):
            return filt
        if filt.same_reference is not None:
            # Whether someone else paid with a customer's reference is the payment desk's question.
            raise Forbidden("Only ADMIN or TALLER staff may filter by sameReference.")
        return replace(filt, owner_id=viewer.id)

    def _head(self, viewer: Principal) -> bytes:
        """The start of a list answer. Staff lists carry the stuck rules (seconds per status), so a
        board can mark a card stuck the moment its time passes: `stuck_since` with its
        `enteredStatusAt`. Customers are never told about stuck orders."""
        if not is_staff(viewer):
            return b'{"success":true,"orders":['
        return b'{"success":true,"stuckRules":' + orjson.dumps(self.stuck.seconds()) + b',"orders":['

    def _database_page(
        self, database: DatabaseOrders, viewer: Principal, filt: OrderFilter, after: After | None, size: int
    ) -> list[Piece]:
        if is_staff(viewer):
            now = self.calendar.now()
            today = self.calendar.today(now)
            return [
                (
                    row.key,
                    staff_json(
                        row.json,
                        row.status,
                        viewer,
                        stuck=not row.held and self.stuck.stuck_since(row.status, row.entered, now),
                        late=late_on(row.status, row.due, today),
                    ),
                )
                for row in database.page_json(filt, after, size)
            ]
        return self._pieces(viewer, database.page(filt, after, size), filt.sort)

    def _database_pages(self, viewer: Principal, filt: OrderFilter, first: list[Piece]) -> Iterator[Piece]:
        # Later pages of a stream that has begun: a database that fails now ends the answer short.
        page = first
        while True:
            yield from page
            if len(page) < PAGE:
                return
            page = self._database_page(self.storage.database, viewer, filt, page[-1][0], PAGE)

    def _pieces(self, viewer: Principal, orders: Iterable[dict[str, Any]], sort: Sort) -> list[Piece]:
        return [
            (sort_key(o, sort), orjson.dumps(shown_to(o, viewer, self.stuck, calendar=self.calendar)))
            for o in orders
        ]

    def _chunks(self, viewer: Principal, pieces: Iterator[Piece], *, answered: bool) -> Iterator[bytes]:
        yield self._head(viewer)
        sep, chunk = b"", []
        for _, piece in pieces:
            chunk.append(piece)
            if len(chunk) == CHUNK:
                yield sep + b",".join(chunk)
                sep, chunk = b",", []
        if chunk:
            yield sep + b",".join(chunk)
        yield b'],"nextCursor":null' + (b"" if answered else b',"database":"down"') + b"}"


def _once(pieces: Iterator[Piece], pending: set[str]) -> Iterator[Piece]:
    """The merged stream without a second copy of an order the replay committed while the list was
    read (its file's copy and its row: the key's last part is the order's id)."""
    seen: set[str] = set()
    for piece in pieces:
        order_id = piece[0][-1]
        if order_id in pending:
            if order_id in seen:
                continue
            seen.add(order_id)
        yield piece


def _key(piece: Piece) -> After:
    return piece[0]


def _cursor(cursor: str | None, sort: Sort) -> After | None:
    if cursor is None:
        return None
    after = decode_cursor(cursor, sort)
    if after is None:
        raise Invalid(
            "Invalid cursor: use the nextCursor of a previous page of the same sort.",
            fields={"cursor": "not a cursor"},
        )
    return after
