"""What paper reads from an order (as `GET /api/orders/{id}` answers staff), in one place.

Fields other issues add are read when present: `dueAt` and `priority` (planning), an item's
`variantLabel` (the variant's attributes when the order was placed), the recipient's details.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from server.paper.text import plain

__all__ = ["Note", "due_date", "handed_at", "item_lines", "pieces", "rush", "staff_notes"]

Order = Mapping[str, Any]


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def item_lines(order: Order) -> list[tuple[int, str, str]]:
    """(quantity, product, variant label) per item, as printable text."""
    lines = []
    for item in order.get("items") or ():
        product = plain(item.get("productName")) or plain(item.get("variantId"))
        lines.append((int(item.get("quantity") or 0), product, plain(item.get("variantLabel"))))
    return lines


def pieces(order: Order) -> int:
    """How many pieces the parcel holds: the items' quantities added up."""
    return sum(quantity for quantity, _, _ in item_lines(order))


def due_date(order: Order, zone: tzinfo) -> date | None:
    """The day the order is due, in the shop's time zone (`dueAt` an instant, or already a day)."""
    raw = order.get("dueAt")
    due = _time(raw)
    if due is not None:
        return due.astimezone(zone).date()
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        return None


def rush(order: Order) -> bool:
    return str(order.get("priority") or "").lower() == "rush"


def handed_at(order: Order) -> datetime | None:
    delivery = order.get("delivery")
    return _time(delivery.get("handedAt")) if isinstance(delivery, Mapping) else None


@dataclass(frozen=True)
class Note:
    at: datetime
    by: str
    text: str


def staff_notes(order: Order) -> list[Note]:
    """Notes staff wrote on the order's timeline, oldest first (the server's own notes, with no
    author, such as "order created", are not staff notes)."""
    notes = []
    for entry in order.get("history") or ():
        text, by, at = plain(entry.get("note")), plain(entry.get("userEmail")), _time(entry.get("at"))
        if text and by and at:
            notes.append(Note(at, by, text))
    return notes
