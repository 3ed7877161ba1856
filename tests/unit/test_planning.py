"""Planning rules (server/domain/planning.py): the promised day in working days, `late`, the
variables that set them, and the old records that never heard of planning."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from server.domain.planning import Calendar, PlanningConfigError, is_late, parse_holidays, parse_lead_days
from server.domain.records import upgrade
from server.settings import ConfigError, Settings

FRIDAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("start", "lead", "holidays", "due"),
    [
        (FRIDAY, 3, (), date(2026, 12, 9)),  # Mon, Tue, Wed
        (date(2026, 12, 7), 3, (), date(2026, 12, 10)),  # Monday → Thursday
        (date(2026, 12, 5), 1, (), date(2026, 12, 7)),  # confirmed on a Saturday → Monday
        (FRIDAY, 0, (), FRIDAY),
        (date(2026, 12, 23), 3, (date(2026, 12, 24), date(2026, 12, 25)), date(2026, 12, 30)),
    ],
)
def test_the_promise_counts_working_days(
    start: date, lead: int, holidays: tuple[date, ...], due: date
) -> None:
    assert Calendar(lead_days=lead, holidays=frozenset(holidays)).due_from(start) == due


def test_today_is_the_shops_day() -> None:
    # 02:00 UTC on the 5th is still the 4th in Caracas (UTC−4).
    at = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    calendar = Calendar(zone=ZoneInfo("America/Caracas"), clock=lambda: at)
    assert calendar.today() == FRIDAY
    assert Calendar(clock=lambda: at).today() == date(2026, 12, 5)


@pytest.mark.parametrize(
    ("status", "due", "late"),
    [
        ("IN_PRODUCTION", "2026-12-03", True),
        ("IN_PRODUCTION", "2026-12-04", False),  # due today: not yet
        ("READY", "2026-11-01", True),
        ("HANDED_TO_DELIVERY", "2026-11-01", False),
        ("COMPLETED", "2026-11-01", False),
        ("CANCELLED", "2026-11-01", False),
        ("CONFIRMED", None, False),
    ],
)
def test_late(status: str, due: str | None, late: bool) -> None:
    assert is_late({"status": status, "dueAt": due}, FRIDAY) is late


def test_the_variables() -> None:
    assert parse_lead_days(None) == 3 and parse_lead_days(" 5 ") == 5 and parse_lead_days("") == 3
    assert parse_holidays("2026-12-24, 2026-12-25") == {date(2026, 12, 24), date(2026, 12, 25)}
    assert parse_holidays(None) == frozenset()
    for bad in ("-1", "three", "366", "2.5"):
        with pytest.raises(PlanningConfigError, match="KRAFTA_LEAD_DAYS"):
            parse_lead_days(bad)
    with pytest.raises(PlanningConfigError, match="'24/12/2026'"):
        parse_holidays("2026-12-25,24/12/2026")


def test_a_bad_variable_stops_the_server_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAFTA_HOLIDAYS", "navidad")
    with pytest.raises(ConfigError, match=r"^KRAFTA_HOLIDAYS: 'navidad' is not a date") as caught:
        Settings.from_env()
    assert "\n" not in str(caught.value)
    monkeypatch.delenv("KRAFTA_HOLIDAYS")
    monkeypatch.setenv("KRAFTA_LEAD_DAYS", "4")
    assert Settings.from_env().lead_days == 4


def test_an_order_from_before_planning_reads_as_normal_unheld_with_move_entries() -> None:
    old = {
        "id": "x",
        "status": "CONFIRMED",
        "items": [{}],
        "payments": [],
        "history": [{"fromStatus": None, "toStatus": "CONFIRMED", "at": "2026-12-01T10:00:00+00:00"}],
    }
    record = upgrade(old)
    assert (record["priority"], record["dueAt"], record["history"][0]["kind"]) == ("normal", None, "move")
    assert "hold" not in record or record["hold"] is None
