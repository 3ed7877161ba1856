"""What the board keeps of an order and how a card reads: pure functions of the order and the time.

The words (money, ages, item lines, the advance target) come from `krafta_cli.view`, shared with
the CLI; this module adds what only a board has: the compact `OrderSummary`, the card's lines,
the `/` filter's fold, and which columns to show. No Textual and no I/O. What an order may move to
is *not* decided here: it comes from the server's `nextStatuses` on each order; whether it is stuck
is the board model's reading of the server's published rules (`tui.board_model`).

The board keeps an `OrderSummary` per order, not the API's JSON. Measured with 5,000 open
orders: the full dicts (history, items, payments) are ~100 garbage-collected objects per order,
and every refresh then triggered full collections of 100-230 ms that froze the keys; a summary
is one object of strings and tuples. The detail screen fetches the full order when opened.

Every string in a summary has been through `view.sanitize` (via `view.text`/`view.place`/…):
what the board paints from a summary is safe for the terminal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from krafta_cli import view
from krafta_cli.client import CLOSED_STATUSES, OPEN_STATUSES
from krafta_cli.workflows import advance_target, can_cancel

__all__ = [
    "OLD_AFTER",
    "CardText",
    "OrderSummary",
    "actionable_statuses",
    "card_text",
    "column_statuses",
    "fold",
    "group_by_status",
    "matches",
    "more_text",
    "summarize",
]

Order = Mapping[str, Any]

# The rule: an order older than two days is shown in a warning colour.
OLD_AFTER = timedelta(days=2)


def actionable_statuses(orders: Iterable[OrderSummary]) -> dict[str, bool]:
    """Per status seen in `orders`: does the server offer this user a move on any order there?"""
    verdict: dict[str, bool] = {}
    for order in orders:
        verdict[order.status] = verdict.get(order.status, False) or bool(order.next_statuses)
    return verdict


def column_statuses(
    actionable: Mapping[str, bool],
    *,
    show_closed: bool,
    moves: Mapping[str, Sequence[str]] | None = None,
) -> tuple[str, ...]:
    """The statuses that get a column, in pipeline order.

    The pipeline's first statuses are left out while the user has no move there: that work has not
    reached them yet (for a TALLER, REPORTED — the admin's payment check). The server decides, not
    a role rule kept here: `moves` is what it publishes for the user's role (`GET /api/auth/me`),
    so the columns are the same with or without orders in them and never appear or vanish under
    the cursor. From a server that publishes none, the orders' own `nextStatuses` (`actionable`)
    decide. From the first status with a move (or never seen) on, every open status gets a column,
    so an odd order further down the pipeline is never hidden.
    """
    open_statuses = [s.value for s in OPEN_STATUSES]
    if moves is not None:
        first = next((i for i, s in enumerate(open_statuses) if moves.get(s)), 0)
    else:
        first = next((i for i, s in enumerate(open_statuses) if actionable.get(s) is not False), 0)
    del open_statuses[:first]
    if show_closed:
        open_statuses.extend(s.value for s in CLOSED_STATUSES)
    return tuple(open_statuses)


def fold(text: str) -> str:
    """Case- and accent-insensitive form, so "maria" finds "María Pérez": the server's search fold
    (server/domain/search.py), which the board cannot import; tests/search_cases.py holds the
    cases both must pass. The last casefold makes it idempotent (NFKD turns "№" into "No")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """The little of an order the board needs for its card, its filter and its keys."""

    id: str
    number: str
    status: str
    created_at: datetime | None
    entered_status_at: datetime | None
    """The server's `enteredStatusAt`: the one input of the stuck rule."""
    place: str
    item: str
    """The first item's product name (its variant id when the server sent no name)."""
    variant: str
    """The first item's variant as the order kept it (`L · blanco`), "" when the server sent none."""
    quantity: str
    more: int
    """How many items the order has past the first."""
    total: float | None
    next_statuses: tuple[str, ...]
    search: str
    """Number, city, state and payers, folded (lower case, no accents) for the `/` filter."""
    updated_at: datetime | None = None
    """The server's `updatedAt`: where the next incremental refresh starts."""
    rush: bool = False
    due: date | None = None
    """The server's `dueAt`: the day promised to the customer."""
    late: bool = False
    """The server's `late`: the promised day passed with the order still in the workshop."""
    hold: str | None = None
    """Why the order is held (the hold's reason); None when it is not. A held order is never stuck."""
    same_reference: tuple[str, ...] = ()
    """The other orders a REPORTED payment of this one shares its reference with (the server's
    `sameReference`, staff views): confirming it then needs force and a note."""

    @property
    def advance_target(self) -> str | None:
        return advance_target(self.next_statuses)

    @property
    def can_cancel(self) -> bool:
        return can_cancel(self.next_statuses)


def summarize(order: Order) -> OrderSummary:
    """The summary of one order as the API returns it (tolerant of missing or odd fields)."""
    payments = order.get("payments")
    payments = payments if isinstance(payments, list) else []
    payers = [p.get("payerName") for p in payments if isinstance(p, Mapping)]
    searchable = [order.get("orderNumber"), order.get("shippingCity"), order.get("shippingState"), *payers]
    total = order.get("total")
    lines = [line for line in view.item_lines(order) if line is not None]
    first = lines[0] if lines else None
    return OrderSummary(
        id=str(order.get("id") or ""),
        number=view.text(order.get("orderNumber") or order.get("id") or "?"),
        status=view.text(order.get("status") or "?"),
        created_at=view.parse_time(order.get("createdAt")),
        entered_status_at=view.parse_time(order.get("enteredStatusAt")),
        place=view.place(order),
        # The card is narrow: the product's name and its variant's attributes, no variant ids.
        item=(first.product if first.product != view.NONE else first.variant) if first else "no items",
        variant=(first.variant_label or "") if first else "",
        quantity=f"× {first.quantity}" if first else "",
        more=max(0, len(lines) - 1),
        total=float(total) if isinstance(total, int | float) and not isinstance(total, bool) else None,
        next_statuses=view.next_statuses(order),
        search="\n".join(fold(v) for v in searchable if isinstance(v, str)),
        updated_at=view.parse_time(order.get("updatedAt")),
        rush=view.is_rush(order),
        due=view.parse_day(order.get("dueAt")),
        late=order.get("late") is True,
        hold=_hold_reason(order.get("hold")),
        same_reference=_same_reference(payments),
    )


def _same_reference(payments: list[Any]) -> tuple[str, ...]:
    numbers: set[str] = set()
    for payment in payments:
        same = payment.get("sameReference") if isinstance(payment, Mapping) else None
        if _payment_status(payment) == "REPORTED" and isinstance(same, list):
            numbers.update(view.text(n) for n in same if isinstance(n, str))
    return tuple(sorted(numbers))


def _payment_status(payment: object) -> str:
    return view.text(payment.get("status")) if isinstance(payment, Mapping) else ""


def _hold_reason(hold: object) -> str | None:
    if not isinstance(hold, Mapping):
        return None
    return view.text(hold.get("reason") or "HELD")


def more_text(more: int) -> str:
    return f"+{more} more"


@dataclass(frozen=True)
class CardText:
    """The four lines of a card, plus the flags that pick its colours.

    The item line comes in parts because a narrow card cuts it from the name, never the quantity:
    `item` (the product) gives way first, then `variant`; `quantity` and `more` stay whole.
    """

    number: str
    age: str
    place: str
    item: str
    variant: str
    quantity: str
    more: int
    total: str
    stuck_for: str | None
    old: bool
    # The plan (issue 15): a RUSH badge, the due day (`today`, `tomorrow`, `late 2 d`; "" without
    # one), and the hold's reason ("" when not held).
    rush: bool = False
    due: str = ""
    late: bool = False
    hold: str = ""
    # The payment desk (issue 16): "ref = KRFT-193844" (+N more) when the payment's reference is reused.
    same_reference: str = ""

    @property
    def stuck(self) -> bool:
        return self.stuck_for is not None

    @property
    def name(self) -> str:
        """`Franela blanca · L · blanco`: what the item line may cut."""
        return f"{self.item} · {self.variant}" if self.variant else self.item

    @property
    def count(self) -> str:
        """`× 3 +1 more`: what the item line keeps whole."""
        return " ".join(part for part in (self.quantity, more_text(self.more) if self.more else "") if part)

    @property
    def items(self) -> str:
        """`Franela blanca · L · blanco × 3 +1 more`: the item line with nothing cut."""
        return " ".join(part for part in (self.name, self.count) if part)


def card_text(order: OrderSummary, now: datetime, *, stuck: bool = False) -> CardText:
    """The card of `order` at `now`; `stuck` is the board model's verdict (`BoardView.stuck`)."""
    created = order.created_at
    age = now - created if created else timedelta(0)
    is_open = order.status in OPEN_STATUSES
    stuck_for = view.stuck_text(stuck, order.entered_status_at, now)
    return CardText(
        number=order.number,
        age=view.age(age) if created else view.NONE,
        place=order.place,
        item=order.item,
        variant=order.variant,
        quantity=order.quantity,
        more=order.more,
        total=view.usd(order.total),
        stuck_for=stuck_for,
        # Age is a warning only while there is still work to do; a closed order is just old.
        old=created is not None and age > OLD_AFTER and is_open,
        rush=order.rush,
        due=view.due_words(order.due, order.late, now.astimezone().date()) or "",
        late=order.late,
        hold=order.hold or "",
        same_reference=_reused_words(order.same_reference),
    )


def _reused_words(numbers: tuple[str, ...]) -> str:
    if not numbers:
        return ""
    more = f" +{len(numbers) - 1}" if len(numbers) > 1 else ""
    return f"ref = {numbers[0]}{more}"


def matches(order: OrderSummary, query: str) -> bool:
    """Does the `/` filter `query` match the order's number, city, state or a payer's name?"""
    needle = fold(query.strip())
    return not needle or needle in order.search


def group_by_status(orders: Iterable[OrderSummary], statuses: Sequence[str]) -> dict[str, list[OrderSummary]]:
    """Orders per column status, keeping the server's order (newest first) inside each."""
    grouped: dict[str, list[OrderSummary]] = {status: [] for status in statuses}
    for order in orders:
        bucket = grouped.get(order.status)
        if bucket is not None:
            bucket.append(order)
    return grouped
