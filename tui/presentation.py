"""What the board shows of an order, as pure functions of the order and the time.

No Textual and no I/O here, so the rules a workshop operator reads off a card (age, "stuck",
which column, what a filter matches) are testable on their own. What an order may move to
is *not* decided here: it comes from the server's `nextStatuses` on each order.

The board keeps an `OrderSummary` per order, not the API's JSON. Measured with 5,000 open
orders: the full dicts (history, items, payments) are ~100 garbage-collected objects per order,
and every refresh then triggered full collections of 100-230 ms that froze the keys; a summary
is one object of strings and tuples. The detail screen fetches the full order when opened.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "CLOSED_STATUSES",
    "OLD_AFTER",
    "OPEN_STATUSES",
    "STUCK_AFTER",
    "CardText",
    "OrderSummary",
    "advance_target",
    "age_text",
    "can_cancel",
    "card_text",
    "column_statuses",
    "group_by_status",
    "matches",
    "money_bs",
    "money_usd",
    "parse_time",
    "since_status",
    "status_label",
    "summarize",
]

Order = Mapping[str, Any]

# Board columns in pipeline order. REPORTED is the admin's payment check, so the workshop
# (TALLER) never sees it; PENDING orders carry no payment yet and are nobody's work here.
OPEN_STATUSES: tuple[str, ...] = ("REPORTED", "CONFIRMED", "IN_PRODUCTION", "READY", "HANDED_TO_DELIVERY")
CLOSED_STATUSES: tuple[str, ...] = ("COMPLETED", "CANCELLED")
_ADMIN_ONLY_COLUMNS = frozenset({"REPORTED"})

# The rule: an order older than two days is shown in a warning colour.
OLD_AFTER = timedelta(days=2)
# One threshold for every open status keeps the rule easy to state on the help screen:
# an order that has not moved for a day is somebody's forgotten work.
STUCK_AFTER = timedelta(days=1)


def column_statuses(role: str | None, *, show_closed: bool) -> tuple[str, ...]:
    """The statuses that get a column, in pipeline order, for a user of `role`."""
    statuses = [s for s in OPEN_STATUSES if role == "ADMIN" or s not in _ADMIN_ONLY_COLUMNS]
    if show_closed:
        statuses.extend(CLOSED_STATUSES)
    return tuple(statuses)


def status_label(status: str) -> str:
    """`IN_PRODUCTION` → `IN PRODUCTION`: column titles and messages read better with spaces."""
    return status.replace("_", " ")


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time from the API as an aware datetime, or None when absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # The API always sends an offset; a naive time would be a server bug, read it as UTC.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def age_text(delta: timedelta) -> str:
    """A short, coarse age: "now", "12 min", "3 h", "2 d" (a card has about 6 cells for it)."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def since_status(order: Order) -> datetime | None:
    """When the order entered its current status: the newest history event into it."""
    status = order.get("status")
    history = order.get("history")
    latest: datetime | None = None
    if isinstance(history, list):
        for event in history:
            if isinstance(event, Mapping) and event.get("toStatus") == status:
                at = parse_time(event.get("at"))
                if at is not None and (latest is None or at > latest):
                    latest = at
    return latest or parse_time(order.get("updatedAt")) or parse_time(order.get("createdAt"))


def money_usd(value: object) -> str:
    return f"${value:,.2f}" if isinstance(value, int | float) else "$?"


def money_bs(value: object) -> str:
    return f"Bs {value:,.2f}" if isinstance(value, int | float) else "Bs ?"


def _items_text(order: Order) -> str:
    items = order.get("items")
    if not isinstance(items, list) or not items:
        return "no items"
    first = items[0] if isinstance(items[0], Mapping) else {}
    name = first.get("productName") or first.get("variantId") or "item"
    text = f"{name} × {first.get('quantity', '?')}"
    if len(items) > 1:
        text += f" +{len(items) - 1} more"
    return text


def _place_text(order: Order) -> str:
    parts = [str(order[key]) for key in ("shippingCity", "shippingState") if order.get(key)]
    return ", ".join(parts) or "no address"


def _fold(text: str) -> str:
    """Case- and accent-insensitive form, so "maria" finds "María Pérez"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """The little of an order the board needs for its card, its filter and its keys."""

    id: str
    number: str
    status: str
    created_at: datetime | None
    entered_status_at: datetime | None
    place: str
    items: str
    total: float | None
    next_statuses: tuple[str, ...]
    search: str
    """Number, city, state and payers, folded (lower case, no accents) for the `/` filter."""
    updated_at: datetime | None = None
    """The server's `updatedAt`: where the next incremental refresh starts."""


def summarize(order: Order) -> OrderSummary:
    """The summary of one order as the API returns it (tolerant of missing or odd fields)."""
    payments = order.get("payments")
    payments = payments if isinstance(payments, list) else []
    payers = [p.get("payerName") for p in payments if isinstance(p, Mapping)]
    searchable = [order.get("orderNumber"), order.get("shippingCity"), order.get("shippingState"), *payers]
    offered = order.get("nextStatuses")
    total = order.get("total")
    return OrderSummary(
        id=str(order.get("id") or ""),
        number=str(order.get("orderNumber") or order.get("id") or "?"),
        status=str(order.get("status") or "?"),
        created_at=parse_time(order.get("createdAt")),
        entered_status_at=since_status(order),
        place=_place_text(order),
        items=_items_text(order),
        total=float(total) if isinstance(total, int | float) else None,
        next_statuses=tuple(s for s in offered if isinstance(s, str)) if isinstance(offered, list) else (),
        search="\n".join(_fold(v) for v in searchable if isinstance(v, str)),
        updated_at=parse_time(order.get("updatedAt")),
    )


@dataclass(frozen=True)
class CardText:
    """The four lines of a card, plus the flags that pick its colours."""

    number: str
    age: str
    place: str
    items: str
    total: str
    stuck_for: str | None
    old: bool

    @property
    def stuck(self) -> bool:
        return self.stuck_for is not None


def card_text(order: OrderSummary, now: datetime) -> CardText:
    created = order.created_at
    age = now - created if created else timedelta(0)
    stuck_for: str | None = None
    is_open = order.status in OPEN_STATUSES
    entered = order.entered_status_at
    if is_open and entered is not None and now - entered >= STUCK_AFTER:
        stuck_for = age_text(now - entered)
    return CardText(
        number=order.number,
        age=age_text(age) if created else "?",
        place=order.place,
        items=order.items,
        total=money_usd(order.total),
        stuck_for=stuck_for,
        # Age is a warning only while there is still work to do; a closed order is just old.
        old=created is not None and age > OLD_AFTER and is_open,
    )


def matches(order: OrderSummary, query: str) -> bool:
    """Does the `/` filter `query` match the order's number, city, state or a payer's name?"""
    needle = _fold(query.strip())
    return not needle or needle in order.search


def group_by_status(orders: Iterable[OrderSummary], statuses: Sequence[str]) -> dict[str, list[OrderSummary]]:
    """Orders per column status, keeping the server's order (newest first) inside each."""
    grouped: dict[str, list[OrderSummary]] = {status: [] for status in statuses}
    for order in orders:
        bucket = grouped.get(order.status)
        if bucket is not None:
            bucket.append(order)
    return grouped


def advance_target(order: OrderSummary) -> str | None:
    """Where `a` moves the order: the server's first offered move that is not a cancellation."""
    return next((s for s in order.next_statuses if s != "CANCELLED"), None)


def can_cancel(order: OrderSummary) -> bool:
    return "CANCELLED" in order.next_statuses
