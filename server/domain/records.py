"""An order as one self-contained record (its wire shape), built from a request and changed by plans.

Creating an order builds this record first; the database path inserts it, the fallback path writes
it to a file, and the replay inserts the file's record later. The fields come from the one
declaration in `domain/shape.py`; what a move changes comes from `lifecycle.plan_move`, applied by
every store as an edit (`domain/edits.py`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from server.domain.lifecycle import MovePlan, Status
from server.domain.numbers import draw_number
from server.domain.principal import Principal
from server.domain.schemas import OrderIn, PaymentIn
from server.domain.shape import CHILDREN, HISTORY, ITEM, ORDER, PAYMENT, Part, iso, money, new_id, utcnow

__all__ = [
    "Idem",
    "PriceInfo",
    "apply_price",
    "build_record",
    "entered_from_history",
    "history_entry",
    "move_entry",
    "moved",
    "new_payment",
    "reviewer",
    "upgrade",
    "variant_label",
]


@dataclass(frozen=True)
class Idem:
    """An Idempotency-Key scoped to its caller (`key` is a hash of caller and key), the body's hash,
    and the first answer, returned again to a retry."""

    key: str
    request_hash: str
    response: dict[str, Any]


@dataclass(frozen=True)
class PriceInfo:
    """The catalog's verdict on an order's price, or `UNKNOWN_VARIANT` when it could not be asked."""

    check: str
    expected: Decimal | None = None
    product_name: str | None = None
    unit_price: Decimal | None = None
    variant_label: str | None = None


# Between two attribute values in a variant's label: the separator the clients show it with.
LABEL_SEPARATOR = " · "


def variant_label(attributes: Any) -> str | None:
    """A variant's attributes as one label, their values in the catalog's order ("L · blanco" for
    `{"talla": "L", "color": "blanco"}`); None when it has none. Empty values say nothing and are
    left out; a value that is not text (a number, a flat list) is written as JSON would."""
    if not isinstance(attributes, Mapping):
        return None
    words = []
    for value in attributes.values():
        if value is None or value == "":
            continue
        words.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return LABEL_SEPARATOR.join(words) or None


def history_entry(
    *,
    from_status: str | None,
    to_status: str,
    actor: Principal | None,
    note: str | None,
    forced: bool = False,
    at: datetime | None = None,
    kind: str = "move",
) -> dict[str, Any]:
    """One history entry in the record's shape (`kind`: `shape.HISTORY_KINDS`)."""
    return _new(
        HISTORY,
        None,
        {
            "id": new_id(),
            "fromStatus": None if from_status is None else str(from_status),
            "toStatus": str(to_status),
            "userId": actor.id if actor else None,
            "userEmail": actor.email if actor else None,
            "userRole": str(actor.role) if actor else None,
            "at": iso(at or utcnow()),
            "note": note,
            "forced": forced,
            "kind": kind,
        },
    )


def move_entry(plan: MovePlan, actor: Principal | None, at: datetime) -> dict[str, Any]:
    return history_entry(
        from_status=plan.from_status,
        to_status=plan.to_status,
        actor=actor,
        note=plan.note,
        forced=plan.forced,
        at=at,
    )


def moved(plan: MovePlan, at: datetime) -> dict[str, Any]:
    """The order fields a move sets (wire names, groups as objects): what every store writes.

    Every move enters a status (a forced correction too: it never keeps the status), so every move
    restarts the order's clock (`enteredStatusAt`).
    """
    fields: dict[str, Any] = {
        "status": plan.to_status.value,
        "updatedAt": iso(at),
        "enteredStatusAt": iso(at),
    }
    for f in ORDER.fields:
        name = f.group or f.wire
        if name in plan.extra:
            fields[name] = plan.extra[name]
    return fields


def reviewer(actor: Principal | None) -> str | None:
    return None if actor is None else actor.email or actor.id


def _new(part: Part, body: OrderIn | None, made: dict[str, Any]) -> dict[str, Any]:
    """A new row of `part` with every declared field: what the server `made` (by wire name), else
    what the request says (the field's `source`), else null.

    So a field added to the declaration is in every new record at once; one that may not be null
    and has neither a source nor a value here is caught by the shape check (`shape.problems`),
    which the tests run on built records.
    """
    row = part.blank()
    for f in part.fields if body is not None else ():
        if f.source is None:
            continue
        value: Any = body
        for attr in f.source.split("."):
            value = getattr(value, attr)
        row[f.wire] = f.kind.to_wire(value) if f.kind.to_wire and value is not None else value
    row.update(made)
    return row


