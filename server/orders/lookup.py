"""Finding one order for a caller: by number (`KRFT-123456`, or as typed: `123456`) or id, in the
database, then the fallback files (the seam's `find`); someone else's order is "not found", never
"forbidden". An order found in neither while the database did not answer is not "not found": it
may well be in the database (`unfound`: a 503, issue 14)."""

from __future__ import annotations

from typing import Any

from server.domain.audience import shown_to, visible_to
from server.domain.errors import ApiError, NotFound, Unavailable
from server.domain.numbers import parse_number
from server.domain.planning import Calendar
from server.domain.principal import Principal
from server.domain.stuck import StuckRules
from server.storage.files import canonical_uuid
from server.storage.seam import OrderStorage

__all__ = ["get", "unfound"]


def get(
    storage: OrderStorage, stuck: StuckRules, viewer: Principal, ident: str, calendar: Calendar | None = None
) -> dict[str, Any]:
    order_id = canonical_uuid(ident)
    number = parse_number(ident)
    if order_id is None and number is None:
        raise NotFound(f"No order {ident!r}: give an order number like KRFT-482031 or an order id.")
    # Said back as the number it was read as: "No order KRFT-246177", whoever typed `246177`.
    ident = number or ident
    found, answered = storage.find(lambda store: store.get(order_id=order_id, number=number))
    # Someone else's order is "not found", not "forbidden": its existence is not theirs to learn.
    if found is None:
        raise unfound(ident, answered, elsewhere=answered and storage.recent_outage())
    if not visible_to(found, viewer):
        raise NotFound(f"No order {ident}.")
    return shown_to(found, viewer, stuck, calendar=calendar)


def unfound(ident: str, answered: bool, *, elsewhere: bool = False) -> ApiError:
    """The error for an order found nowhere the server could look.

    With the database answering, a 404 — unless `elsewhere`: the database was unavailable a moment
    ago, so the order may still wait in another server's fallback (its replay has not run yet), and
    a 503 says so (a 404 there told staff a real order did not exist). Without the database only
    the fallback could be asked, so the order may well exist: a 503 saying so (the seed's 404 here
    made `krafta orders show` say "no order" about an order that was only out of reach, and a client
    could not tell the two apart).
    """
    if answered and elsewhere:
        return Unavailable(
            f"No order {ident} in the database yet: it was unavailable a moment ago, and the order may "
            "still be waiting in another server's fallback; try again shortly."
        )
    if answered:
        return NotFound(f"No order {ident}.")
    return Unavailable(
        f"No order {ident} in the fallback store, and the database is unavailable to look further; "
        "try again when it is back."
    )
