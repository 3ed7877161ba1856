"""Taking in a new order: its number (from this instance's lease, else drawn where it is stored), its
Idempotency-Key (scoped to the caller; a retry gets the first answer), and the store it lands in —
the database with its checks in the write's own transaction, or a fallback file when the database is
unavailable (the seam decides).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from server.domain.errors import IdempotencyConflict, Invalid, NotStored
from server.domain.numbers import draw_number
from server.domain.order_token import new_token
from server.domain.principal import Principal
from server.domain.records import Idem, PriceInfo, apply_price, build_record
from server.domain.schemas import OrderIn
from server.storage.database import DatabaseOrders
from server.storage.files import FallbackStore
from server.storage.numbers import NumberLease
from server.storage.seam import OrderStorage, attempt

__all__ = ["Intake", "scoped_key"]

log = logging.getLogger("krafta.orders")

_REUSED = "This Idempotency-Key was already used with a different request body."
# Attempts at one insert: a lost race for a key or a number is retried with what the race left.
_TRIES = 5


def scoped_key(owner: Principal | None, key: str) -> str:
    """The key as stored: scoped to its caller, so another caller's key never finds this order."""
    scope = owner.id if owner else "anonymous"
    return hashlib.sha256(f"{scope}\x00{key}".encode()).hexdigest()


@dataclass
class _Draft:
    """A new order on its way to one of the stores (the same uuid, number and token for both)."""

    record: dict[str, Any]
    reserved: bool  # its number comes from this instance's lease
    key: str | None
    request_hash: str
    token: str  # the order token, answered once; only `token_hash` is stored
    token_hash: str

    def response(self) -> dict[str, Any]:
        """The answer as an Idempotency-Key keeps it: without the token, which is never stored."""
        r = self.record
        return {"success": True, "orderId": r["id"], "orderNumber": r["orderNumber"], "status": r["status"]}

    def first(self, response: dict[str, Any]) -> dict[str, Any]:
        """The first answer: the kept one with the token (a retry gets the kept one)."""
        return {**response, "orderToken": self.token}


class Intake:
    def __init__(self, storage: OrderStorage, lease: NumberLease) -> None:
        self.storage = storage
        self.lease = lease

    def create(
        self, body: OrderIn, *, owner: Principal | None, idempotency_key: str | None, request_hash: str
    ) -> tuple[int, dict[str, Any]]:
        key = scoped_key(owner, idempotency_key) if idempotency_key else None
        if key and (earlier := self.storage.files.find_key(key)) is not None:
            return 201, _again(earlier, request_hash)
        number = self.lease.take()
        # Without a leased number the order gets one where it is stored (`_in_*`).
        record = build_record(body, owner=owner, price=PriceInfo("UNKNOWN_VARIANT"), number=number or "-")
        draft = _Draft(record, number is not None, key, request_hash, *new_token())
        result, _ = self.storage.database_or_files(
            lambda database: self._in_database(database, draft, body),
            lambda files: self._in_files(files, draft),
        )
        return 201, result

    def _in_database(self, database: DatabaseOrders, draft: _Draft, body: OrderIn) -> dict[str, Any]:
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

        for _ in range(_TRIES):
            response = draft.response()
            idem = Idem(draft.key, draft.request_hash, response) if draft.key else None
            try:
                earlier = database.insert(draft.record, idem, prepare=prepare, token_hash=draft.token_hash)
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
            self.storage.files.remember_key(idem)
        if self.lease.low() and not attempt(lambda: self.lease.refill(wait=False), instead=None)[0]:
            log.warning("could not refill the order number lease: the database is unavailable")
        return draft.first(response)

    def _keep_spare(self, draft: _Draft) -> None:
        if draft.reserved:
            self.lease.give_back(draft.record["orderNumber"])

    def _in_files(self, files: FallbackStore, draft: _Draft) -> dict[str, Any]:
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
                "tokenHash": draft.token_hash,
            }
            files.insert(draft.record, meta)
        return draft.first(response)


def _again(earlier: Idem, request_hash: str) -> dict[str, Any]:
    if earlier.request_hash != request_hash:
        raise IdempotencyConflict(_REUSED)
    return earlier.response
