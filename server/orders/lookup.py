"""Finding one order for a caller: by number (`KRFT-123456`, or as typed: `123456`) or id, in the
database, then the fallback files (the seam's `find`); someone else's order is "not found", never
"forbidden"."""

from __future__ import annotations

from typing import Any

from server.domain.audience import shown_to, visible_to
from server.domain.errors import NotFound
from server.domain.numbers import parse_number
from server.domain.principal import Principal
from server.domain.stuck import StuckRules
from server.storage.files import canonical_uuid
from server.storage.seam import OrderStorage

__all__ = ["get", "missing"]


def get(storage: OrderStorage, stuck: StuckRules, viewer: Principal, ident: str) -> dict[str, Any]:
    order_id = canonical_uuid(ident)
    number = parse_number(ident)
    if order_id is None and number is None:
        raise NotFound(f"No order {ident!r}: give an order number like KRFT-482031 or an order id.")
    # Said back as the number it was read as: "No order KRFT-246177", whoever typed `246177`.
    ident = number or ident
    found, answered = storage.find(lambda store: store.get(order_id=order_id, number=number))
    # Someone else's order is "not found", not "forbidden": its existence is not theirs to learn.
    if found is None:
        raise NotFound(missing(ident, answered))
    if not visible_to(found, viewer):
        raise NotFound(f"No order {ident}.")
    return shown_to(found, viewer, stuck)


def missing(ident: str, answered: bool) -> str:
    """Why an order was not found: with the database down, only the fallback could be asked."""
    if answered:
        return f"No order {ident}."
    # The seed's rule: 404 when the database failed and the fallback has no such order.
    return (
        f"No order {ident} in the fallback store, and the database is unavailable to look further; "
        "try again when it is back."
    )
