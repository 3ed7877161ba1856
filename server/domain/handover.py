"""Hand-over to a courier: what `PUT /api/orders` accepts with a move to HANDED_TO_DELIVERY.

`Courier` and `TrackingNumber` are the wire types (pydantic) of the two optional fields;
`check_handover` refuses them with any other move; `delivery_of` is the `delivery` object every answer
of the order carries (`null` until the order is handed over).

Both texts end up on staff terminals and in what customers are shown, so control and format characters
(ESC sequences, bidi overrides, zero-width marks) are refused with a 400 naming the field rather
than stored and stripped at every reader.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints, WithJsonSchema

from server.domain.errors import Invalid
from server.domain.lifecycle import Status
from server.domain.text import NOT_BLANK, printable_schema

__all__ = [
    "COURIER_MAX",
    "TRACKING_MAX",
    "Courier",
    "TrackingNumber",
    "check_handover",
    "delivery_of",
    "printable",
]

COURIER_MAX = 40
TRACKING_MAX = 64
HANDOVER = Status.HANDED_TO_DELIVERY


def printable(value: str) -> str:
    """Refuse control (Cc), format (Cf) and surrogate (Cs) characters anywhere in `value`."""
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs"):
            raise ValueError(f"must not contain control characters (found U+{ord(ch):04X})")
    return value


def _text(max_length: int) -> Any:
    return Annotated[
        str,
        StringConstraints(
            strict=True, strip_whitespace=True, min_length=1, max_length=max_length, pattern=NOT_BLANK
        ),
        AfterValidator(printable),
        WithJsonSchema(printable_schema(max_length)),
    ]


Courier = _text(COURIER_MAX)
TrackingNumber = _text(TRACKING_MAX)


def check_handover(target: Status, *, courier: str | None, tracking_number: str | None) -> None:
    """Courier and tracking number belong to the hand-over move only: with any other, a 400."""
    if target is HANDOVER:
        return
    fields = {}
    if courier is not None:
        fields["courier"] = f"only with a move to {HANDOVER}"
    if tracking_number is not None:
        fields["trackingNumber"] = f"only with a move to {HANDOVER}"
    if fields:
        first = next(iter(fields))
        raise Invalid(f"Invalid {first}: only with a move to {HANDOVER}, not to {target}.", fields=fields)


def delivery_of(
    courier: str | None, tracking_number: str | None, handed_at: datetime | str | None
) -> dict[str, Any] | None:
    """The `delivery` object of an order, or None before it is handed over."""
    if handed_at is None:
        return None
    at = handed_at.isoformat() if isinstance(handed_at, datetime) else handed_at
    return {"courier": courier, "trackingNumber": tracking_number, "handedAt": at}
