"""The order service: create, advance, get, list — each one operation over the storage seam.

What is stored and where is decided in `storage/seam.py`; what an order holds in `domain/shape.py`;
what a move changes in `lifecycle.plan_move`; what a caller is shown in `domain/audience.py`.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import orjson
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from server.domain.audience import is_staff, shown_to, staff_json, visible_to
from server.domain.errors import (
    ApiError,
    Conflict,
    ErrorCode,
    IdempotencyConflict,
    Invalid,
    NotFound,
    NotStored,
)
from server.domain.filter import After, OrderFilter, decode_cursor, encode_cursor, sort_key
from server.domain.handover import check_handover, delivery_of
from server.domain.lifecycle import MovePlan, MoveRefused, Status, next_statuses, plan_move
from server.domain.numbers import draw_number
from server.domain.principal import Principal
from server.domain.records import Idem, PriceInfo, apply_price, build_record
from server.domain.schemas import AdvanceIn, OrderIn
from server.domain.shape import iso, utcnow
from server.domain.stuck import StuckRules
from server.storage.database import DatabaseOrders
from server.storage.db import Database
from server.storage.files import FallbackStore, canonical_uuid
from server.storage.numbers import NumberLease
from server.storage.seam import OrderStorage, attempt

__all__ = ["PAGE", "OrderService", "scoped_key"]

log = logging.getLogger("krafta.orders")

PAGE = 1000  # orders per query while streaming the full list
_NUMBER = re.compile(r"^KRFT-\d{6}$", re.IGNORECASE)
_REUSED = "This Idempotency-Key was already used with a different request body."


def scoped_key(owner: Principal | None, key: str) -> str:
    """The key as stored: scoped to its caller, so another caller's key never finds this order."""
    scope = owner.id if owner else "anonymous"
    return hashlib.sha256(f"{scope}\x00{key}".encode()).hexdigest()


@dataclass
class _Draft:
    """A new order on its way to one of the stores (the same uuid and number for both)."""

    record: dict[str, Any]
    reserved: bool  # its number comes from this instance's lease
    key: str | None
    request_hash: str

    def response(self) -> dict[str, Any]:
        r = self.record
        return {"success": True, "orderId": r["id"], "orderNumber": r["orderNumber"], "status": r["status"]}


