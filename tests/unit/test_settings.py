"""`server.settings`: what `Settings.from_env()` reads from `KRAFTA_*`, and what `Settings(...)` does not."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from server.domain.lifecycle import Status
from server.settings import ConfigError, Settings

READ = [
    ("KRAFTA_DATA_DIR", "/srv/krafta", "data_dir", Path("/srv/krafta")),
    ("KRAFTA_DATABASE_URL", "postgresql://k@db/k", "database_url", "postgresql://k@db/k"),
    ("KRAFTA_FALLBACK_DIR", "/srv/fb", "fallback_dir", Path("/srv/fb")),
    ("KRAFTA_JWT_SECRET", "s" * 40, "jwt_secret", "s" * 40),
    ("KRAFTA_HOST", "0.0.0.0", "host", "0.0.0.0"),
    ("KRAFTA_PORT", " 9000 ", "port", 9000),
    ("KRAFTA_REPLAY_INTERVAL", "0.5", "replay_interval_seconds", 0.5),
    ("KRAFTA_DOCS", "Off", "docs", False),
    ("KRAFTA_BODY_TIMEOUT", "2", "body_timeout_seconds", 2.0),
    ("KRAFTA_HEADER_TIMEOUT", "0.5", "header_timeout_seconds", 0.5),
    ("KRAFTA_RATE_LIMIT_ORDERS", "0", "rate_limit_orders", 0),
    ("KRAFTA_RATE_LIMIT_LOGINS", "3", "login_failures_per_address", 3),
    ("KRAFTA_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,", "trusted_proxies", ("10.0.0.0/8", "127.0.0.1")),
    ("KRAFTA_EVENTS_HEARTBEAT", "0.3", "events_heartbeat_seconds", 0.3),
    ("KRAFTA_EVENTS_QUEUE", "4", "events_queue_size", 4),
    ("KRAFTA_EVENTS_PER_USER", "3", "events_per_user", 3),
    ("KRAFTA_EVENTS_SUBSCRIBERS", "0", "events_subscribers", 0),
    ("KRAFTA_LEAD_DAYS", " 5", "lead_days", 5),
    (
        "KRAFTA_HOLIDAYS",
        "2026-12-24,2026-12-25",
        "holidays",
        frozenset({date(2026, 12, 24), date(2026, 12, 25)}),
    ),
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("KRAFTA_DATA_DIR", "KRAFTA_DATABASE_URL", "KRAFTA_STUCK_AFTER", *(r[0] for r in READ)):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(("variable", "value", "field", "expected"), READ)
def test_each_variable_is_read_into_its_setting(
    env: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    default = getattr(Settings(), field)
    env.setenv(variable, value)

    assert getattr(Settings.from_env(), field) == expected != default


def test_stuck_after_is_parsed_into_rules(env: pytest.MonkeyPatch) -> None:
    env.setenv("KRAFTA_STUCK_AFTER", "READY=12h")

    assert Settings.from_env().stuck_rules.after == {Status.READY: timedelta(hours=12)}


@pytest.mark.parametrize(
    ("value", "on"),
    [("off", False), ("0", False), (" NO ", False), ("false", False), ("yes", True), ("anything", True)],
)
def test_docs_are_on_unless_turned_off(env: pytest.MonkeyPatch, value: str, on: bool) -> None:
    env.setenv("KRAFTA_DOCS", value)

    assert Settings.from_env().docs is on


def test_an_empty_variable_is_unset(env: pytest.MonkeyPatch) -> None:
    for variable, *_ in READ:
        env.setenv(variable, "")
    env.setenv("KRAFTA_STUCK_AFTER", "")

    assert Settings.from_env() == Settings()


def test_only_the_documented_variables_are_read(env: pytest.MonkeyPatch) -> None:
    # Tuning and state have no variable; a field's own name is no second spelling of a renamed one.
    for name in (
        "KRAFTA_WORKER_THREADS",
        "KRAFTA_DB_POOL_SIZE",
        "KRAFTA_TOKEN_TTL_SECONDS",
        "KRAFTA_MIGRATE_WHEN_REACHABLE",
        "KRAFTA_EVENTS_RETENTION_HOURS",
        "KRAFTA_REPLAY_INTERVAL_SECONDS",
        "KRAFTA_EVENTS_QUEUE_SIZE",
        "KRAFTA_STUCK_RULES",
        "krafta_port",
    ):
        env.setenv(name, "1")

    assert Settings.from_env() == Settings()


def test_settings_built_in_code_read_no_variable(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("KRAFTA_DATABASE_URL", "postgresql://someone@production/krafta")
    env.setenv("KRAFTA_PORT", "1")

    settings = Settings(data_dir=tmp_path)

    assert (settings.database_url, settings.port) == ("", 8000)
    assert settings.db_url == f"sqlite:///{tmp_path / 'krafta.db'}"


def test_overrides_win_over_the_variables(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("KRAFTA_PORT", "9000")
    env.setenv("KRAFTA_HOST", "0.0.0.0")

    settings = Settings.from_env(port=7000, host=None, data_dir=tmp_path)

    assert (settings.port, settings.host, settings.data_dir) == (7000, "0.0.0.0", tmp_path)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("KRAFTA_PORT", "eighty", "KRAFTA_PORT='eighty' is not a number"),
        ("KRAFTA_PORT", "80.5", "KRAFTA_PORT='80.5' is not a number"),
        ("KRAFTA_RATE_LIMIT_ORDERS", "-1", "KRAFTA_RATE_LIMIT_ORDERS='-1' must not be negative"),
        ("KRAFTA_RATE_LIMIT_LOGINS", "x", "KRAFTA_RATE_LIMIT_LOGINS='x' is not a number"),
        ("KRAFTA_REPLAY_INTERVAL", "nan", "KRAFTA_REPLAY_INTERVAL='nan' is not a number"),
        ("KRAFTA_EVENTS_QUEUE", "-4", "KRAFTA_EVENTS_QUEUE='-4' must not be negative"),
        ("KRAFTA_EVENTS_PER_USER", "many", "KRAFTA_EVENTS_PER_USER='many' is not a number"),
        ("KRAFTA_BODY_TIMEOUT", "  ", "KRAFTA_BODY_TIMEOUT='  ' is not a number"),
        (
            "KRAFTA_STUCK_AFTER",
            "CONFIRMED=2 days",
            "KRAFTA_STUCK_AFTER: CONFIRMED='2 days' is not a duration",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    env: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    env.setenv(variable, value)

    with pytest.raises(ConfigError) as raised:
        Settings.from_env()

    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)

    with pytest.raises(FrozenInstanceError):
        settings.port = 1  # type: ignore[misc]
    assert replace(settings, migrate_when_reachable=True).migrate_when_reachable
