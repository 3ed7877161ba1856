"""Server settings, read from `KRAFTA_*` environment variables.

`Settings(...)` is exactly what it is given (tests and `krafta serve` build one and hand it to
`create_app(settings)`; nothing comes in from the environment that way); `Settings.from_env()`
reads the variables. An empty variable counts as unset; a bad value is a `ConfigError` of one line
naming the variable. tests/unit/test_settings.py pins each variable, default and message.

Hand-written, not pydantic-settings (issue 20 asked for it where it measures no slower). This code
runs once per server start and per `krafta admin|db|fallback` command, so start-up is its hot path,
and there the swap measured slower and came out longer: importing pydantic-settings costs ~14 ms of
CPU on top of what the server already imports, building and reading a `BaseSettings` ~5 ms more,
against ~3 ms for this module and 0.2 ms for `from_env` (5 runs each, `time.process_time()` around
the import after fastapi/uvicorn/sqlalchemy/pydantic were loaded). Whole processes, 15 alternating
rounds on a loaded 2-core box: `from server.operator import load_settings; load_settings()` 786 →
809 ms CPU (median, 1.03x); `krafta serve` to its first answer (`bench/libs_ab.py`, 9 rounds, with
the SSE swap's ~2 ms import too): 1160 → 1180 ms CPU (1.02x). Keeping this module's behaviour
(renamed variables such as `KRAFTA_RATE_LIMIT_LOGINS`, tuning fields that must not become
variables, one-line messages) took a custom environment source and an error translation: 238 lines
where this module had 176. The swap is on the branch `libs-settings-swap`.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import stat
from dataclasses import dataclass, field, replace
from datetime import UTC, date, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from server.domain.planning import DEFAULT_LEAD_DAYS, PlanningConfigError, parse_holidays, parse_lead_days
from server.domain.stuck import StuckAfterError, StuckRules, parse_stuck_after

__all__ = ["ConfigError", "Settings", "load_jwt_secret", "machine_zone", "parse_timezone", "private_dir"]

MAX_BODY_BYTES = 5 * 1024 * 1024
# HS256 with a shorter key is guessable offline from one token; RFC 7518 asks for at least the hash size.
MIN_SECRET_BYTES = 32


class ConfigError(Exception):
    """A setting the server cannot start with; `krafta serve` prints the message as one line and exits."""


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("krafta", appauthor=False))


def _number(env: dict[str, str] | os._Environ[str], name: str, default: str, kind: type = int) -> float:
    raw = env.get(name, "") or default
    try:
        value: float = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if math.isnan(value):
        raise ConfigError(f"{name}={raw!r} is not a number")
    if value < 0:
        raise ConfigError(f"{name}={raw!r} must not be negative")
    return value


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name.strip()) if name.strip() else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def machine_zone() -> tzinfo:
    """The server machine's IANA time zone: `TZ`, Debian's /etc/timezone, or where /etc/localtime
    points; UTC when none of them names one."""
    names = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        names.append(Path("/etc/timezone").read_text())
    with contextlib.suppress(OSError):
        names.append(os.readlink("/etc/localtime").partition("zoneinfo/")[2])
    return next((zone for name in names if (zone := _zone(name)) is not None), UTC)


def parse_timezone(value: str | None) -> tzinfo:
    """KRAFTA_TIMEZONE: an IANA name (`America/Caracas`); unset or empty is the machine's zone."""
    if value is None or not value.strip():
        return machine_zone()
    zone = _zone(value)
    if zone is None:
        raise ConfigError(f"KRAFTA_TIMEZONE={value!r} is not a time zone name (like America/Caracas)")
    return zone


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str = ""
    fallback_dir: Path | None = None
    jwt_secret: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    token_ttl_seconds: int = 24 * 3600
    # How often the server looks for fallback files to replay once the database answers.
    replay_interval_seconds: float = 5.0
    # Threads serving sync endpoints; the connection pool is sized to match (see db.py).
    worker_threads: int = 32
    # Connections per process. Fewer than threads is safe: no request holds one while it waits for
    # another thread, so a short queue at the pool is all that can happen, never a stall.
    db_pool_size: int = 20
    # True when `krafta serve` could not migrate at start because the database was down.
    migrate_when_reachable: bool = False
    # Live events: a comment at least this often keeps proxies and clients from timing a stream out.
    events_heartbeat_seconds: float = 15.0
    # Events a subscriber may have waiting; past that it gets `resync` and is dropped.
    events_queue_size: int = 1000
    # Open event streams per user (a person runs a handful of boards and watches) and per process;
    # beyond them a new stream is refused with 429. 0 = no limit. An idle stream costs ~37 KB of the
    # server's memory (500 streams: RSS 96 → 114 MB); with 500 open, a POST took 50 ms (median of
    # 30, 8 ms with none) on a 2-core box at load 8–10, every order being told to every stream.
    events_per_user: int = 24
    events_subscribers: int = 500
    # How long events are kept for subscribers resuming with Last-Event-ID (the spec: at least 24 h).
    events_retention_hours: float = 24.0
    # /docs, /redoc and /openapi.json (KRAFTA_DOCS=off hides them from the public).
    docs: bool = True
    # A request body must have arrived this many seconds after the request started (else 408).
    body_timeout_seconds: float = 30.0
    # A request's headers must have arrived this many seconds after the connection opened or the
    # request's first byte (else the connection is closed: `api/protocol.py`). 0 = no limit.
    header_timeout_seconds: float = 10.0
    # Orders one client address may create per minute, per server process; 0 = no limit.
    rate_limit_orders: int = 60
    # Failed logins within a minute: per (email, client address), per client address, per email.
    login_failures_per_client: int = 5
    login_failures_per_address: int = 20
    login_failures_per_email: int = 50
    # Peers whose X-Forwarded-For is believed (addresses or networks, e.g. "10.0.0.0/8,127.0.0.1").
    trusted_proxies: tuple[str, ...] = ()
    # How long an order may sit in each status before staff see it marked `stuck` (KRAFTA_STUCK_AFTER).
    stuck_rules: StuckRules = field(default_factory=lambda: parse_stuck_after(None))
    # The shop's time zone: a manifest's day runs from its midnight to the next, tickets print its times.
    timezone: tzinfo = field(default_factory=machine_zone)
    # Working days from confirmation to the promised day (KRAFTA_LEAD_DAYS), and days that do not
    # count (KRAFTA_HOLIDAYS): `planning.Calendar`.
    lead_days: int = DEFAULT_LEAD_DAYS
    holidays: frozenset[date] = frozenset()
    # How often the server looks for holds whose `until` day has come.
    holds_interval_seconds: float = 60.0

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        try:
            stuck_rules = parse_stuck_after(env.get("KRAFTA_STUCK_AFTER"))
            lead_days = parse_lead_days(env.get("KRAFTA_LEAD_DAYS"))
            holidays = parse_holidays(env.get("KRAFTA_HOLIDAYS"))
        except (StuckAfterError, PlanningConfigError) as error:
            raise ConfigError(str(error)) from None
        data_dir = Path(env["KRAFTA_DATA_DIR"]) if env.get("KRAFTA_DATA_DIR") else _default_data_dir()
        settings = cls(
            data_dir=data_dir,
            database_url=env.get("KRAFTA_DATABASE_URL", ""),
            fallback_dir=Path(env["KRAFTA_FALLBACK_DIR"]) if env.get("KRAFTA_FALLBACK_DIR") else None,
            jwt_secret=env.get("KRAFTA_JWT_SECRET", ""),
            # Empty is unset, as for every variable: "" would listen on every interface.
            host=env.get("KRAFTA_HOST") or "127.0.0.1",
            port=int(_number(env, "KRAFTA_PORT", "8000")),
            replay_interval_seconds=_number(env, "KRAFTA_REPLAY_INTERVAL", "5", float),
            docs=env.get("KRAFTA_DOCS", "on").strip().lower() not in ("off", "0", "false", "no"),
            body_timeout_seconds=_number(env, "KRAFTA_BODY_TIMEOUT", "30", float),
            header_timeout_seconds=_number(env, "KRAFTA_HEADER_TIMEOUT", "10", float),
            rate_limit_orders=int(_number(env, "KRAFTA_RATE_LIMIT_ORDERS", "60")),
            login_failures_per_address=int(_number(env, "KRAFTA_RATE_LIMIT_LOGINS", "20")),
            trusted_proxies=tuple(
                p.strip() for p in env.get("KRAFTA_TRUSTED_PROXIES", "").split(",") if p.strip()
            ),
            events_heartbeat_seconds=_number(env, "KRAFTA_EVENTS_HEARTBEAT", "15", float),
            events_queue_size=int(_number(env, "KRAFTA_EVENTS_QUEUE", "1000")),
            events_per_user=int(_number(env, "KRAFTA_EVENTS_PER_USER", "24")),
            events_subscribers=int(_number(env, "KRAFTA_EVENTS_SUBSCRIBERS", "500")),
            stuck_rules=stuck_rules,
            timezone=parse_timezone(env.get("KRAFTA_TIMEZONE")),
            lead_days=lead_days,
            holidays=holidays,
        )
        clean: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **clean) if clean else settings

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'krafta.db'}"

    @property
    def orders_fallback_dir(self) -> Path:
        # Not `public/orders` as in the seed: that folder sat where its web server published files,
        # so customers' payment details could be downloaded by anyone who guessed a name.
        return self.fallback_dir or (self.data_dir / "fallback")


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) as 0700, and take group/other access away from one we own.

    A shared sticky directory (like /tmp) is never touched: only a folder that is ours to keep private.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid == os.geteuid() and not info.st_mode & stat.S_ISVTX and info.st_mode & 0o077:
        with contextlib.suppress(OSError):
            path.chmod(0o700)
    return path


def load_jwt_secret(settings: Settings) -> str:
    """The signing key: `KRAFTA_JWT_SECRET`, or one made once and kept (mode 0600) in the data dir.

    Raises `ConfigError` for a key under 32 bytes, whichever the source.
    """
    if settings.jwt_secret:
        secret, source = settings.jwt_secret, "KRAFTA_JWT_SECRET"
    else:
        path = private_dir(settings.data_dir) / "jwt-secret"
        secret, source = _read_or_create(path), str(path)
    size = len(secret.encode())
    if size < MIN_SECRET_BYTES:
        hint = "set a longer one" if source == "KRAFTA_JWT_SECRET" else "delete the file to have one made"
        raise ConfigError(
            f"the JWT signing key from {source} is {size} bytes; "
            f"it must be at least {MIN_SECRET_BYTES} ({hint})"
        )
    return secret


def _read_or_create(path: Path) -> str:
    if not path.exists():
        # Written whole under a private name, then linked into place: a reader never sees a partial or
        # empty key, and link() (unlike rename) refuses to replace a key another process put there
        # first, so servers started at once all end up with the same key.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()