class OrderService:
    def __init__(
        self,
        db: Database,
        store: FallbackStore,
        *,
        lease: NumberLease | None = None,
        database: DatabaseOrders | None = None,
        stuck: StuckRules | None = None,
    ) -> None:
        # How long an order may sit in a status (KRAFTA_STUCK_AFTER): what staff are shown says `stuck`.
        self.stuck = stuck if stuck is not None else StuckRules()
        self.files = store
        self.database = database if database is not None else DatabaseOrders(db, store.hooks)
        self.storage = OrderStorage(self.database, store)
        self.lease = lease if lease is not None else NumberLease(db)

    # ---- create -------------------------------------------------------------------------------------

    def create(
        self, body: OrderIn, *, owner: Principal | None, idempotency_key: str | None, request_hash: str
    ) -> tuple[int, dict[str, Any]]:
        key = scoped_key(owner, idempotency_key) if idempotency_key else None
        if key and (earlier := self.files.find_key(key)) is not None:
            return 201, _again(earlier, request_hash)
        number = self.lease.take()
        # Without a leased number the order gets one where it is stored (`_create_in_*`).
        record = build_record(body, owner=owner, price=PriceInfo("UNKNOWN_VARIANT"), number=number or "-")
        draft = _Draft(record, number is not None, key, request_hash)
        result, _ = self.storage.database_or_files(
            lambda database: self._create_in_database(database, draft, body),
            lambda files: self._create_in_files(files, draft),
        )
        return 201, result

    def _create_in_database(self, database: DatabaseOrders, draft: _Draft, body: OrderIn) -> dict[str, Any]:
        if not draft.reserved:
            self.lease.refill()
            number = self.lease.take()
            draft.record["orderNumber"], draft.reserved = number or draw_number(), number is not None

        def prepare(conn: Connection) -> dict[str, Any] | None:
            # The checks read in the write's own transaction: one connection, one round of locks.
            if draft.key and (earlier := database.idempotent(conn, draft.key)) is not None:
                self._keep_spare(draft)
                return _again(earlier, draft.request_hash)
            if body.design_upload_id is not None and not database.upload_exists(conn, body.design_upload_id):
                raise Invalid(
                    "Invalid designUploadId: no such design upload.",
                    fields={"designUploadId": "no design upload with this id"},
                )
            apply_price(draft.record, database.price(conn, body.variant_id, body.quantity, body.subtotal))
            return None

        for _ in range(5):
            response = draft.response()
            idem = Idem(draft.key, draft.request_hash, response) if draft.key else None
            try:
                earlier = database.insert(draft.record, idem, prepare=prepare)
            except IntegrityError:
                # Two requests with one key raced (the other committed first: `prepare` finds it
                # now), or the number was taken around the registry (rows seeded directly).
                number = self.lease.take()
                draft.record["orderNumber"], draft.reserved = number or draw_number(), number is not None
                continue
            if earlier is not None:
                return earlier  # type: ignore[no-any-return]
            break
        else:
            raise NotStored("Could not store the order; try again.")
        if idem is not None:
            self.files.remember_key(idem)
        if self.lease.low():
            self._top_up()
        return response

    def _keep_spare(self, draft: _Draft) -> None:
        if draft.reserved:
            self.lease.give_back(draft.record["orderNumber"])

    def _top_up(self) -> None:
        answered, _ = attempt(lambda: self.lease.refill(wait=False))
        if not answered:
            log.warning("could not refill the order number lease: the database is unavailable")

    def _create_in_files(self, files: FallbackStore, draft: _Draft) -> dict[str, Any]:
        with files.lock():
            if draft.key and (earlier := files.find_key(draft.key)) is not None:
                self._keep_spare(draft)
                return _again(earlier, draft.request_hash)
            if not draft.reserved:
                # The lease ran dry: a number no pending order holds; the replay claims it or renumbers.
                held = files.numbers() | {"-"}
                while draft.record["orderNumber"] in held:
                    draft.record["orderNumber"] = draw_number()
                log.warning("order number lease is empty; %s is not reserved", draft.record["orderNumber"])
            response = draft.response()
            meta = {
                "idempotencyKey": draft.key,
                "requestHash": draft.request_hash,
                "response": response,
                "numberReserved": draft.reserved,
            }
            files.insert(draft.record, meta)
        return response

    # ---- advance ------------------------------------------------------------------------------------

    def advance(
        self, actor: Principal, cmd: AdvanceIn, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Move an order; `extra` is move data beyond the status (courier, tracking number, …)."""
        check_handover(cmd.status, courier=cmd.courier, tracking_number=cmd.tracking_number)
        order_id = canonical_uuid(cmd.order_id)
        if order_id is None:
            raise NotFound(f"No order with orderId {cmd.order_id!r}.")
        at = utcnow()
        if cmd.status is Status.HANDED_TO_DELIVERY:
            # The hand-over records who carries it and when, with or without a tracking number.
            extra = {**(extra or {}), "delivery": delivery_of(cmd.courier, cmd.tracking_number, at)}

        def decide(current: str) -> MovePlan:
            return plan_move(
                current,
                cmd.status,
                actor.role,
                force=cmd.force,
                note=cmd.note or None,
                expected=cmd.expected_status,
                extra=extra,
            )

        try:
            moved, answered = self.storage.find(lambda store: store.apply_move(order_id, decide, actor, at))
        except MoveRefused as refused:
            raise _refusal(refused, actor) from None
        if moved is None:
            raise NotFound(_missing(f"with orderId {order_id}", answered))
        return shown_to(moved, actor, self.stuck, at)

    # ---- read ---------------------------------------------------------------------------------------

    def get(self, viewer: Principal, ident: str) -> dict[str, Any]:
        order_id = canonical_uuid(ident)
        number = ident.upper() if _NUMBER.match(ident) else None
        if order_id is None and number is None:
            raise NotFound(f"No order {ident!r}: give an order number like KRFT-482031 or an order id.")
        found, answered = self.storage.find(lambda store: store.get(order_id=order_id, number=number))
        # Someone else's order is "not found", not "forbidden": its existence is not theirs to learn.
        if found is None:
            raise NotFound(_missing(ident, answered))
        if not visible_to(found, viewer):
            raise NotFound(f"No order {ident}.")
        return shown_to(found, viewer, self.stuck)

    def _filter(self, viewer: Principal, filt: OrderFilter) -> OrderFilter:
        if is_staff(viewer):
            return filt
        return replace(filt, owner_id=viewer.id)

    def _head(self, viewer: Principal) -> bytes:
        """The start of a list answer. Staff lists carry the stuck rules (seconds per status), so a
        board can mark a card stuck the moment its time passes: `stuck_since` with its
        `enteredStatusAt`. Customers are never told about stuck orders."""
        if not is_staff(viewer):
            return b'{"success":true,"orders":['
        return b'{"success":true,"stuckRules":' + orjson.dumps(self.stuck.seconds()) + b',"orders":['

    def list_page(self, viewer: Principal, filt: OrderFilter, *, limit: int, cursor: str | None) -> bytes:
        """One page as a JSON document:
        `{"success"[, "stuckRules"], "orders", "nextCursor"[, "database": "down"]}`."""
        after = _cursor(cursor)
        filt = self._filter(viewer, filt)
        answered, db_pieces = attempt(lambda: self._database_pieces(viewer, filt, after, limit + 1))
        merged = sorted(
            [*(db_pieces or []), *self._fallback_pieces(viewer, filt, after, limit + 1, answered)],
            key=_piece_key,
            reverse=True,
        )
        page, more = merged[:limit], len(merged) > limit
        next_cursor = None
        if more and page:
            created, order_id = page[-1][0]
            next_cursor = encode_cursor(iso(created) or "", order_id)
        return (
            self._head(viewer)
            + b",".join(piece for _, piece in page)
            + b'],"nextCursor":'
            + orjson.dumps(next_cursor)
            + (b"" if answered else b',"database":"down"')
            + b"}"
        )

    def _database_pieces(
        self, viewer: Principal, filt: OrderFilter, after: After | None, size: int
    ) -> list[Piece]:
        """Orders of one database page, each as (sort key, what the caller is shown as JSON bytes)."""
        if is_staff(viewer):
            # What staff are shown is the database's own JSON (`order_json.py`) plus stuck and nextStatuses.
            now = utcnow()
            return [
                (key, staff_json(text, status, viewer, self.stuck.stuck_since(status, entered, now)))
                for key, status, entered, text in self.database.page_json(filt, after, size)
            ]
        pages = self.database.page(filt, after, size)
        return [(sort_key(o), orjson.dumps(shown_to(o, viewer, self.stuck))) for o in pages]

    def _fallback_pieces(
        self, viewer: Principal, filt: OrderFilter, after: After | None, size: int | None, answered: bool
    ) -> list[Piece]:
        ids = self.files.matching(filt, after)[:size]
        if ids and answered:
            # A file whose order was just committed by a replay must not show twice.
            _, present = attempt(lambda: self.database.present(ids))
            ids = [i for i in ids if i not in (present or set())]
        loaded = self.files.load(ids, filt)
        return [(sort_key(o), orjson.dumps(shown_to(o, viewer, self.stuck))) for o in loaded]

    def stream_all(self, viewer: Principal, filt: OrderFilter) -> Iterator[bytes]:
        """Every matching order as chunks of one JSON document, database pages merged with the files.

        The first page is fetched before this returns, so a database that is down is noticed while
        the answer can still say so; the fallback's orders are read once, not once per page.
        """
        filt = self._filter(viewer, filt)
        answered, first = attempt(lambda: self._database_pieces(viewer, filt, None, PAGE))
        fallback = self._fallback_pieces(viewer, filt, None, None, answered)
        return self._stream(viewer, filt, first or [], fallback, answered)

    def _database_pages(self, viewer: Principal, filt: OrderFilter, first: list[Piece]) -> Iterator[Piece]:
        page = first
        while True:
            yield from page
            if len(page) < PAGE:
                return
            page = self._database_pieces(viewer, filt, page[-1][0], PAGE)

    def _stream(
        self,
        viewer: Principal,
        filt: OrderFilter,
        first: list[Piece],
        fallback: list[Piece],
        answered: bool,
    ) -> Iterator[bytes]:
        yield self._head(viewer)
        pieces = (
            heapq.merge(self._database_pages(viewer, filt, first), fallback, key=_piece_key, reverse=True)
            if answered
            else iter(fallback)
        )
        sep, chunk = b"", []
        for _, piece in pieces:
            chunk.append(piece)
            if len(chunk) == 500:
                yield sep + b",".join(chunk)
                sep, chunk = b",", []
        if chunk:
            yield sep + b",".join(chunk)
        yield b'],"nextCursor":null' + (b"" if answered else b',"database":"down"') + b"}"


Piece = tuple[After, bytes]


def _piece_key(piece: Piece) -> After:
    return piece[0]


def _again(earlier: Idem, request_hash: str) -> dict[str, Any]:
    if earlier.request_hash != request_hash:
        raise IdempotencyConflict(_REUSED)
    return earlier.response


def _cursor(cursor: str | None) -> Any:
    if cursor is None:
        return None
    after = decode_cursor(cursor)
    if after is None:
        raise Invalid(
            "Invalid cursor: use the nextCursor of a previous page.", fields={"cursor": "not a cursor"}
        )
    return after


def _missing(ident: str, answered: bool) -> str:
    if answered:
        return f"No order {ident}."
    # The seed's rule: 404 when the database failed and the fallback has no such order.
    return (
        f"No order {ident} in the fallback store, and the database is unavailable to look further; "
        "try again when it is back."
    )


def _sentence(error: Exception) -> str:
    # Not str.capitalize(): it would lower-case the status and role names in the rest of the message.
    text = str(error)
    return text[:1].upper() + text[1:] + "."


def _refusal(refused: MoveRefused, actor: Principal) -> ApiError:
    """The lifecycle's refusal as the error the caller gets (a conflict names where the order is now)."""
    message = _sentence(refused)
    if refused.code is ErrorCode.CONFLICT:
        current = str(refused.current or "")
        nxt: list[str] = []
        with contextlib.suppress(ValueError):
            nxt = [s.value for s in next_statuses(current, actor.role)]
        return Conflict(message, current_status=current, next_statuses=nxt)
    if refused.code is ErrorCode.INVALID:
        return Invalid(message, fields={"note": "required with force"})
    return ApiError(message, code=refused.code)
