"""What people read about an order: the one set of rules shared by the `krafta` CLI and the board.

Pure functions of an order (the API's dict) and "now": no I/O, no rich, no Textual, so both
clients print the same money, the same ages, the same price and payment checks and the same
item lines, and `tests/unit/test_view.py` pins them in tables. Layout (tables, panels, cards,
colours) stays with each client; the words come from here.

`sanitize` is the one gate for server text on its way to a terminal: every string the server
sent — a city, a payer's name, an error message — passes through it (or through a function
here that calls it) before the CLI prints it or the board paints it. An order whose
`shippingCity` holds `ESC ] 52 ; c ; …` (write the clipboard) or `ESC [2J` (clear the screen)
must reach the operator as visible junk, never as a command to their terminal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from krafta_cli.client import Status

__all__ = [
    "FORMAT_CHARACTERS",
    "NONE",
    "PAYMENT_TOLERANCE",
    "Check",
    "HistoryLine",
    "ItemLine",
    "age",
    "age_since",
    "amount",
    "bs",
    "delivery_line",
    "due_text",
    "due_words",
    "event_line",
    "history_lines",
    "hold_text",
    "is_rush",
    "item_lines",
    "items_summary",
    "moved_line",
    "next_statuses",
    "parse_day",
    "parse_time",
    "payment_check",
    "place",
    "price_check",
    "reason",
    "sanitize",
    "status_label",
    "stuck_text",
    "text",
    "usd",
    "when",
]

Order = Mapping[str, Any]

NONE = "—"
"""What a missing value reads as, everywhere."""

# The server's rule for "these two Bs amounts agree" (server/domain/schemas.py, `check_totals`: totalBs
# against total × exchangeRate): within 0.5 % plus half a cent. A reported payment is held to the
# same rule; one tolerance for the whole product.
PAYMENT_TOLERANCE = Decimal("0.005")

# --------------------------------------------------------------------------- sanitising

# Everything a terminal may read as a command or a line break: C0 (with TAB, LF, CR), DEL, C1
# (0x80-0x9f: 0x9b is a one-byte CSI, 0x9d a one-byte OSC), the Unicode line and paragraph
# separators, and lone surrogates (not text at all; they cannot even be encoded to UTF-8).
# And every format character (Unicode's Cf, listed as of Unicode 15: the table below is checked
# against unicodedata by tests/unit/test_view.py): the bidi overrides and isolates (U+202A-202E,
# U+2066-2069) reorder what an operator reads — "KRFT-1 PAID" can be made to look like anything
# — and the zero-width ones (U+200B-200F, U+2060-2064, U+FEFF) make two different strings look
# identical. The server refuses them in the fields it checks (recipient, courier), not in all.
FORMAT_CHARACTERS = (
    # (a regex character class's body; render.print_json escapes the same characters)
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff{FORMAT_CHARACTERS}]")
_SPACES = frozenset("\t\n\v\f\r\x85\u2028\u2029")
# Shown in place of a control character that is not whitespace: visible, so an operator sees
# that something odd was sent, and inert.
_REPLACEMENT = "\ufffd"


def _replace(match: re.Match[str]) -> str:
    return " " if match.group() in _SPACES else _REPLACEMENT


def _replace_keeping_newlines(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\n":
        return "\n"
    return " " if char in _SPACES else _REPLACEMENT


def sanitize(value: str, *, keep_newlines: bool = False) -> str:
    """`value` with no character a terminal would act on: safe to print or paint as it is.

    Whitespace controls (TAB, CR, LF, VT, FF, NEL, U+2028/9) become a space; every other
    control character (C0, DEL, C1), every format character (bidi controls, zero-width
    characters, the BOM: Unicode's Cf) and every lone surrogate becomes U+FFFD "�". With
    `keep_newlines`, LF stays (and CR LF becomes LF) for fields shown on several lines.
    """
    if not _UNSAFE.search(value):
        return value  # the common case, kept cheap: the board sanitises thousands of fields
    if keep_newlines:
        return _UNSAFE.sub(_replace_keeping_newlines, value.replace("\r\n", "\n"))
    return _UNSAFE.sub(_replace, value)


# Prefixes pydantic puts before a validator's own sentence; the sentence alone is what people read.
_PYDANTIC_PREFIX = re.compile(r"^(?:Value error|Assertion failed), ")


def reason(message: str) -> str:
    """A server's or a validator's sentence, safe and without pydantic's "Value error, " prefix."""
    return _PYDANTIC_PREFIX.sub("", sanitize(message).strip())


def text(value: object) -> str:
    """Any value from the API as one safe line: None or "" → "—", booleans → yes/no."""
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    return sanitize(str(value)).strip() or NONE


def status_label(status: str) -> str:
    """`IN_PRODUCTION` → `IN PRODUCTION`, for titles; messages keep the API's names."""
    return sanitize(status).replace("_", " ")


# --------------------------------------------------------------------------- money


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def amount(value: object) -> str:
    """A money amount as `1,234.50`, or "—" when the API sent no number."""
    number = _number(value)
    return NONE if number is None else f"{number:,.2f}"


def usd(value: object) -> str:
    """US dollars: `$1,234.50` (or `$—`)."""
    return f"${amount(value)}"


def bs(value: object) -> str:
    """Bolívares: `Bs 1,234.50` (or `Bs —`)."""
    return f"Bs {amount(value)}"


# --------------------------------------------------------------------------- time


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time from the API as an aware datetime, or None when absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # The API always sends an offset; a naive time would be a server bug: read it as UTC.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def age(delta: timedelta) -> str:
    """A short, coarse span: "now", "12 min", "3 h", "2 d" (a card has about six cells for it)."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def age_since(value: object, now: datetime) -> str:
    """How long ago the API time `value` was, as `age` says it; "—" when it is not a time."""
    then = parse_time(value)
    return NONE if then is None else age(now - then)


def when(value: object, now: datetime) -> str:
    """An API time in `now`'s time zone with its age: "2026-03-02 14:00 UTC (1 h ago)"."""
    then = parse_time(value)
    if then is None:
        return text(value)
    local = then.astimezone(now.tzinfo)
    if abs(now - then) < timedelta(minutes=1):
        relative = "just now"
    else:
        relative = f"{age(now - then)} ago" if then <= now else f"in {age(then - now)}"
    zone = local.tzname()
    return f"{local:%Y-%m-%d %H:%M}{' ' + zone if zone else ''} ({relative})"


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of a check an admin reads before confirming: `level` picks the colour."""

    level: Literal["ok", "warning", "unknown"]
    text: str

    @property
    def ok(self) -> bool:
        return self.level == "ok"


def price_check(order: Order) -> Check:
    """The server's price check (subtotal against the catalog), in words."""
    check = order.get("priceCheck")
    if check == "OK":
        return Check("ok", "OK — the subtotal matches the catalog price")
    if check == "MISMATCH":
        return Check(
            "warning",
            f"MISMATCH — the catalog says {usd(order.get('priceExpected'))}, "
            f"the order says {usd(order.get('subtotal'))}",
        )
    if check == "UNKNOWN_VARIANT":
        return Check(
            "warning",
            "UNKNOWN_VARIANT — the variant is not in the catalog (or inactive); check the price by hand",
        )
    return Check("unknown", text(check))


def _decimal(value: object) -> Decimal | None:
    number = _number(value)
    if number is None:
        return None
    try:
        # repr() of a float holding a two-decimal amount is exactly that amount.
        return Decimal(repr(number))
    except InvalidOperation:  # nan, inf
        return None


def payment_check(payment: Mapping[str, Any]) -> Check:
    """Does the reported amount match the expected one, by the server's rule (0.5 % + 0.005 Bs)?"""
    expected, reported = _decimal(payment.get("amountExpected")), _decimal(payment.get("amountReported"))
    if expected is None or reported is None:
        return Check("unknown", "cannot compare: an amount is missing")
    difference = reported - expected
    if abs(difference) > abs(expected) * PAYMENT_TOLERANCE + PAYMENT_TOLERANCE:
        way = "more" if difference > 0 else "less"
        return Check("warning", f"DIFFERS — {bs(float(abs(difference)))} {way} than expected")
    return Check("ok", "matches the expected amount")


# --------------------------------------------------------------------------- items, moves, history


@dataclass(frozen=True, slots=True)
class ItemLine:
    """One item as people read it: the product's name with the variant id beside it, and the
    variant's attributes as the order kept them when it was placed (`variantLabel`, e.g.
    "L · blanco"; None when the server sent none)."""

    product: str
    variant: str
    quantity: str
    unit_price: str
    preview: str
    variant_label: str | None = None

    @property
    def name(self) -> str:
        """`Franela blanca · L · blanco`: the product's name and its variant's label (as production
        batches name them), either alone when the server sent only one; `NONE` when neither."""
        named = [part for part in (self.product, self.variant_label) if part and part != NONE]
        return " · ".join(named) or NONE

    @property
    def label(self) -> str:
        """`Franela blanca · L · blanco (var-2)`; the id alone when the server sent no name."""
        if self.name == NONE:
            return self.variant
        return f"{self.name} ({self.variant})" if self.variant != NONE else self.name


def _entries(order: Order, key: str) -> list[Mapping[str, Any] | None]:
    """The objects of the list `order[key]`; None for an element that is not one (shown as "—")."""
    value = order.get(key)
    if not isinstance(value, list):
        return []
    return [entry if isinstance(entry, Mapping) else None for entry in value]


def item_lines(order: Order) -> list[ItemLine | None]:
    """The order's items in order; None stands for an entry the server sent unreadable."""
    lines: list[ItemLine | None] = []
    for item in _entries(order, "items"):
        if item is None:
            lines.append(None)
            continue
        design = item.get("designUploadId")
        lines.append(
            ItemLine(
                product=text(item.get("productName")),
                variant=text(item.get("variantId")),
                quantity=text(item.get("quantity")),
                unit_price=usd(item.get("unitPrice")),
                preview=text(item.get("previewUrl") or (f"design {design}" if design else None)),
                variant_label=text(item["variantLabel"]) if item.get("variantLabel") else None,
            )
        )
    return lines


def items_summary(order: Order, *, limit: int | None = None, ids: bool = True) -> str:
    """`Franela blanca · L · blanco (var-2) × 3, Taza (var-4) × 1`; past `limit` items, "+N more".

    `ids=False` leaves the variant ids out where room is short: `Franela blanca · L · blanco × 3`.
    """
    lines = [line for line in item_lines(order) if line is not None]
    if not lines:
        return "no items"
    shown = lines if limit is None else lines[:limit]
    names = (line.label if ids or line.name == NONE else line.name for line in shown)
    summary = ", ".join(f"{name} × {line.quantity}" for name, line in zip(names, shown, strict=True))
    if len(lines) > len(shown):
        summary += f" +{len(lines) - len(shown)} more"
    return summary


def place(order: Order) -> str:
    """`Barquisimeto, Lara`: where the order goes, or "no address"."""
    parts = [text(order.get(key)) for key in ("shippingCity", "shippingState") if order.get(key)]
    return ", ".join(parts) or "no address"


def next_statuses(order: Order) -> tuple[str, ...]:
    """The moves the server offers the caller for this order (`nextStatuses`), as given."""
    offered = order.get("nextStatuses")
    return tuple(s for s in offered if isinstance(s, str)) if isinstance(offered, list) else ()


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One entry of the timeline: when, the change (a move `CONFIRMED → IN_PRODUCTION`, or a
    planning change: `note`, `due`, `priority`, `hold`, `release`), who made it (when the caller may
    see it), the note. `kind` is the server's (`move` for entries from before planning)."""

    at: datetime | None
    move: str
    who: str
    note: str
    kind: str = "move"


def history_lines(order: Order) -> list[HistoryLine | None]:
    """The order's history, oldest first as the server sends it; None for an unreadable entry."""
    lines: list[HistoryLine | None] = []
    for event in _entries(order, "history"):
        if event is None:
            lines.append(None)
            continue
        kind = event.get("kind") if isinstance(event.get("kind"), str) else "move"
        source = event.get("fromStatus")
        move = f"{text(source) if source else 'new'} → {text(event.get('toStatus'))}"
        if kind != "move":
            move = text(kind)
        if event.get("forced"):
            move += " (forced)"
        who = NONE
        if event.get("userEmail"):
            role = event.get("userRole")
            who = text(event.get("userEmail")) + (f" ({text(role)})" if role else "")
        note = event.get("note")
        lines.append(
            HistoryLine(
                at=parse_time(event.get("at")),
                move=move,
                who=who,
                note=sanitize(str(note), keep_newlines=True).strip() if note else "",
                kind=text(kind),
            )
        )
    return lines


def moved_line(number: object, source: object, order: Order, *, labels: bool = False) -> str:
    """`KRFT-1: READY → HANDED_TO_DELIVERY (MRW · tracking 123)`: an order the user just moved, as the
    server answered it; a hand-over says its courier and tracking number, or what is missing.

    `labels`: statuses as titles (`HANDED TO DELIVERY`), as the board words them.
    """
    name = status_label if labels else text
    line = f"{text(number)}: {name(str(source))} → {name(str(order.get('status')))}"
    delivery = delivery_line(order) if order.get("status") == Status.HANDED_TO_DELIVERY else None
    return f"{line} ({delivery})" if delivery else line


# --------------------------------------------------------------------------- live events


def event_line(order: Order, *, tz: tzinfo | None = None) -> str:
    """One line of `krafta orders watch`: the time of the change, the number, the move, who made it.

    The change is the order's newest history entry (the server adds one for every create and
    move); "who" appears only when the server shows it to the caller, as it does to staff.
    """
    lines = history_lines(order)
    last = lines[-1] if lines else None
    at = last.at if last is not None and last.at is not None else parse_time(order.get("updatedAt"))
    clock = at.astimezone(tz).strftime("%H:%M:%S") if at is not None else NONE
    move = last.move if last is not None else f"? → {text(order.get('status'))}"
    parts = [clock, text(order.get("orderNumber")), move]
    if last is not None and last.who != NONE:
        parts.append(last.who)
    return "  ".join(parts)


# --------------------------------------------------------------------------- workshop: hand-over, stuck

_HANDED = frozenset({Status.HANDED_TO_DELIVERY, Status.COMPLETED})


def delivery_line(order: Order) -> str | None:
    """`MRW · tracking 1234`, or what is missing, once the order was handed over; None before.

    A hand-over without courier or tracking number is allowed (as in the seed), so the clients say
    what is missing rather than show nothing: the customer is waiting for that number.
    """
    raw = order.get("delivery")
    if order.get("status") not in _HANDED and not isinstance(raw, Mapping):
        return None
    delivery: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    courier, tracking = delivery.get("courier"), delivery.get("trackingNumber")
    return " · ".join(
        [
            text(courier) if isinstance(courier, str) and courier.strip() else "courier missing",
            f"tracking {text(tracking)}"
            if isinstance(tracking, str) and tracking.strip()
            else "tracking number missing",
        ]
    )


def stuck_text(stuck: object, entered_status_at: datetime | None, now: datetime) -> str | None:
    """How long a stuck order has sat in its status ("2 d"), or None when the server says it is not.

    Whether an order is stuck is the server's rule: its `stuck` in a staff view (the CLI), or its
    published `stuckRules` read by the board's model; `entered_status_at` is the order's
    `enteredStatusAt`. Clients only say for how long, as far as their clock can tell.
    """
    if stuck is not True:
        return None
    return age(now - entered_status_at) if entered_status_at is not None else "?"


# --------------------------------------------------------------------------- planning


def parse_day(value: object) -> date | None:
    """An API date (`dueAt`, a hold's `until`: `2026-12-10`), or None when absent or malformed."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def is_rush(order: Order) -> bool:
    return order.get("priority") == "rush"


def due_text(order: Order, today: date) -> str | None:
    """When the order is due, as a card says it (`due_words`); None without a date."""
    return due_words(parse_day(order.get("dueAt")), order.get("late") is True, today)


def due_words(due: date | None, late: bool, today: date) -> str | None:
    """`late 2 d` (the server's `late`), `today`, `tomorrow`, or the day (`Thu 10 Dec`); None
    without a date."""
    if due is None:
        return None
    if late:
        return f"late {max(1, (today - due).days)} d"
    if due == today:
        return "today"
    if due == today + timedelta(days=1):
        return "tomorrow"
    return f"{due:%a %d %b}" if abs((due - today).days) < 180 else due.isoformat()


def hold_text(order: Order) -> str | None:
    """`MATERIAL: no blanks (until 2026-12-08)`: why the order is held; None when it is not."""
    hold = order.get("hold")
    if not isinstance(hold, Mapping):
        return None
    words = text(hold.get("reason") or "HELD")
    if hold.get("note"):
        words += f": {text(hold.get('note'))}"
    if hold.get("until"):
        words += f" (until {text(hold.get('until'))})"
    return words
