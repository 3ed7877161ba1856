"""The order's shape, declared once: every field with its wire name, column, kind and audience.

Every direction reads these tables — request → record (`domain/records.py`), record → rows and
rows → wire (`storage/database.py`, `storage/order_json.py`), record ↔ fallback file
(`storage/files.py`, checked with `problems`), what customers are shown (`domain/audience.py`).

Adding a field to an order is one `Field(...)` line here plus its column: in `storage/models.py` and
in a migration. The record builder, the rows, the JSON the database builds, the fallback check and
the OpenAPI order schemas all follow from the line; the declaration tests
(`test_order_declaration.py`) name a column the models or the migrations lack. A field the client
sends also needs its `OrderIn` attribute (`domain/schemas.py`: the request's own rules), which the
same tests hold to `source`.

A *record* is an order in its wire shape (camelCase keys, money as numbers, times as ISO strings):
what a fallback file holds and what the API returns, before it is trimmed for its audience.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from server.domain.lifecycle import Status

__all__ = [
    "CHILDREN",
    "HISTORY",
    "HISTORY_KINDS",
    "HOLD_REASONS",
    "ITEM",
    "ORDER",
    "PAYMENT",
    "PAYMENT_STATUSES",
    "PRIORITIES",
    "Field",
    "Part",
    "iso",
    "money",
    "new_id",
    "problems",
    "utcnow",
]

PAYMENT_STATUSES = frozenset({"REPORTED", "CONFIRMED", "REJECTED"})
# Planning (`server/domain/planning.py`): an order's priority, why it is held, what a history entry records.
PRIORITIES = frozenset({"normal", "rush"})
HOLD_REASONS = frozenset({"MATERIAL", "ARTWORK", "ADDRESS", "PAYMENT", "OTHER"})
HISTORY_KINDS = frozenset({"move", "note", "due", "priority", "hold", "release"})


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


def money(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def iso(value: datetime | None) -> str | None:
    # Always with microseconds, so the same instant reads the same from Python and from the database.
    return None if value is None else value.isoformat(timespec="microseconds")


def _to_decimal(value: Any) -> Decimal | None:
    # repr() of a float holding a 2-decimal amount gives back exactly that amount.
    if value is None:
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _to_datetime(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _to_date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _is_date(v: Any) -> bool:
    if not isinstance(v, str) or len(v) != 10:
        return False
    try:
        date.fromisoformat(v)
    except ValueError:
        return False
    return True


def _is_time(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    try:
        return datetime.fromisoformat(v).tzinfo is not None
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Kind:
    """How a field's value travels: record value → column value, column value → record value."""

    name: str
    to_column: Callable[[Any], Any] | None
    to_wire: Callable[[Any], Any] | None
    valid: Callable[[Any], bool]


TEXT = Kind("text", None, None, lambda v: isinstance(v, str))
INT = Kind("int", None, None, lambda v: isinstance(v, int) and not isinstance(v, bool))
BOOL = Kind("bool", None, bool, lambda v: isinstance(v, bool))
MONEY = Kind("money", _to_decimal, money, _is_number)
TIME = Kind("time", _to_datetime, iso, _is_time)
# A calendar day (`2026-12-10`): the day a customer was promised, the day a hold ends.
DATE = Kind("date", _to_date, date.isoformat, _is_date)
JSON = Kind("json", None, None, lambda v: isinstance(v, list | dict))


@dataclass(frozen=True, slots=True)
class Field:
    """One field of an order part.

    `source` names the attribute of the request (`OrderIn`, dotted into `payment`) that fills the
    field when an order is created; fields without one are made by the server. `staff_only` fields
    (the order's own and its children's) are left out of what customers are shown. `group` nests
    the field in an object on the wire (`delivery: {courier, …}`), `null` when every field of the
    group is. `searched` fields are what a list's `q` looks in (`server.domain.search`).
    """

    wire: str
    column: str
    kind: Kind = TEXT
    nullable: bool = False
    source: str | None = None
    staff_only: bool = False
    group: str | None = None
    choices: frozenset[str] | None = None
    searched: bool = False


