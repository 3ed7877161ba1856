"""The board's planning rules, without Textual: rush first, then the due day, then the longest
waiting (the server's `sort=due`); a held order is never stuck; the card's words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tui.board_model import StuckRules, column_order
from tui.presentation import card_text, summarize

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _order(n: int, *, entered_days: int, rush: bool = False, due: str | None = None, **extra: object) -> dict:  # type: ignore[type-arg]
    return {
        "id": f"id-{n}",
        "orderNumber": f"KRFT-00000{n}",
        "status": "IN_PRODUCTION",
        "createdAt": (NOW - timedelta(days=10)).isoformat(),
        "enteredStatusAt": (NOW - timedelta(days=entered_days)).isoformat(),
        "priority": "rush" if rush else "normal",
        "dueAt": due,
        **extra,
    }


def test_rush_then_due_then_longest_waiting() -> None:
    orders = [
        summarize(_order(1, entered_days=9)),
        summarize(_order(2, entered_days=1, due="2026-12-09")),
        summarize(_order(3, entered_days=2, rush=True)),
        summarize(_order(4, entered_days=5, due="2026-12-07")),
        summarize(_order(5, entered_days=3, rush=True, due="2026-12-20")),
        summarize(_order(6, entered_days=4)),
    ]
    assert [o.number[-1] for o in column_order("IN_PRODUCTION", orders)] == ["5", "3", "4", "2", "1", "6"]


def test_a_held_order_is_never_stuck() -> None:
    rules = StuckRules({"IN_PRODUCTION": timedelta(days=2)})
    held = summarize(_order(1, entered_days=5, hold={"reason": "MATERIAL"}))
    free = summarize(_order(2, entered_days=5))
    assert (rules.is_stuck(held, NOW), rules.is_stuck(free, NOW)) == (False, True)
    assert rules.due(held) is None


def test_the_card_says_rush_due_and_hold() -> None:
    card = card_text(
        summarize(_order(1, entered_days=1, rush=True, due="2026-12-05", hold={"reason": "ARTWORK"})), NOW
    )
    assert (card.rush, card.due, card.hold, card.late) == (True, "tomorrow", "ARTWORK", False)
    late = card_text(summarize(_order(2, entered_days=1, due="2026-12-02", late=True)), NOW)
    assert (late.due, late.late) == ("late 2 d", True)
    assert card_text(summarize(_order(3, entered_days=1)), NOW).due == ""
    assert summarize(_order(4, entered_days=1, due=date(2026, 12, 4).isoformat())).due == date(2026, 12, 4)
