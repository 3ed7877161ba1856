"""`server.domain.stuck`: parsing `KRAFTA_STUCK_AFTER`, deciding from an order's `enteredStatusAt`
(pure); `records.entered_from_history`, which fills that field in records of earlier versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.domain.lifecycle import Status
from server.domain.records import entered_from_history, upgrade
from server.domain.stuck import (
    DEFAULT_STUCK_AFTER,
    StuckAfterError,
    parse_stuck_after,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _order(status: str, *moves: tuple[str | None, str, timedelta]) -> dict[str, object]:
    """An order of an earlier version (no `enteredStatusAt`) with these moves, completed by `upgrade`."""
    history = [{"fromStatus": frm, "toStatus": to, "at": (NOW - ago).isoformat()} for frm, to, ago in moves]
    old = {"status": status, "createdAt": (NOW - timedelta(days=30)).isoformat(), "history": history}
    assert "enteredStatusAt" in upgrade(old)
    return old


def _entered(order: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(order["enteredStatusAt"]))


def test_the_issue_example_parses() -> None:
    rules = parse_stuck_after("CONFIRMED=1d,IN_PRODUCTION=2d,READY=1d")
    assert dict(rules.after) == {
        Status.CONFIRMED: timedelta(days=1),
        Status.IN_PRODUCTION: timedelta(days=2),
        Status.READY: timedelta(days=1),
    }


@pytest.mark.parametrize("unset", [None, "", "   "])
def test_unset_means_the_defaults(unset: str | None) -> None:
    assert parse_stuck_after(unset) == parse_stuck_after(DEFAULT_STUCK_AFTER)
    assert parse_stuck_after(unset).limit("READY") == timedelta(days=1)


@pytest.mark.parametrize("off", ["none", "OFF", " None "])
def test_none_turns_the_rule_off(off: str) -> None:
    rules = parse_stuck_after(off)
    assert rules.after == {}
    assert not rules.is_stuck(_order("READY", ("IN_PRODUCTION", "READY", timedelta(days=400))), NOW)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("READY=90m", 90), ("ready = 36h", 36 * 60), ("READY=2D", 2 * 24 * 60), ("READY=1m", 1)],
)
def test_units_and_case(text: str, minutes: int) -> None:
    assert parse_stuck_after(text).limit("READY") == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("CONFRIMED=1d", "'CONFRIMED' is not a status"),
        ("CONFIRMED", "is not STATUS=DURATION"),
        ("=1d", "is not STATUS=DURATION"),
        ("CONFIRMED=1w", "use a whole number with m, h or d"),
        ("CONFIRMED=1.5d", "use a whole number with m, h or d"),
        ("CONFIRMED=-1d", "use a whole number with m, h or d"),
        ("CONFIRMED=d", "use a whole number with m, h or d"),
        ("CONFIRMED=0h", "longer than zero"),
        ("CONFIRMED=999999d", "longer than 10 years"),
        ("COMPLETED=1d", "COMPLETED is a closed status"),
        ("CANCELLED=1d", "CANCELLED is a closed status"),
        ("READY=1d,READY=2d", "READY is given twice"),
        ("READY=1d,,CONFIRMED=1d", "empty entry"),
        ("READY=1d,", "empty entry"),
    ],
)
def test_bad_values_are_one_line_naming_the_part(text: str, says: str) -> None:
    with pytest.raises(StuckAfterError) as caught:
        parse_stuck_after(text)
    message = str(caught.value)
    assert message.startswith("KRAFTA_STUCK_AFTER: ")
    assert says in message
    assert "\n" not in message


def test_stuck_counts_from_the_last_move_into_the_status() -> None:
    rules = parse_stuck_after("IN_PRODUCTION=2d")
    order = _order(
        "IN_PRODUCTION",
        (None, "REPORTED", timedelta(days=10)),
        ("REPORTED", "CONFIRMED", timedelta(days=9)),
        ("CONFIRMED", "IN_PRODUCTION", timedelta(days=5)),
        # Forced back and forward again: the clock restarts at the newest entry.
        ("IN_PRODUCTION", "CONFIRMED", timedelta(days=4)),
        ("CONFIRMED", "IN_PRODUCTION", timedelta(days=1)),
    )
    assert _entered(order) == NOW - timedelta(days=1)
    assert not rules.is_stuck(order, NOW)
    assert rules.is_stuck(order, NOW + timedelta(days=1))  # exactly at the limit counts


def test_an_event_that_does_not_change_the_status_does_not_restart_the_clock() -> None:
    order = _order(
        "CONFIRMED",
        ("REPORTED", "CONFIRMED", timedelta(days=3)),
        ("CONFIRMED", "CONFIRMED", timedelta(minutes=5)),  # renumbered at replay
    )
    assert _entered(order) == NOW - timedelta(days=3)
    assert parse_stuck_after("CONFIRMED=1d").is_stuck(order, NOW)


def test_statuses_without_a_rule_are_never_stuck() -> None:
    rules = parse_stuck_after("CONFIRMED=1d")
    old = _order("READY", ("IN_PRODUCTION", "READY", timedelta(days=90)))
    assert not rules.is_stuck(old, NOW)
    assert not rules.is_stuck({"status": "NOT_A_STATUS", "enteredStatusAt": NOW.isoformat()}, NOW)


def test_without_history_the_creation_time_stands_in() -> None:
    created = (NOW - timedelta(days=2)).isoformat()
    order = upgrade({"status": "CONFIRMED", "createdAt": created, "history": None})
    assert order["enteredStatusAt"] == created
    assert parse_stuck_after("CONFIRMED=1d").is_stuck(order, NOW)
    assert not parse_stuck_after("CONFIRMED=3d").is_stuck(order, NOW)


def test_the_stored_field_decides_not_the_history() -> None:
    """`enteredStatusAt` is the rule's one input: a history that says otherwise is not read."""
    rules = parse_stuck_after("CONFIRMED=1d")
    order = _order("CONFIRMED", ("REPORTED", "CONFIRMED", timedelta(days=5)))
    order["enteredStatusAt"] = (NOW - timedelta(hours=1)).isoformat()
    assert not rules.is_stuck(order, NOW)
    order["enteredStatusAt"] = (NOW - timedelta(days=1)).isoformat()
    assert rules.is_stuck(order, NOW)
    assert not rules.is_stuck({"status": "CONFIRMED", "history": order["history"]}, NOW)


