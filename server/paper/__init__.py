"""Paper: job tickets and the courier's manifest, drawn from orders as staff see them.

Fed plain order dicts (what `GET /api/orders/{id}` answers staff), never the database, so what
is printed is what the API shows. Drawing a page is CPU work (tens of milliseconds a page): callers run
it off the event loop. reportlab (about 0.1 s to import) is loaded on the first ticket, not when
the server starts.

    tickets_pdf(orders, size="a6"|"80mm", zone=…, now=…) -> bytes    one page per order
    manifest_pdf(rows, day=…, courier=…, zone=…, now=…) -> bytes     to sign
    manifest_csv(rows, zone) -> bytes                                for spreadsheets
    handed_over(orders, start, end, courier) -> orders        the day's hand-overs
    manifest_rows(orders) -> list[ManifestRow]
    qr_payload(order, zone) -> str                                   the QR code's text
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from server.paper.manifest import ManifestRow, handed_over, manifest_csv, manifest_rows

__all__ = [
    "TICKET_SIZES",
    "ManifestRow",
    "handed_over",
    "manifest_csv",
    "manifest_pdf",
    "manifest_rows",
    "qr_payload",
    "tickets_pdf",
]

TICKET_SIZES = ("a6", "80mm")


def tickets_pdf(orders: Iterable[Mapping[str, Any]], *, size: str, zone: tzinfo, now: datetime) -> bytes:
    from server.paper.ticket import tickets_pdf as draw

    return draw(orders, size=size, zone=zone, now=now)


def manifest_pdf(
    rows: Sequence[ManifestRow], *, day: date, courier: str | None, zone: tzinfo, now: datetime
) -> bytes:
    from server.paper.manifest_sheet import manifest_pdf as draw

    return draw(rows, day=day, courier=courier, zone=zone, now=now)


def qr_payload(order: Mapping[str, Any], zone: tzinfo) -> str:
    from server.paper.payload import qr_payload as payload

    return payload(order, zone)
