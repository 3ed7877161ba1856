"""Database rows → the wire shape of an order (docs/API.md), built from Core rows in batches.

The list endpoint serialises up to every order in the shop, so this works on plain row mappings
fetched a page at a time (one query per table per page), never on per-row ORM objects.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.lifecycle import next_statuses
from server.models import Order, OrderEvent, OrderItem, PaymentSubmission

__all__ = ["decode_cursor", "dump", "encode_cursor", "iso", "money", "orders_by_ids", "with_next"]

orders_t = Order.__table__
items_t = OrderItem.__table__
payments_t = PaymentSubmission.__table__
events_t = OrderEvent.__table__


def money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def with_next(order: dict[str, Any], role: str | None) -> dict[str, Any]:
    """The order as this caller sees it: `nextStatuses` says what they may do with it now."""
    return {**order, "nextStatuses": [str(s) for s in next_statuses(order["status"], role)]}


def _order(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "orderNumber": row["order_number"],
        "status": row["status"],
        "userId": row["user_id"],
        "guestId": row["guest_id"],
        "shippingAddress": row["shipping_address"],
        "shippingCity": row["shipping_city"],
        "shippingState": row["shipping_state"],
        "shippingCost": money(row["shipping_cost"]),
        "subtotal": money(row["subtotal"]),
        "total": money(row["total"]),
        "totalBs": money(row["total_bs"]),
        "exchangeRate": money(row["exchange_rate"]),
        "priceCheck": row["price_check"],
        "priceExpected": money(row["price_expected"]),
        "createdAt": iso(row["created_at"]),
        "updatedAt": iso(row["updated_at"]),
        "storage": "database",
        "items": [],
        "payments": [],
        "history": [],
    }


def _item(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "variantId": row["variant_id"],
        "productName": row["product_name"],
        "quantity": row["quantity"],
        "unitPrice": money(row["unit_price"]),
        "designUploadId": row["design_upload_id"],
        "previewUrl": row["preview_url"],
        "designViewsJson": row["design_views_json"],
    }


def _payment(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "method": row["method"],
        "amountReported": money(row["amount_reported"]),
        "amountExpected": money(row["amount_expected"]),
        "reference": row["reference"],
        "originBank": row["origin_bank"],
        "payerName": row["payer_name"],
        "receiptUrl": row["receipt_url"],
        "status": row["status"],
        "reportedAt": iso(row["reported_at"]),
        "reviewedAt": iso(row["reviewed_at"]),
        "reviewedBy": row["reviewed_by"],
    }


def _event(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "fromStatus": row["from_status"],
        "toStatus": row["to_status"],
        "userId": row["user_id"],
        "userEmail": row["user_email"],
        "userRole": row["user_role"],
        "at": iso(row["at"]),
        "note": row["note"],
        "forced": bool(row["forced"]),
    }


def orders_by_ids(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Full orders (items, payments, history) for already-fetched order rows, in their order."""
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    children: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in session.execute(
        select(items_t).where(items_t.c.order_id.in_(ids)).order_by(items_t.c.id)
    ).mappings():
        children[r["order_id"]]["items"].append(_item(r))
    query = select(payments_t).where(payments_t.c.order_id.in_(ids)).order_by(payments_t.c.reported_at)
    for r in session.execute(query).mappings():
        children[r["order_id"]]["payments"].append(_payment(r))
    query = select(events_t).where(events_t.c.order_id.in_(ids)).order_by(events_t.c.order_id, events_t.c.seq)
    for r in session.execute(query).mappings():
        children[r["order_id"]]["history"].append(_event(r))
    out = []
    for r in rows:
        order = _order(r)
        order.update(children.get(r["id"], {}))
        out.append(order)
    return out


def encode_cursor(created_at: str, order_id: str) -> str:
    return base64.urlsafe_b64encode(dump([created_at, order_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str] | None:
    """The (createdAt, id) a cursor stands for; None for anything this server did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, order_id = json.loads(raw)
        created = datetime.fromisoformat(created_at)
        if created.tzinfo is None:
            return None
        return created.astimezone(UTC), str(uuid.UUID(order_id))
    except (ValueError, TypeError, OverflowError, AttributeError):
        return None