def test_upgrade_keeps_a_stored_value_and_leaves_non_orders_alone() -> None:
    stored = {"status": "READY", "enteredStatusAt": "x", "createdAt": NOW.isoformat(), "history": []}
    assert upgrade(dict(stored)) == stored
    assert upgrade([1, 2]) == [1, 2]
    assert upgrade({"status": "READY", "createdAt": "not a time"}) == {
        "status": "READY",
        "createdAt": "not a time",
    }
    assert entered_from_history({"status": "READY"}) is None


def test_published_rules_are_seconds_per_status() -> None:
    assert parse_stuck_after("CONFIRMED=1d,READY=90m").seconds() == {"CONFIRMED": 86400, "READY": 5400}
    assert parse_stuck_after("none").seconds() == {}


def test_cutoffs_match_is_stuck() -> None:
    rules = parse_stuck_after("CONFIRMED=1d,READY=12h")
    cut = rules.cutoffs(NOW)
    assert cut == {Status.CONFIRMED: NOW - timedelta(days=1), Status.READY: NOW - timedelta(hours=12)}


@pytest.mark.parametrize(
    ("delta", "text"),
    [(timedelta(days=2), "2d"), (timedelta(hours=36), "36h"), (timedelta(minutes=90), "90m")],
)
def test_each_unit_reads_as_its_duration(delta: timedelta, text: str) -> None:
    assert parse_stuck_after(f"READY={text}").limit("READY") == delta