def build_record(
    body: OrderIn,
    *,
    owner: Principal | None,
    price: PriceInfo,
    number: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A new order from its request: the declared fields from the body, plus what the server makes."""
    now = at or utcnow()
    created = iso(now)
    record = _new(
        ORDER,
        body,
        {
            "id": new_id(),
            "orderNumber": number or draw_number(),
            "status": Status.REPORTED.value,
            "userId": owner.id if owner else None,
            "guestId": None if owner else f"guest-{new_id()}",
            "customerEmail": (owner.email or None) if owner else None,
            "createdAt": created,
            "updatedAt": created,
            "enteredStatusAt": created,
            "priority": "normal",
        },
    )
    payment = _new(PAYMENT, body, {"id": new_id(), "status": "REPORTED", "reportedAt": created})
    if payment["amountReported"] is None:
        payment["amountReported"] = payment["amountExpected"]
    record["items"] = [_new(ITEM, body, {"id": new_id()})]
    record["payments"] = [payment]
    note = "order created, payment reported"
    record["history"] = [
        history_entry(from_status=None, to_status=Status.REPORTED, actor=owner, note=note, at=now)
    ]
    apply_price(record, price)
    return record


def new_payment(
    body: PaymentIn, order: Mapping[str, Any], *, payment_id: str, at: datetime
) -> dict[str, Any]:
    """New payment evidence for an existing order (`POST /api/orders/{id}/payments`): the declared
    payment fields the order's POST takes from its `payment` object, taken from `body` here; the
    amount expected is the order's `totalBs`, as when it was placed."""
    row = PAYMENT.blank()
    for f in PAYMENT.fields:
        if f.source is not None and f.source.startswith("payment."):
            value = getattr(body, f.source.removeprefix("payment."))
            row[f.wire] = f.kind.to_wire(value) if f.kind.to_wire and value is not None else value
    row.update(id=payment_id, status="REPORTED", reportedAt=iso(at), amountExpected=order["totalBs"])
    if row["amountReported"] is None:
        row["amountReported"] = row["amountExpected"]
    return row


def apply_price(record: dict[str, Any], price: PriceInfo) -> None:
    """Put the catalog's verdict on a record built before the catalog could be asked."""
    record["priceCheck"] = price.check
    record["priceExpected"] = money(price.expected)
    for item in record["items"]:
        item["productName"] = price.product_name
        item["variantLabel"] = price.variant_label
        item["unitPrice"] = money(price.unit_price)


def entered_from_history(record: Mapping[str, Any]) -> str | None:
    """When an order entered its status, from its history: the newest entry *into* that status, else
    its creation time. Only for records written before `enteredStatusAt` was stored (`upgrade`, the
    migration's backfill); every other reader takes the stored field.

    Entries that leave the status unchanged (a renumbering at replay) are not an entry, or replaying
    a fallback order would make it look fresh.
    """
    status = record.get("status")
    history = record.get("history")
    latest: tuple[datetime, str] | None = None
    for entry in history if isinstance(history, list) else ():
        if not isinstance(entry, Mapping) or entry.get("toStatus") != status:
            continue
        if entry.get("fromStatus") == status:
            continue
        at = _instant(entry.get("at"))
        if at is not None and (latest is None or at > latest[0]):
            latest = (at, entry["at"])
    if latest is not None:
        return latest[1]
    created = record.get("createdAt")
    return created if _instant(created) is not None else None


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _nulls(part: Part, row: Any) -> None:
    if isinstance(row, dict):
        for f in part.fields:
            if f.nullable and f.group is None:
                row.setdefault(f.wire, None)


def upgrade(record: Any) -> Any:
    """A record written by an earlier version, completed in place with the fields it could not have:
    `enteredStatusAt` (from its history), and, in a whole order (one with its `items`), `priority`
    normal, `kind` move on each history entry (every order was normal and every entry a move before
    planning), and null for every nullable field it lacks — a field declared later is nullable (or
    gets its own line here), so a file written before it existed reads as "not given". Anything
    else, and complete records, are left as they are: the shape check (`shape.problems`) judges
    them afterwards."""
    if not isinstance(record, dict):
        return record
    if "enteredStatusAt" not in record:
        entered = entered_from_history(record)
        if entered is not None:
            record["enteredStatusAt"] = entered
    if isinstance(record.get("items"), list):
        _nulls(ORDER, record)
        record.setdefault("priority", "normal")
        for part in CHILDREN:
            rows = record.get(part.key or "")
            for row in rows if isinstance(rows, list) else ():
                _nulls(part, row)
                if part is HISTORY and isinstance(row, dict):
                    row.setdefault("kind", "move")
    return record
