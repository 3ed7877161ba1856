"""An order as one self-contained record (the wire shape), and its rows in the database.

Creating an order builds this record first; the database path inserts it, the fallback path writes
it to a file, and the replay inserts the file's record later — one conversion, used by all three.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from server.auth import Principal
from server.lifecycle import Status
from server.models import Order, OrderEvent, OrderItem, PaymentSubmission, new_id, utcnow
from server.schemas import OrderIn
from server.serialize import iso, money

__all__ = ["PriceInfo", "apply_price", "build_record", "event", "insert_record", "new_order_number"]


def new_order_number() -> str:
    # Random, not sequential: the next customer's number must not be guessable from yours.
    return f"KRFT-{secrets.randbelow(1_000_000):06d}"


class PriceInfo:
    def __init__(
        self,
        check: str,
        *,
        expected: Decimal | None = None,
        product_name: str | None = None,
        unit_price: Decimal | None = None,
    ) -> None:
        self.check = check
        self.expected = expected
        self.product_name = product_name
        self.unit_price = unit_price


def event(
    *,
    from_status: str | None,
    to_status: str,
    actor: Principal | None,
    note: str | None,
    forced: bool = False,
    at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "fromStatus": from_status,
        "toStatus": to_status,
        "userId": actor.id if actor else None,
        "userEmail": actor.email if actor else None,
        "userRole": actor.role if actor else None,
        "at": iso(at or utcnow()),
        "note": note,
        "forced": forced,
    }


def build_record(
    body: OrderIn, *, owner: Principal | None, price: PriceInfo, number: str | None = None
) -> dict[str, Any]:
    now = utcnow()
    pay = body.payment
    return {
        "id": new_id(),
        "orderNumber": number or new_order_number(),
        "status": Status.REPORTED.value,
        "userId": owner.id if owner else None,
        "guestId": None if owner else f"guest-{new_id()}",
        "shippingAddress": body.shipping_address,
        "shippingCity": body.shipping_city,
        "shippingState": body.shipping_state,
        "shippingCost": money(body.shipping_cost),
        "subtotal": money(body.subtotal),
        "total": money(body.total),
        "totalBs": money(body.total_bs),
        "exchangeRate": money(body.exchange_rate),
        "priceCheck": price.check,
        "priceExpected": money(price.expected),
        "createdAt": iso(now),
        "updatedAt": iso(now),
        "storage": "database",
        "items": [
            {
                "id": new_id(),
                "variantId": body.variant_id,
                "productName": price.product_name,
                "quantity": body.quantity,
                "unitPrice": money(price.unit_price),
                "designUploadId": body.design_upload_id,
                "previewUrl": body.preview_url,
                "designViewsJson": body.design_views,
            }
        ],
        "payments": [
            {
                "id": new_id(),
                "method": pay.method,
                "amountReported": money(
                    pay.amount_reported if pay.amount_reported is not None else body.total_bs
                ),
                "amountExpected": money(body.total_bs),
                "reference": pay.reference,
                "originBank": pay.origin_bank,
                "payerName": pay.payer_name,
                "receiptUrl": pay.receipt_url,
                "status": "REPORTED",
                "reportedAt": iso(now),
                "reviewedAt": None,
                "reviewedBy": None,
            }
        ],
        "history": [
            event(
                from_status=None,
                to_status=Status.REPORTED,
                actor=owner,
                note="order created, payment reported",
                at=now,
            )
        ],
    }


def apply_price(record: dict[str, Any], price: PriceInfo) -> None:
    """Put the catalog's verdict on a record built before the catalog could be asked."""
    record["priceCheck"] = price.check
    record["priceExpected"] = money(price.expected)
    for item in record["items"]:
        item["productName"] = price.product_name
        item["unitPrice"] = money(price.unit_price)


def _dec(value: float | None) -> Decimal | None:
    # repr() of a float holding a 2-decimal amount gives back exactly that amount.
    return None if value is None else Decimal(repr(value))


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def insert_record(session: Session, record: dict[str, Any]) -> None:
    """Add the order, its items, payments and history to `session` (the caller commits)."""
    order = Order(
        id=record["id"],
        order_number=record["orderNumber"],
        user_id=record["userId"],
        guest_id=record["guestId"],
        status=record["status"],
        shipping_address=record["shippingAddress"],
        shipping_city=record["shippingCity"],
        shipping_state=record["shippingState"],
        shipping_cost=_dec(record["shippingCost"]),
        subtotal=_dec(record["subtotal"]),
        total=_dec(record["total"]),
        total_bs=_dec(record["totalBs"]),
        exchange_rate=_dec(record["exchangeRate"]),
        price_check=record["priceCheck"],
        price_expected=_dec(record["priceExpected"]),
        created_at=_dt(record["createdAt"]),
        updated_at=_dt(record["updatedAt"]),
    )
    order.items = [
        OrderItem(
            id=i["id"],
            variant_id=i["variantId"],
            product_name=i["productName"],
            quantity=i["quantity"],
            unit_price=_dec(i["unitPrice"]),
            design_upload_id=i["designUploadId"],
            preview_url=i["previewUrl"],
            design_views_json=i["designViewsJson"],
        )
        for i in record["items"]
    ]
    order.payments = [
        PaymentSubmission(
            id=p["id"],
            method=p["method"],
            amount_reported=_dec(p["amountReported"]),
            amount_expected=_dec(p["amountExpected"]),
            reference=p["reference"],
            origin_bank=p["originBank"],
            payer_name=p["payerName"],
            receipt_url=p["receiptUrl"],
            status=p["status"],
            reported_at=_dt(p["reportedAt"]),
            reviewed_at=_dt(p["reviewedAt"]),
            reviewed_by=p["reviewedBy"],
        )
        for p in record["payments"]
    ]
    order.events = [
        OrderEvent(
            id=e["id"],
            seq=n,
            from_status=e["fromStatus"],
            to_status=e["toStatus"],
            user_id=e["userId"],
            user_email=e["userEmail"],
            user_role=e["userRole"],
            at=_dt(e["at"]),
            note=e["note"],
            forced=bool(e["forced"]),
        )
        for n, e in enumerate(record["history"], start=1)
    ]
    session.add(order)
