"""`krafta_cli.view`: what people read about an order, the same in the CLI and on the board.

Table tests over the pure functions, and the sanitiser over every code point it must neutralise.
"""

from __future__ import annotations

import sys
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest

from krafta_cli import view
from tests.tui.fake_shop import make_order

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

# --------------------------------------------------------------------------- sanitize

C0 = [chr(c) for c in range(0x00, 0x20)]
C1 = [chr(c) for c in range(0x80, 0xA0)]
DEL = ["\x7f"]
SURROGATES = [chr(c) for c in range(0xD800, 0xE000)]
UNSAFE = C0 + DEL + C1 + SURROGATES + ["\u2028", "\u2029"]


def _is_unsafe(char: str) -> bool:
    code = ord(char)
    return (
        code < 0x20
        or 0x7F <= code <= 0x9F
        or 0xD800 <= code <= 0xDFFF
        or char in "\u2028\u2029"
        or unicodedata.category(char) == "Cf"
    )


@pytest.mark.parametrize("keep_newlines", [False, True])
def test_sanitize_neutralises_every_c0_c1_del_and_lone_surrogate(keep_newlines: bool) -> None:
    for char in UNSAFE:
        cleaned = view.sanitize(f"a{char}b", keep_newlines=keep_newlines)
        kept = keep_newlines and char == "\n"
        assert cleaned == ("a\nb" if kept else cleaned), repr(char)
        if not kept:
            assert len(cleaned) == 3 and not any(_is_unsafe(c) for c in cleaned), (repr(char), repr(cleaned))
            # Whitespace reads as a space; anything else as a visible, inert replacement mark.
            assert cleaned[1] == (" " if char in "\t\n\v\f\r\x85\u2028\u2029" else "\ufffd"), repr(char)
        # What comes out can always be written to a UTF-8 terminal (a lone surrogate cannot).
        cleaned.encode("utf-8")


def test_sanitize_leaves_printable_text_alone() -> None:
    for text in ("KRFT-482031", "San Cristóbal, Táchira", "María Pérez — 🧵 × 3", "a b", "", "日本語"):
        assert view.sanitize(text) is text or view.sanitize(text) == text
    # Every printable code point of the BMP outside the unsafe ranges passes unchanged.
    printable = "".join(chr(c) for c in range(0x20, 0x3000) if not _is_unsafe(chr(c)))
    assert view.sanitize(printable) == printable


@pytest.mark.parametrize(
    "attack",
    [
        "\x1b]52;c;ZWNobyBwd25lZA==\x1b\\",  # OSC 52: write the clipboard
        "\x1b]52;c;ZWNobyBwd25lZA==\x07",
        "\x1b[2J\x1b[H",  # clear the screen, cursor home
        "\x1b]0;pwned\x07",  # window title
        "\x9b2J",  # 8-bit CSI
        "\x9d0;pwned\x9c",  # 8-bit OSC … ST
        "\x1bP+q544e\x1b\\",  # DCS (terminfo query)
    ],
)
def test_terminal_attacks_lose_every_escape(attack: str) -> None:
    for keep in (False, True):
        cleaned = view.sanitize(f"Barquisimeto{attack}", keep_newlines=keep)
        assert not any(_is_unsafe(c) for c in cleaned), repr(cleaned)
        assert cleaned.startswith("Barquisimeto")


# Issue 14: what reorders or hides text on the screen, from the audit's findings and Unicode's Cf.
BIDI = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x061C]]
ZERO_WIDTH = [chr(c) for c in [*range(0x200B, 0x2010), *range(0x2060, 0x2065), 0xFEFF, 0x00AD]]


@pytest.mark.parametrize("keep_newlines", [False, True])
def test_sanitize_neutralises_bidi_zero_width_and_every_format_character(keep_newlines: bool) -> None:
    every_cf = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert set(BIDI + ZERO_WIDTH) <= set(every_cf)
    for char in every_cf:
        assert view.sanitize(f"KRFT-1{char}PAID", keep_newlines=keep_newlines) == "KRFT-1\ufffdPAID", (
            f"U+{ord(char):04X}"
        )
    # The audit's string: a right-to-left override and zero-width characters around a payer's name.
    assert view.text("\ufeffMar\u200bía \u202eZTREP") == "\ufffdMar\ufffdía \ufffdZTREP"


