"""The courier's manifest: the parcels handed over on one day, as rows and as a CSV (the PDF to sign
is `manifest_sheet.py`).

Which orders belong to the day is the caller's choice (the orders whose `delivery.handedAt` falls
in the shop's local day); this module lays out what it is given, in hand-over order.

The CSV is for spreadsheets: UTF-8 with a byte-order mark (so Excel reads the accents), and every
cell that a spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, a tab or a
carriage return) is prefixed with `'` — a customer's "name" of `=HYPERLINK(…)` stays text (OWASP's
CSV injection advice). A phone number `+58 …` is shown as `'+58 …` for the same reason.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from server.paper.facts import handed_at, pieces
from server.paper.text import plain

__all__ = ["CSV_COLUMNS", "ManifestRow", "handed_over", "manifest_csv", "manifest_rows"]

CSV_COLUMNS = (
    "Order",
    "Recipient",
    "Phone",
    "ID number",
    "City",
    "State",
    "Courier",
    "Tracking",
    "Items",
    "Handed at",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def handed_over(
    orders: Iterable[Mapping[str, Any]], start: datetime, end: datetime, courier: str | None = None
) -> list[Mapping[str, Any]]:
    """The orders handed over in [start, end), to `courier` when given (any case, spaces trimmed)."""
    wanted = plain(courier).casefold() if courier else ""
    chosen = []
    for order in orders:
        at = handed_at(order)
        if at is None or not start <= at < end:
            continue
        if wanted and plain((order.get("delivery") or {}).get("courier")).casefold() != wanted:
            continue
        chosen.append(order)
    return chosen


@dataclass(frozen=True)
class ManifestRow:
    number: str
    recipient: str
    phone: str
    id_number: str
    city: str
    state: str
    courier: str
    tracking: str
    pieces: int
    handed_at: datetime | None


def manifest_rows(orders: Iterable[Mapping[str, Any]]) -> list[ManifestRow]:
    """One row per order (as staff see them), in the order they were handed over."""
    rows = []
    for order in orders:
        delivery = order.get("delivery") or {}
        rows.append(
            ManifestRow(
                number=plain(order.get("orderNumber")),
                recipient=plain(order.get("recipientName")),
                phone=plain(order.get("recipientPhone")),
                id_number=plain(order.get("recipientIdNumber")),
                city=plain(order.get("shippingCity")),
                state=plain(order.get("shippingState")),
                courier=plain(delivery.get("courier")),
                tracking=plain(delivery.get("trackingNumber")),
                pieces=pieces(order),
                handed_at=handed_at(order),
            )
        )
    return sorted(rows, key=lambda r: (r.handed_at is None, r.handed_at or datetime.min, r.number))


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def manifest_csv(rows: Sequence[ManifestRow], zone: tzinfo) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        when = r.handed_at.astimezone(zone).isoformat(timespec="minutes") if r.handed_at else ""
        cells = (r.number, r.recipient, r.phone, r.id_number, r.city, r.state, r.courier, r.tracking)
        writer.writerow([*map(_cell, cells), str(r.pieces), when])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