@dataclass(frozen=True)
class Part:
    """A table of the order: the order row itself, or a list of child rows under `key` on the wire."""

    key: str | None  # None for the order itself; "items", "payments", "history" for children
    table: str
    fields: tuple[Field, ...]

    def blank(self) -> dict[str, Any]:
        """Every wire key of the part (a group by its name), each null: where a new row starts."""
        return {f.group or f.wire: None for f in self.fields}

    def to_row(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Record (wire) values → column values for an INSERT."""
        row = {}
        for f in self.fields:
            value = (record.get(f.group) or {}).get(f.wire) if f.group else record.get(f.wire)
            row[f.column] = f.kind.to_column(value) if f.kind.to_column and value is not None else value
        return row

    def from_row(self, row: Mapping[Any, Any]) -> dict[str, Any]:
        """Column values (a Core row mapping) → record (wire) values."""
        out: dict[str, Any] = {}
        groups: dict[str, dict[str, Any]] = {}
        for f in self.fields:
            value = row[f.column]
            if value is not None and f.kind.to_wire is not None:
                value = f.kind.to_wire(value)
            if f.group:
                groups.setdefault(f.group, {})[f.wire] = value
            else:
                out[f.wire] = value
        for name, values in groups.items():
            out[name] = values if any(v is not None for v in values.values()) else None
        return out

    def problems(self, value: Any, where: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{where} is not an object"]
        found = []
        for f in self.fields:
            holder = value.get(f.group) if f.group else value
            if f.group and holder is None:
                continue
            if not isinstance(holder, dict) or f.wire not in holder:
                found.append(f"{where}.{f.wire} is missing")
                continue
            v = holder[f.wire]
            if v is None:
                if not f.nullable:
                    found.append(f"{where}.{f.wire} is null")
            elif not f.kind.valid(v):
                found.append(f"{where}.{f.wire} is not {f.kind.name}")
            elif f.choices is not None and v not in f.choices:
                found.append(f"{where}.{f.wire} is not one of the known values")
        return found


_STATUSES = frozenset(s.value for s in Status)

ORDER = Part(
    None,
    "orders",
    (
        Field("id", "id"),
        Field("orderNumber", "order_number", searched=True),
        Field("status", "status", choices=_STATUSES),
        Field("userId", "user_id", nullable=True),
        Field("guestId", "guest_id", nullable=True),
        # The account's e-mail when the order was placed (null for a guest), kept on the order like
        # an item's variant: staff read who the customer is without a look-up, in the fallback too.
        Field("customerEmail", "customer_email", nullable=True, staff_only=True),
        Field("shippingAddress", "shipping_address", source="shipping_address"),
        Field("shippingCity", "shipping_city", source="shipping_city", searched=True),
        Field("shippingState", "shipping_state", source="shipping_state", searched=True),
        Field("shippingCost", "shipping_cost", MONEY, source="shipping_cost"),
        Field("subtotal", "subtotal", MONEY, source="subtotal"),
        Field("total", "total", MONEY, source="total"),
        Field("totalBs", "total_bs", MONEY, source="total_bs"),
        Field("exchangeRate", "exchange_rate", MONEY, source="exchange_rate"),
        Field("priceCheck", "price_check"),
        Field("priceExpected", "price_expected", MONEY, nullable=True),
        Field("createdAt", "created_at", TIME),
        Field("updatedAt", "updated_at", TIME),
        # When the order entered its status: set at create and by every move, the one input of the
        # stuck rule (`server.domain.stuck`). Files of earlier versions lack it (`records.upgrade`).
        Field("enteredStatusAt", "entered_status_at", TIME),
        # Set by the move to HANDED_TO_DELIVERY (`handover.delivery_of`); `delivery: null` before.
        # Who receives the parcel (`recipient.py`): optional when the order is placed.
        Field("recipientName", "recipient_name", nullable=True, source="recipient_name"),
        Field("recipientPhone", "recipient_phone", nullable=True, source="recipient_phone"),
        Field("recipientIdNumber", "recipient_id_number", nullable=True, source="recipient_id_number"),
        Field("courier", "delivery_courier", nullable=True, group="delivery"),
        Field("trackingNumber", "delivery_tracking_number", nullable=True, group="delivery"),
        Field("handedAt", "delivery_handed_at", TIME, nullable=True, group="delivery"),
        # Planning (`planning.py`): the day promised (set at CONFIRMED unless staff set one), rush or
        # normal, and a hold — the order keeps its status and place; customers see only its reason.
        Field("dueAt", "due_at", DATE, nullable=True),
        Field("priority", "priority", choices=PRIORITIES),
        Field("reason", "hold_reason", nullable=True, group="hold", choices=HOLD_REASONS),
        Field("note", "hold_note", nullable=True, group="hold", staff_only=True),
        Field("until", "hold_until", DATE, nullable=True, group="hold", staff_only=True),
        Field("at", "hold_at", TIME, nullable=True, group="hold", staff_only=True),
        Field("by", "hold_by", nullable=True, group="hold", staff_only=True),
    ),
)

ITEM = Part(
    "items",
    "order_items",
    (
        Field("id", "id"),
        Field("variantId", "variant_id", source="variant_id"),
        Field("productName", "product_name", nullable=True),
        # The variant's attributes when the order was placed (`records.variant_label`, "L · blanco"),
        # kept like the product's name: a later catalog change does not rewrite what was ordered.
        Field("variantLabel", "variant_label", nullable=True),
        Field("quantity", "quantity", INT, source="quantity"),
        Field("unitPrice", "unit_price", MONEY, nullable=True),
        Field("designUploadId", "design_upload_id", nullable=True, source="design_upload_id"),
        Field("previewUrl", "preview_url", nullable=True, source="preview_url"),
        Field("designViewsJson", "design_views_json", JSON, nullable=True, source="design_views"),
    ),
)

PAYMENT = Part(
    "payments",
    "payment_submissions",
    (
        Field("id", "id"),
        Field("method", "method", source="payment.method"),
        Field("amountReported", "amount_reported", MONEY, source="payment.amount_reported"),
        Field("amountExpected", "amount_expected", MONEY, source="total_bs"),
        Field("reference", "reference", source="payment.reference"),
        Field("originBank", "origin_bank", source="payment.origin_bank"),
        Field("payerName", "payer_name", source="payment.payer_name", searched=True),
        Field("receiptUrl", "receipt_url", nullable=True, source="payment.receipt_url"),
        Field("status", "status", choices=PAYMENT_STATUSES),
        Field("reportedAt", "reported_at", TIME),
        Field("reviewedAt", "reviewed_at", TIME, nullable=True),
        Field("reviewedBy", "reviewed_by", nullable=True, staff_only=True),
        # Why an ADMIN rejected this payment (the note of REPORTED → PENDING): the customer sees it.
        Field("rejectReason", "reject_reason", nullable=True),
    ),
)

HISTORY = Part(
    "history",
    "order_events",
    (
        Field("id", "id", staff_only=True),
        Field("fromStatus", "from_status", nullable=True, choices=_STATUSES),
        Field("toStatus", "to_status", choices=_STATUSES),
        Field("userId", "user_id", nullable=True, staff_only=True),
        Field("userEmail", "user_email", nullable=True, staff_only=True),
        Field("userRole", "user_role", nullable=True, staff_only=True),
        Field("at", "at", TIME),
        Field("note", "note", nullable=True, staff_only=True),
        Field("forced", "forced", BOOL, staff_only=True),
        # What the entry records: a status change (`move`, every entry before planning) or a planning
        # change (`planning.py`); customers are shown `move` entries only.
        Field("kind", "kind", choices=HISTORY_KINDS),
    ),
)

CHILDREN: tuple[Part, ...] = (ITEM, PAYMENT, HISTORY)


def problems(record: Any, *, expected_id: str | None = None) -> list[str]:
    """What makes `record` not an order (empty when it is one): the check for fallback files."""
    if not isinstance(record, dict):
        return ["not a JSON object"]
    found = ORDER.problems(record, "order")
    if not found:
        try:
            canonical = str(uuid.UUID(record["id"]))
        except (ValueError, AttributeError, TypeError):
            canonical = None
        if canonical != record["id"] or (expected_id is not None and canonical != expected_id):
            found.append("order.id is not this file's uuid")
    for part in CHILDREN:
        rows = record.get(part.key or "")
        if not isinstance(rows, list):
            found.append(f"order.{part.key} is not a list")
            continue
        for n, row in enumerate(rows):
            found += part.problems(row, f"{part.key}[{n}]")
    if not found and not record["items"]:
        found.append("order.items is empty")
    return found