def test_keep_newlines_turns_crlf_into_one_newline() -> None:
    assert view.sanitize("one\r\ntwo\rthree\n", keep_newlines=True) == "one\ntwo three\n"


def test_text_is_one_safe_line_with_a_dash_for_nothing() -> None:
    assert [view.text(v) for v in (None, "", "  ", True, False, 3, 1.5)] == [
        "—",
        "—",
        "—",
        "yes",
        "no",
        "3",
        "1.5",
    ]
    assert view.text("a\x1b[2Jb\n") == "a\ufffd[2Jb"


# --------------------------------------------------------------------------- money and time


@pytest.mark.parametrize(
    ("value", "amount", "usd", "bs"),
    [
        (15, "15.00", "$15.00", "Bs 15.00"),
        (1234.5, "1,234.50", "$1,234.50", "Bs 1,234.50"),
        (0.005, "0.01", "$0.01", "Bs 0.01"),
        (None, "—", "$—", "Bs —"),
        ("15", "—", "$—", "Bs —"),  # a string is not money, whatever it looks like
        (True, "—", "$—", "Bs —"),
    ],
)
def test_money(value: object, amount: str, usd: str, bs: str) -> None:
    assert (view.amount(value), view.usd(value), view.bs(value)) == (amount, usd, bs)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=-5), "now"),
        (timedelta(seconds=59), "now"),
        (timedelta(minutes=12), "12 min"),
        (timedelta(hours=3, minutes=59), "3 h"),
        (timedelta(hours=23, minutes=59), "23 h"),
        (timedelta(days=2, hours=5), "2 d"),
    ],
)
def test_age(delta: timedelta, text: str) -> None:
    assert view.age(delta) == text
    assert view.age_since((NOW - delta).isoformat(), NOW) == text


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2026-03-02T13:00:00+00:00", "2026-03-02 13:00 UTC (2 h ago)"),
        ("2026-03-02T13:00:00Z", "2026-03-02 13:00 UTC (2 h ago)"),
        ("2026-03-02T13:00:00", "2026-03-02 13:00 UTC (2 h ago)"),  # naive: read as UTC
        ("2026-03-02T18:00:00+00:00", "2026-03-02 18:00 UTC (in 3 h)"),
        ("yesterday", "yesterday"),
        (None, "—"),
    ],
)
def test_when(value: object, shown: str) -> None:
    assert view.when(value, NOW) == shown


def test_when_uses_the_time_zone_of_now() -> None:
    caracas = NOW.astimezone(timezone(timedelta(hours=-4), "VET"))
    assert view.when("2026-03-02T13:00:00+00:00", caracas) == "2026-03-02 09:00 VET (2 h ago)"


# --------------------------------------------------------------------------- checks


@pytest.mark.parametrize(
    ("expected", "reported", "level"),
    [
        (600.0, 600.0, "ok"),
        (600.0, 603.0, "ok"),  # 0.5 % of 600 plus half a cent = 3.005: inside
        (600.0, 597.0, "ok"),
        (600.0, 603.01, "warning"),
        (600.0, 596.99, "warning"),
        (0.0, 0.005, "ok"),
        (0.0, 0.01, "warning"),
        (600.0, None, "unknown"),
        ("600", 600.0, "unknown"),
    ],
)
def test_payment_check_uses_the_servers_tolerance(expected: object, reported: object, level: str) -> None:
    check = view.payment_check({"amountExpected": expected, "amountReported": reported})
    assert check.level == level, check


def test_payment_check_says_how_much_and_which_way() -> None:
    assert view.payment_check({"amountExpected": 720.0, "amountReported": 620.0}).text == (
        "DIFFERS — Bs 100.00 less than expected"
    )
    assert "more" in view.payment_check({"amountExpected": 720.0, "amountReported": 820.0}).text


@pytest.mark.parametrize(
    ("order", "level", "fragment"),
    [
        ({"priceCheck": "OK"}, "ok", "OK"),
        ({"priceCheck": "MISMATCH", "priceExpected": 17, "subtotal": 15}, "warning", "$17.00"),
        ({"priceCheck": "UNKNOWN_VARIANT"}, "warning", "by hand"),
        ({"priceCheck": None}, "unknown", "—"),
        ({"priceCheck": "\x1b[2J"}, "unknown", "\ufffd[2J"),
    ],
)
def test_price_check(order: dict[str, object], level: str, fragment: str) -> None:
    check = view.price_check(order)
    assert check.level == level and fragment in check.text, check


