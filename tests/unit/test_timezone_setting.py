"""KRAFTA_TIMEZONE: the shop's time zone, by IANA name; unset is the server machine's zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from server.settings import ConfigError, Settings, machine_zone


def test_a_zone_name_is_the_shops_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAFTA_TIMEZONE", " America/Caracas ")

    assert Settings.from_env().timezone == ZoneInfo("America/Caracas")


@pytest.mark.parametrize("value", [None, "", "  "])
def test_unset_or_empty_is_the_machines_zone(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    if value is None:
        monkeypatch.delenv("KRAFTA_TIMEZONE", raising=False)
    else:
        monkeypatch.setenv("KRAFTA_TIMEZONE", value)

    assert machine_zone() == ZoneInfo("Asia/Tokyo")
    assert Settings.from_env().timezone == ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize("value", ["Mars/Olympus_Mons", "../../etc/passwd", "UTC+4"])
def test_a_name_that_is_not_a_zone_stops_the_server_with_one_line(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("KRAFTA_TIMEZONE", value)

    with pytest.raises(ConfigError) as refused:
        Settings.from_env()

    assert str(refused.value) == f"KRAFTA_TIMEZONE={value!r} is not a time zone name (like America/Caracas)"
