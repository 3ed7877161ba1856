"""The pure parts of the board: what a card says, what a filter matches, how errors read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rich.console import Console
from rich.style import Style

from krafta_cli.client import (
    Conflict,
    DatabaseDown,
    Forbidden,
    NotFound,
    NotLoggedIn,
    RateLimited,
    ServerError,
    Unreachable,
    ValidationFailed,
)
from tests.tui.fake_shop import NOW, make_order
from tui.errors import notice_for
from tui.presentation import (
    OrderSummary,
    actionable_statuses,
    card_text,
    column_statuses,
    group_by_status,
    matches,
    summarize,
)
from tui.widgets.card import CARD_HEIGHT, CardStyles, item_name, paint_card


def test_card_warns_past_two_days_and_says_how_long_a_stuck_order_waits() -> None:
    fresh = card_text(summarize(make_order(1, "CONFIRMED", hours_ago=3, in_status_hours=2)), NOW)
    assert (fresh.number, fresh.age, fresh.old, fresh.stuck) == ("KRFT-107919", "3 h", False, False)
    assert fresh.place == "Barquisimeto, Lara"
    assert fresh.items == "Franela blanca × 1"
    assert fresh.total == "$15.00"

    # No rule of its own: a day in READY is stuck only when the board model says so (the server's
    # rules); the card says for how long, from `enteredStatusAt`.
    waiting = summarize(make_order(2, "READY", hours_ago=49, in_status_hours=25))
    old = card_text(waiting, NOW)
    assert (old.age, old.old, old.stuck_for) == ("2 d", True, None)
    flagged = card_text(waiting, NOW, stuck=True)
    assert (flagged.stuck, flagged.stuck_for) == (True, "1 d")

    # Exactly two days is not yet "older than two days".
    assert not card_text(summarize(make_order(3, "READY", hours_ago=48, in_status_hours=1)), NOW).old
    # A closed order is neither stuck nor a warning.
    done = card_text(summarize(make_order(4, "COMPLETED", hours_ago=200, in_status_hours=100)), NOW)
    assert (done.old, done.stuck) == (False, False)


def test_time_in_status_is_the_servers_entered_status_at_with_no_fallback() -> None:
    order = make_order(1, "IN_PRODUCTION", hours_ago=50, in_status_hours=30)
    entered = summarize(order).entered_status_at
    assert entered is not None and NOW - entered == timedelta(hours=30)
    # No reconstruction from the history or `updatedAt`: without the field, the time is unknown.
    del order["enteredStatusAt"]
    assert summarize(order).entered_status_at is None
    assert card_text(summarize(order), NOW, stuck=True).stuck_for == "?"


def test_a_summary_keeps_what_the_card_filter_and_keys_need() -> None:
    order = make_order(9, "CONFIRMED", hours_ago=5, in_status_hours=2, product="Taza", quantity=2, total=19.0)
    order["items"].append({**order["items"][0], "id": "second"})
    summary = summarize(order)
    assert (summary.id, summary.number, summary.status) == (order["id"], order["orderNumber"], "CONFIRMED")
    assert (
        card_text(summary, NOW).items == "Taza × 2 +1 more"
    )  # the card is narrow: product names, no variant ids
    assert summary.total == 19.0
    assert summary.next_statuses == ("IN_PRODUCTION", "CANCELLED")
    assert summary.created_at is not None and NOW - summary.created_at == timedelta(hours=5)


def test_card_tolerates_missing_fields() -> None:
    card = card_text(
        summarize({"id": "x", "status": "CONFIRMED", "createdAt": "garbage", "nextStatuses": 3}), NOW
    )
    assert (card.number, card.age, card.place, card.items, card.total) == (
        "x",
        "—",
        "no address",
        "no items",
        "$—",
    )


def test_filter_matches_number_city_state_or_payer_ignoring_case_and_accents() -> None:
    order = summarize(make_order(5, "READY", hours_ago=1, city="Mérida", state="Mérida", payer="José Núñez"))
    for query in ("mérida", "MERIDA", "KRFT-1", "jose nu", "  NÚÑEZ ", ""):
        assert matches(order, query), query
    for query in ("caracas", "Banesco", "600"):
        assert not matches(order, query), query


def offering(*statuses: object) -> OrderSummary:
    return summarize({"id": "x", "status": "READY", "nextStatuses": list(statuses)})


def test_advance_target_is_the_first_offered_move_that_is_not_cancel() -> None:
    assert offering("CONFIRMED", "CANCELLED").advance_target == "CONFIRMED"
    assert offering("CANCELLED", "READY").advance_target == "READY"
    assert offering("CANCELLED").advance_target is None
    assert offering().advance_target is None
    assert summarize({"id": "x"}).advance_target is None
    assert offering(None, 3, "READY").advance_target == "READY"  # junk from a broken server is ignored
    assert offering("READY", "CANCELLED").can_cancel
    assert not offering("READY").can_cancel


def test_columns_follow_what_the_server_offers_not_the_role() -> None:
    open_columns = ("REPORTED", "CONFIRMED", "IN_PRODUCTION", "READY", "HANDED_TO_DELIVERY")
    assert column_statuses({}, show_closed=False) == open_columns
    assert column_statuses({}, show_closed=True) == (*open_columns, "COMPLETED", "CANCELLED")
    # A TALLER gets REPORTED orders without moves: that work has not reached them yet.
    taller = actionable_statuses(
        summarize({"id": str(n), "status": status, "nextStatuses": offered})
        for n, (status, offered) in enumerate([("REPORTED", []), ("CONFIRMED", ["IN_PRODUCTION"])])
    )
    assert taller == {"REPORTED": False, "CONFIRMED": True}
    assert column_statuses(taller, show_closed=False) == open_columns[1:]
    # Only the head of the pipeline is left out: a stray order without moves further on stays visible.
    assert column_statuses({"READY": False}, show_closed=False) == open_columns
    assert column_statuses({"REPORTED": False, "CONFIRMED": False}, show_closed=False) == open_columns[2:]


def test_group_by_status_keeps_the_servers_order_and_drops_other_statuses() -> None:
    raw = [(1, "READY"), (2, "PENDING"), (3, "READY"), (4, "REPORTED")]
    orders = [summarize(make_order(n, s, hours_ago=n)) for n, s in raw]
    grouped = group_by_status(orders, ("REPORTED", "READY"))
    assert [o.id for o in grouped["READY"]] == [orders[0].id, orders[2].id]
    assert [o.id for o in grouped["REPORTED"]] == [orders[3].id]
    assert set(grouped) == {"REPORTED", "READY"}


@pytest.mark.parametrize("width", [8, 20, 24, 40])
def test_a_card_is_always_exactly_its_width_and_height(width: int) -> None:
    plain = Style()
    styles = CardStyles(plain, Style(bgcolor="red"), plain, plain, plain, plain, plain, plain, plain)
    order = make_order(
        7, "IN_PRODUCTION", hours_ago=80, in_status_hours=70, city="Ciudad Guayana", state="Bolívar"
    )
    strips = paint_card(Console(), card_text(summarize(order), NOW, stuck=True), width, styles, cursor=True)
    assert len(strips) == CARD_HEIGHT
    assert [strip.cell_length for strip in strips] == [width] * CARD_HEIGHT
    if width >= 24:
        assert "stuck 2 d" in strips[3].text
        assert strips[0].text.startswith("▌ KRFT-")
    marked = paint_card(Console(), card_text(summarize(order), NOW), width, styles, cursor=False, marked=True)
    assert [strip.cell_length for strip in marked] == [width] * CARD_HEIGHT
    assert all(strip.text.startswith("◆ " if width >= 20 else "◆") for strip in marked[:4])


SAME = "same_reference"  # the server's code (docs/API.md), written out: the client must not drift from it


def test_error_notices() -> None:
    offline = notice_for(Unreachable(url="http://x", reason="connection refused"))
    assert offline.offline and "offline — retrying" in offline.message
    assert notice_for(NotLoggedIn(status_code=401)).login
    conflict = notice_for(Conflict(current_status="READY", next_statuses=["HANDED_TO_DELIVERY"]))
    assert (conflict.message, conflict.refresh) == ("moved by someone else — refreshed (now READY)", True)
    reused = notice_for(
        Conflict(
            "The payment's reference is also on KRFT-000002: check it with the bank.", code="same_reference"
        ),
        doing="move",
        subject="KRFT-000001",
    )
    assert "someone else" not in reused.message and "also on KRFT-000002" in reused.message
    assert (reused.title, reused.severity, reused.refresh) == ("Same reference", "error", False)
    forbidden = notice_for(Forbidden("The TALLER role may not cancel orders.", status_code=403))
    assert forbidden.message.startswith("The TALLER role may not cancel orders.") and forbidden.refresh
    assert notice_for(NotFound(status_code=404)).refresh
    invalid = notice_for(ValidationFailed("Bad note", fields={"note": "too long"}))
    assert "note: too long" in invalid.message
    assert "30 s" in notice_for(RateLimited("Too many", retry_after=30)).message
    assert notice_for(ServerError("bad gateway", status_code=502)).severity == "error"
    down = notice_for(
        DatabaseDown("No order KRFT-1 in the fallback store, …", status_code=503),
        doing="move",
        subject="KRFT-1",
    )
    assert (down.title, down.severity) == ("Database down", "warning")
    assert down.message == "KRFT-1 was not moved: no order KRFT-1 in the fallback store, …"
    assert "Bug" in notice_for(ZeroDivisionError("x")).title


def test_a_failed_move_always_gets_its_own_message() -> None:
    down = Unreachable(url="http://x", reason="connection refused")
    background = notice_for(down, doing="refresh")
    assert background.offline and not background.toast  # the banner says it; no toast per retry
    move = notice_for(down, doing="move", subject="KRFT-123456")
    assert move.offline and move.toast
    assert move.message == "KRFT-123456 was not moved: the server did not answer (connection refused)"
    cancel = notice_for(Conflict("Order moved.", current_status="READY"), doing="cancel", subject="KRFT-1")
    assert cancel.message.startswith("KRFT-1 was not cancelled: moved by someone else")


def test_notices_strip_control_characters_from_server_text() -> None:
    hostile = "\x1b]52;c;aGk=\x07\x1b[2J"
    for notice in (
        notice_for(Forbidden(f"No{hostile}", status_code=403)),
        notice_for(ValidationFailed(hostile, fields={hostile: hostile})),
        notice_for(Conflict(current_status=hostile), doing="move", subject=hostile),
        notice_for(ServerError(hostile, status_code=500)),
    ):
        assert "\x1b" not in notice.message and "\x07" not in notice.message, notice


@pytest.mark.parametrize("width", [22, 24, 30, 40, 60])
def test_a_narrow_card_cuts_the_name_never_the_quantity(width: int) -> None:
    plain = Style()
    styles = CardStyles(plain, plain, plain, plain, plain, plain, plain, plain, plain)
    order = make_order(
        8, "CONFIRMED", hours_ago=3, product="Taza de cerámica grande", quantity=12, total=99.0
    )
    order["items"][0]["variantLabel"] = "L · blanco"
    order["items"].append({**order["items"][0], "id": "second"})
    card = card_text(summarize(order), NOW)
    assert card.items == "Taza de cerámica grande · L · blanco × 12 +1 more"
    line = paint_card(Console(), card, width, styles, cursor=False)[2].text
    assert "× 12 +1" in line, line
    if width >= 30:
        assert "· L · blanco × 12 +1" in line, line  # the product's name gave way first
    if width >= 40:
        assert "· L · blanco × 12 +1 more" in line, line
    if width >= 60:
        assert card.items in line


@pytest.mark.parametrize("marked", [False, True])
def test_a_card_in_a_scrolling_column_at_its_narrowest_keeps_number_and_age(marked: bool) -> None:
    # 22 cells of column, less its border and the scrollbar of a long column: 19. At 80×24 the
    # number read "KRFT-9314… 42 min" there; the bar gives up its space instead.
    plain = Style()
    styles = CardStyles(plain, plain, plain, plain, plain, plain, plain, plain, plain)
    order = make_order(8, "CONFIRMED", hours_ago=0.7)
    card = card_text(summarize(order), NOW)
    first = paint_card(Console(), card, 19, styles, cursor=False, marked=marked)[0].text
    assert f"{card.number} {card.age}" in first, first
    assert first.startswith("◆K" if marked else "▌K"), first


def test_the_product_gives_way_before_its_variant() -> None:
    order = make_order(8, "CONFIRMED", hours_ago=3, product="Franela blanca")
    order["items"][0]["variantLabel"] = "XL"
    card = card_text(summarize(order), NOW)
    assert item_name(card, 40) == "Franela blanca · XL"
    assert item_name(card, 12) == "Franel… · XL"
    assert item_name(card, 8) == "Franela blanca"  # too narrow for both: the product, cut by the line


def test_a_reported_card_with_a_reused_reference_names_the_other_order() -> None:
    plain = Style()
    styles = CardStyles(plain, plain, plain, plain, plain, plain, plain, plain, plain)
    order = make_order(9, "REPORTED", hours_ago=30, in_status_hours=30, total=15.0)
    order["payments"] = [
        {**order["payments"][0], "status": "REJECTED", "sameReference": ["KRFT-000077"]},
        {**order["payments"][0], "status": "REPORTED", "sameReference": ["KRFT-193844", "KRFT-000123"]},
    ]
    card = card_text(summarize(order), NOW, stuck=True)
    plain_card = card_text(summarize(make_order(10, "REPORTED", hours_ago=1)), NOW)

    assert summarize(order).same_reference == ("KRFT-000123", "KRFT-193844")  # the rejected one's: no
    assert card.same_reference == "ref = KRFT-000123 +1"
    wide = paint_card(Console(), card, 40, styles, cursor=False)[3].text
    narrow = paint_card(Console(), card, 19, styles, cursor=False)[3].text
    assert "$15.00" in wide and wide.rstrip().endswith("ref = KRFT-000123 +1"), wide
    assert "$15.00" in narrow and narrow.rstrip().endswith("ref ="), narrow
    assert plain_card.same_reference == ""
    assert "ref =" not in paint_card(Console(), plain_card, 40, styles, cursor=False)[3].text


def test_a_narrow_card_keeps_the_total_whole_beside_how_long_it_is_stuck() -> None:
    plain = Style()
    styles = CardStyles(plain, plain, plain, plain, plain, plain, plain, plain, plain)
    order = make_order(8, "READY", hours_ago=40, in_status_hours=13, total=1234.0)
    card = card_text(summarize(order), NOW, stuck=True)
    assert (card.total, card.stuck_for) == ("$1,234.00", "13 h")
    narrow = paint_card(Console(), card, 19, styles, cursor=False)[3].text
    assert "$1,234.00" in narrow and narrow.rstrip().endswith("13 h"), narrow
    wide = paint_card(Console(), card, 30, styles, cursor=False)[3].text
    assert "$1,234.00" in wide and "stuck 13 h" in wide, wide