# --------------------------------------------------------------------------- items, moves, history


def test_item_lines_show_the_product_name_with_the_variant_id_beside_it() -> None:
    order = make_order(1, "CONFIRMED", hours_ago=1, product="Franela blanca", quantity=3, total=39.0)
    order["items"].append({"variantId": "var-9", "quantity": 1, "productName": None})
    order["items"].append("junk")
    lines = view.item_lines(order)
    assert lines[0] is not None and lines[0].label == "Franela blanca (var-1)"
    assert (lines[0].quantity, lines[0].unit_price) == ("3", "$12.00")
    assert lines[1] is not None and lines[1].label == "var-9"  # no name from the server: the id alone
    assert lines[2] is None
    assert view.items_summary(order) == "Franela blanca (var-1) × 3, var-9 × 1"
    assert view.items_summary(order, limit=1) == "Franela blanca (var-1) × 3 +1 more"
    assert view.items_summary(order, limit=1, ids=False) == "Franela blanca × 3 +1 more"
    assert view.items_summary({}) == "no items"


def test_an_item_line_keeps_the_variant_label_the_order_was_placed_with() -> None:
    order = make_order(1, "CONFIRMED", hours_ago=1)
    order["items"][0]["variantLabel"] = "L · blanco\x1b[2J"
    order["items"].append({"variantId": "var-9", "quantity": 1, "productName": "Taza", "variantLabel": None})
    first, second = view.item_lines(order)
    assert first is not None and first.variant_label == "L · blanco\ufffd[2J"  # sanitized like all text
    assert second is not None and second.variant_label is None
    # orders list and show name the item with it, as production batches do; without one, as before.
    assert first.label == f"Franela blanca · L · blanco\ufffd[2J ({first.variant})"
    assert second.label == "Taza (var-9)"
    order["items"][0]["variantLabel"] = "L · blanco"
    assert view.items_summary(order) == f"Franela blanca · L · blanco ({first.variant}) × 1, Taza (var-9) × 1"
    assert view.items_summary(order, ids=False) == "Franela blanca · L · blanco × 1, Taza × 1"
    order["items"][0]["productName"] = None
    assert view.items_summary(order, ids=False).startswith("L · blanco × 1")


def test_next_statuses_ignores_junk() -> None:
    assert view.next_statuses({"nextStatuses": [None, 3, "READY"]}) == ("READY",)
    assert view.next_statuses({"nextStatuses": "READY"}) == ()


def test_history_lines() -> None:
    order = make_order(2, "CANCELLED", hours_ago=10, in_status_hours=2)
    order["history"].append(None)
    lines = view.history_lines(order)
    first, last = lines[0], lines[-2]
    assert first is not None and (first.move, first.who, first.note) == (
        "new → REPORTED",
        "—",
        "order created",
    )
    assert last is not None and (last.move, last.who) == ("REPORTED → CANCELLED", "admin@krafta.demo (ADMIN)")
    assert lines[-1] is None


def test_place() -> None:
    assert view.place({"shippingCity": "Coro", "shippingState": "Falcón"}) == "Coro, Falcón"
    assert view.place({"shippingCity": "Coro\x1b]52;c;x\x07"}) == "Coro\ufffd]52;c;x\ufffd"
    assert view.place({}) == "no address"


def test_moved_line_in_both_clients_words() -> None:
    handed = {
        "status": "HANDED_TO_DELIVERY",
        "delivery": {"courier": "MRW", "trackingNumber": None, "handedAt": None},
    }
    assert view.moved_line("KRFT-1", "READY", handed) == (
        "KRFT-1: READY → HANDED_TO_DELIVERY (MRW · tracking number missing)"
    )
    assert view.moved_line("KRFT-1", "READY", handed, labels=True) == (
        "KRFT-1: READY → HANDED TO DELIVERY (MRW · tracking number missing)"
    )
    # Only a hand-over says its delivery; server text is made safe.
    assert view.moved_line("KRFT-\x1b[2J", "CONFIRMED", {"status": "IN_PRODUCTION"}) == (
        "KRFT-\ufffd[2J: CONFIRMED → IN_PRODUCTION"
    )
