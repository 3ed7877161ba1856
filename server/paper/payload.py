"""What the ticket's QR code says: one line of ASCII that starts with the order number.

Fields separated by `|`:

    KRFT-482031|RUSH|due 2026-12-09|2x Franela blanca (L / blanco)|1x Taza 11oz|+2 more

the order number first (always), `RUSH` when the order is a rush, `due` and the shop's local date
when it has one, then one field per item (`<quantity>x <product> (<variant>)`), cut with `+N more`
so the payload stays within `QR_MAX` characters (a QR of version 8 or less, whose modules stay
large enough for a workshop scanner at 30 mm). One line because a scanner in keyboard mode types
the payload followed by Enter: a line break inside would split one scan into two. ASCII because
such scanners type key presses, and most are set up to type ASCII only; the ticket's text carries
the exact spelling. A scan station reads the first field and ignores the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from server.paper.facts import due_date, item_lines, rush
from server.paper.text import ascii_fold, plain

__all__ = ["QR_MAX", "SEPARATOR", "qr_payload"]

QR_MAX = 150
SEPARATOR = "|"


def _field(text: str) -> str:
    return ascii_fold(plain(text)).replace(SEPARATOR, "/")


def qr_payload(order: Mapping[str, Any], zone: tzinfo) -> str:
    """The QR code's text for `order` (format above)."""
    fields = [_field(order["orderNumber"])]
    if rush(order):
        fields.append("RUSH")
    if (due := due_date(order, zone)) is not None:
        fields.append(f"due {due.isoformat()}")
    items = [
        _field(f"{quantity}x {product}" + (f" ({variant})" if variant else ""))
        for quantity, product, variant in item_lines(order)
    ]
    for shown in range(len(items), -1, -1):
        rest = len(items) - shown
        candidate = fields + items[:shown] + ([f"+{rest} more"] if rest else [])
        payload = SEPARATOR.join(candidate)
        if len(payload) <= QR_MAX:
            return payload
    # Only when the fixed fields alone are too long, which an order number never is.
    return SEPARATOR.join(fields)[:QR_MAX]
