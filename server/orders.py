"""The write side of orders: create and advance, over the database or the fallback.

Reads (list, get) are in `order_queries.py`. Each public method here tries the database first;
when it is unavailable (`db.is_unavailable`) it carries on against the JSON fallback, so that no
order is lost and staff can keep working.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.auth import Principal
from server.db import Database, is_unavailable
from server.errors import Conflict, Forbidden, IdempotencyConflict, Invalid, NotFound
from server.fallback import META, FallbackStore, canonical_uuid, served
from server.lifecycle import MoveRefused, Status, check_move, next_statuses
from server.live import LiveEvents
from server.live_log import CREATED, STATUS_CHANGED
from server.models import DesignUpload, IdempotencyKey, Product, ProductVariant, utcnow
from server.records import PriceInfo, apply_price, build_record, event, insert_record, new_order_number
from server.schemas import AdvanceIn, OrderIn
from server.serialize import (
    events_t,
    iso,
    orders_by_ids,
    orders_t,
    payments_t,
    with_next,
)

__all__ = ["OrderService"]

_NUMBER_ATTEMPTS = 30


class _NotInDatabase(Exception):
    pass


class OrderService:
    def __init__(self, db: Database, store: FallbackStore, *, live: LiveEvents | None = None) -> None:
        self.db = db
        self.store = store
        self.live = live

    # ---- create -----------------------------------------------------------------------------------

    def create(
        self, body: OrderIn, *, owner: Principal | None, idempotency_key: str | None, request_hash: str
    ) -> tuple[int, dict[str, Any]]:
        # One record for both paths: if a commit fails ambiguously (it may have landed) the fallback
        # file carries the same uuid, and the replay recognises the order instead of importing it twice.
        record = build_record(body, owner=owner, price=PriceInfo("UNKNOWN_VARIANT"))
        try:
            if idempotency_key:
                earlier = self._earlier_response(idempotency_key, request_hash)
                if earlier is not None:
                    return earlier
            return self._create_in_db(record, body, key=idempotency_key, request_hash=request_hash)
        except Exception as error:
            if not is_unavailable(error):
                raise
        return self._create_in_fallback(record, key=idempotency_key, request_hash=request_hash)

    def _earlier_response(self, key: str, request_hash: str) -> tuple[int, dict[str, Any]] | None:
        stored = self.store.find_idempotent(key)
        if stored is not None:
            meta = stored[META]
            if meta["requestHash"] != request_hash:
                raise IdempotencyConflict(
                    "This Idempotency-Key was already used with a different request body."
                )
            return 201, meta["response"]
        with self.db.session() as session:
            row = session.get(IdempotencyKey, key)
            if row is None:
                return None
            if row.request_hash != request_hash:
                raise IdempotencyConflict(
                    "This Idempotency-Key was already used with a different request body."
                )
            return row.status_code, row.response_json

    def _price(self, session: Session, body: OrderIn) -> PriceInfo:
        found = session.execute(
            select(ProductVariant.base_price, ProductVariant.active, Product.name, Product.active)
            .join(Product, Product.id == ProductVariant.product_id)
            .where(ProductVariant.id == body.variant_id)
        ).first()
        if found is None or not found[1] or not found[3]:
            return PriceInfo("UNKNOWN_VARIANT")
        base_price, _, name, _ = found
        expected = (base_price * body.quantity).quantize(Decimal("0.01"))
        if expected != body.subtotal:
            return PriceInfo("MISMATCH", expected=expected, product_name=name, unit_price=base_price)
        return PriceInfo("OK", product_name=name, unit_price=base_price)

    def _create_in_db(
        self, record: dict[str, Any], body: OrderIn, *, key: str | None, request_hash: str
    ) -> tuple[int, dict[str, Any]]:
        with self.db.session() as session:
            price = self._price(session, body)
            if body.design_upload_id is not None and session.get(DesignUpload, body.design_upload_id) is None:
                raise Invalid(
                    "Invalid designUploadId: no such design upload.",
                    fields={"designUploadId": "no design upload with this id"},
                )
        apply_price(record, price)
        # Numbers held by orders still waiting in the fallback are taken too: their customers have them.
        held = {o["orderNumber"] for o in self.store.pending()} if self.store.count() else set()
        for _ in range(_NUMBER_ATTEMPTS):
            while record["orderNumber"] in held:
                record["orderNumber"] = new_order_number()
            response = _created(record)
            try:
                with self.db.write() as session:
                    insert_record(session, record)
                    if key:
                        session.add(
                            IdempotencyKey(
                                key=key, request_hash=request_hash, status_code=201, response_json=response
                            )
                        )
                    if self.live is not None:
                        self.live.record(session, kind=CREATED, order=record, from_status=None)
                return 201, response
            except IntegrityError:
                # Either another request took this number, or one with the same Idempotency-Key won the race.
                if key and (earlier := self._earlier_response(key, request_hash)) is not None:
                    return earlier
                record["orderNumber"] = new_order_number()
        raise Conflict(
            "Could not allocate a unique order number; try again.", current_status="", next_statuses=[]
        )

    def _create_in_fallback(
        self, record: dict[str, Any], *, key: str | None, request_hash: str
    ) -> tuple[int, dict[str, Any]]:
        with self.store.lock():
            if key and (stored := self.store.find_idempotent(key)) is not None:
                if stored[META]["requestHash"] != request_hash:
                    raise IdempotencyConflict(
                        "This Idempotency-Key was already used with a different request body."
                    )
                return 201, stored[META]["response"]
            taken = {o["orderNumber"] for o in self.store.pending()}
            while record["orderNumber"] in taken:
                record["orderNumber"] = new_order_number()
            response = _created(record)
            record["storage"] = "fallback"
            record[META] = {"idempotencyKey": key, "requestHash": request_hash, "response": response}
            self.store.write(record)
        if self.live is not None:
            self.live.record_fallback(kind=CREATED, order=served(record, "fallback"), from_status=None)
        return 201, response

    # ---- advance ----------------------------------------------------------------------------------

    def advance(self, actor: Principal, cmd: AdvanceIn) -> dict[str, Any]:
        order_id = canonical_uuid(cmd.order_id)
        if order_id is None:
            raise NotFound(f"No order with orderId {cmd.order_id!r}.")
        database_down = False
        try:
            return self._advance_in_db(actor, cmd, order_id)
        except _NotInDatabase:
            pass
        except Exception as error:
            if not is_unavailable(error):
                raise
            database_down = True
        moved = self._advance_in_fallback(actor, cmd, order_id)
        if moved is not None:
            return moved
        if not database_down:
            # The replay may have committed the order and archived its file between our two looks.
            with contextlib.suppress(_NotInDatabase):
                return self._advance_in_db(actor, cmd, order_id)
            raise NotFound(f"No order with orderId {order_id}.")
        # The seed's rule: 404 when the database update failed and the fallback has no such order.
        raise NotFound(
            f"No order with orderId {order_id} in the fallback store, and the database is unavailable "
            "to look further; try again when it is back."
        )

    def _advance_in_db(self, actor: Principal, cmd: AdvanceIn, order_id: str) -> dict[str, Any]:
        target = cmd.status
        with self.db.write() as session:
            current = session.scalar(select(orders_t.c.status).where(orders_t.c.id == order_id))
            if current is None:
                raise _NotInDatabase
            _check(current, cmd, actor)
            now = utcnow()
            # The WHERE on the old status is the guard: of two concurrent advances only one matches.
            moved = session.execute(
                update(orders_t)
                .where(orders_t.c.id == order_id, orders_t.c.status == current)
                .values(status=target.value, updated_at=now)
            )
            if moved.rowcount != 1:
                now_status = (
                    session.scalar(select(orders_t.c.status).where(orders_t.c.id == order_id)) or current
                )
                raise _conflict(f"Order was moved to {now_status} by someone else.", now_status, actor)
            seq = session.scalar(
                select(func.coalesce(func.max(events_t.c.seq), 0)).where(events_t.c.order_id == order_id)
            )
            e = event(
                from_status=current,
                to_status=target,
                actor=actor,
                note=cmd.note or None,
                forced=cmd.force,
                at=now,
            )
            session.execute(
                events_t.insert().values(
                    id=e["id"],
                    order_id=order_id,
                    seq=(seq or 0) + 1,
                    from_status=current,
                    to_status=target.value,
                    user_id=actor.id,
                    user_email=actor.email,
                    user_role=actor.role,
                    at=now,
                    note=e["note"],
                    forced=cmd.force,
                )
            )
            if target is Status.CONFIRMED:
                session.execute(
                    update(payments_t)
                    .where(payments_t.c.order_id == order_id, payments_t.c.status == "REPORTED")
                    .values(status="CONFIRMED", reviewed_at=now, reviewed_by=actor.email or actor.id)
                )
            rows = session.execute(select(orders_t).where(orders_t.c.id == order_id)).mappings().all()
            order = orders_by_ids(session, rows)[0]
            if self.live is not None:
                self.live.record(session, kind=STATUS_CHANGED, order=order, from_status=current)
        return with_next(order, actor.role)

    def _advance_in_fallback(self, actor: Principal, cmd: AdvanceIn, order_id: str) -> dict[str, Any] | None:
        def change(order: dict[str, Any]) -> dict[str, Any]:
            current = order["status"]
            _check(current, cmd, actor)
            now = utcnow()
            order["status"] = cmd.status.value
            order["updatedAt"] = iso(now)
            order["history"].append(
                event(
                    from_status=current,
                    to_status=cmd.status,
                    actor=actor,
                    note=cmd.note or None,
                    forced=cmd.force,
                    at=now,
                )
            )
            if cmd.status is Status.CONFIRMED:
                for p in order["payments"]:
                    if p["status"] == "REPORTED":
                        p.update(status="CONFIRMED", reviewedAt=iso(now), reviewedBy=actor.email or actor.id)
            return order

        before: list[str] = []

        def change_and_note(order: dict[str, Any]) -> dict[str, Any]:
            before.append(order["status"])
            return change(order)

        updated = self.store.update(order_id, change_and_note)
        if updated is None:
            return None
        if self.live is not None:
            self.live.record_fallback(
                kind=STATUS_CHANGED, order=served(updated, "fallback"), from_status=before[0]
            )
        return with_next(served(updated, "fallback"), actor.role)


def _created(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "success": True,
        "orderId": record["id"],
        "orderNumber": record["orderNumber"],
        "status": record["status"],
    }


def _conflict(message: str, current: str, actor: Principal) -> Conflict:
    return Conflict(
        message, current_status=current, next_statuses=[s.value for s in next_statuses(current, actor.role)]
    )


def _sentence(error: Exception) -> str:
    # Not str.capitalize(): it would lower-case the status and role names in the rest of the message.
    text = str(error)
    return text[:1].upper() + text[1:] + "."


def _check(current: str, cmd: AdvanceIn, actor: Principal) -> None:
    if cmd.expected_status is not None and cmd.expected_status.value != current:
        raise _conflict(
            f"Order is {current}, not {cmd.expected_status.value}: it was moved by someone else.",
            current,
            actor,
        )
    try:
        check_move(current, cmd.status, actor.role, force=cmd.force, note=cmd.note)
    except MoveRefused as refused:
        if refused.reason == "forbidden":
            raise Forbidden(_sentence(refused)) from None
        if refused.reason == "invalid":
            raise Invalid(_sentence(refused), fields={"note": "required with force"}) from None
        raise _conflict(_sentence(refused), current, actor) from None
