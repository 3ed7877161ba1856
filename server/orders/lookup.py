"""Finding one order for a caller: by number (`KRFT-123456`, or as typed: `123456`) or id, in the
database, then the fallback files (the seam's `find`); someone else's order is "not found", never
"forbidden". An order found in neither while the database did not answer is not "not found": it
may well be in the database (`unfound`: a 503, issue 14). A guest opens the order its token was made
for (`X-Order-Token`), as its customer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.domain.audience import shown_to, visible_to
from server.domain.errors import ApiError, NotFound, Unavailable
from server.domain.numbers import parse_number
from server.domain.order_token import token_holder, token_matches
from server.domain.planning import Calendar
from server.domain.principal import Principal
from server.domain.stuck import StuckRules
from server.storage.files import canonical_uuid
from server.storage.seam import OrderStorage, Store

__all__ = ["Found", "find", "get", "holder", "unfound"]


@dataclass(frozen=True)
class Found:
    """An order as its store holds it, and who the caller is to it: `viewer` (the session's user, or
    the token's holder), or None when neither may see it."""

    record: dict[str, Any]
    viewer: Principal | None
    ident: str


def find(storage: OrderStorage, viewer: Principal | None, ident: str, token: str | None = None) -> Found:
    """The order `ident` names, or NotFound (also for a wrong token: its existence is not the caller's)."""
    order_id = canonical_uuid(ident)
    number = parse_number(ident)
    if order_id is None and number is None:
        raise NotFound(f"No order {ident!r}: give an order number like KRFT-482031 or an order id.")
    # Said back as the number it was read as: "No order KRFT-246177", whoever typed `246177`.
    ident = number or ident

    def look(store: Store) -> tuple[dict[str, Any], str | None] | None:
        record = store.get(order_id=order_id, number=number)
        if record is None:
            return None
        # The hash is read only for a request that brings a token: one lookup more, in the same store.
        return record, store.token_hash(record["id"]) if token is not None else None

    found, answered = storage.find(look)
    if found is None:
        raise unfound(ident, answered, elsewhere=answered and storage.recent_outage())
    record, stored = found
    if viewer is not None and visible_to(record, viewer):
        return Found(record, viewer, ident)
    if token_matches(token, stored):
        return Found(record, token_holder(record["id"]), ident)
    return Found(record, None, ident)


def get(
    storage: OrderStorage,
    stuck: StuckRules,
    viewer: Principal | None,
    ident: str,
    calendar: Calendar | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    found = find(storage, viewer, ident, token)
    # Someone else's order is "not found", not "forbidden": its existence is not theirs to learn.
    if found.viewer is None:
        raise NotFound(f"No order {found.ident}.")
    return shown_to(found.record, found.viewer, stuck, calendar=calendar)


def holder(storage: OrderStorage, ident: str, token: str) -> Principal:
    """Who `token` makes its bearer for the order `ident`: its customer (NotFound for a wrong token)."""
    found = find(storage, None, ident, token)
    if found.viewer is None:
        raise NotFound(f"No order {found.ident}.")
    return found.viewer


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
