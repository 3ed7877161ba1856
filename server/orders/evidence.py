"""New payment evidence for a PENDING order (`POST /api/orders/{ident}/payments`): by its customer —
the owner's session or the order token's holder — as an edit through the seam (`edits.evidence_edit`),
wherever the order lives.

An Idempotency-Key makes the new payment's id (a uuid5 of the caller's scoped key and the order), so
a retry finds its payment already there, in the database, the fallback file or after the replay
alike, with no table of its own: the same body answers the order as it is now and adds nothing, a
different body is a 409.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from server.domain.audience import is_staff, shown_to
from server.domain.edits import OrderEdit, evidence_edit
from server.domain.errors import Conflict, Forbidden, IdempotencyConflict, NotFound
from server.domain.lifecycle import MoveRefused, next_statuses
from server.domain.planning import Calendar
from server.domain.principal import Principal
from server.domain.records import new_payment
from server.domain.schemas import PaymentIn
from server.domain.shape import PAYMENT, new_id, utcnow
from server.domain.stuck import StuckRules
from server.orders.intake import scoped_key
from server.orders.lookup import find, unfound
from server.storage.seam import OrderStorage

__all__ = ["add_payment"]

# The fields a customer sends: what a retry must repeat to be the same request.
_SENT = tuple(f.wire for f in PAYMENT.fields if f.source and f.source.startswith("payment."))
_IDS = uuid.UUID("5d1c8a52-6f0e-4c38-9a59-1f1f4f7e3b10")  # the namespace of keyed payment ids


class _Repeated(Exception):
    """The keyed payment is already on the order: answer the order as it is."""

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__("repeated")
        self.record = record


def add_payment(
    storage: OrderStorage,
    stuck: StuckRules,
    calendar: Calendar | None,
    viewer: Principal | None,
    ident: str,
    body: PaymentIn,
    *,
    token: str | None,
    idempotency_key: str | None,
) -> dict[str, Any]:
    # With a token, the token speaks (a shop's terminal may be logged in as staff); else the session.
    found = find(storage, None if token else viewer, ident, token)
    customer = found.viewer
    if customer is None:
        raise NotFound(f"No order {found.ident}.")
    if is_staff(customer):
        raise Forbidden(
            "Only the order's customer sends new payment evidence (its owner or its token's holder)."
        )
    order_id = found.record["id"]
    at = utcnow()
    # The owner's session is recorded as who sent it; a token's holder is a guest, like at creation.
    actor = None if customer.order_id else customer
    payment_id = new_id()
    if idempotency_key:
        payment_id = str(uuid.uuid5(_IDS, f"{scoped_key(actor, idempotency_key)}\x00{order_id}"))
    candidate = new_payment(body, found.record, payment_id=payment_id, at=at)

    def decide(record: dict[str, Any]) -> OrderEdit:
        earlier = next((p for p in record["payments"] if p["id"] == payment_id), None)
        if earlier is not None:
            if any(earlier.get(wire) != candidate[wire] for wire in _SENT):
                raise IdempotencyConflict(
                    "This Idempotency-Key was already used with a different request body."
                )
            raise _Repeated(record)
        return evidence_edit({**candidate, "amountExpected": record["totalBs"]}, actor, at, record)

    try:
        changed, answered = storage.find(
            lambda store: store.change(order_id, decide, actor.id if actor else None)
        )
    except _Repeated as repeated:
        changed, answered = repeated.record, True
    except MoveRefused as refused:
        current = str(refused.current or "")
        nxt: list[str] = []
        with contextlib.suppress(ValueError):
            nxt = [s.value for s in next_statuses(current, customer.role)]
        raise Conflict(
            f"The order is {current}: new payment evidence is taken only while it is PENDING.",
            current_status=current,
            next_statuses=nxt,
        ) from None
    if changed is None:
        raise unfound(found.ident, answered)
    return shown_to(changed, customer, stuck, calendar=calendar)
