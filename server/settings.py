"""Server settings, read from `KRAFTA_*` environment variables.

Kept as a plain frozen dataclass (no pydantic-settings) so that tests and `krafta serve` can build
one explicitly and hand it to `create_app(settings)`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

__all__ = ["Settings", "load_jwt_secret"]

MAX_BODY_BYTES = 5 * 1024 * 1024


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("krafta", appauthor=False))


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
    # How long events are kept for subscribers resuming with Last-Event-ID (the spec: at least 24 h).
    events_retention_hours: float = 24.0

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        data_dir = Path(env["KRAFTA_DATA_DIR"]) if env.get("KRAFTA_DATA_DIR") else _default_data_dir()
        settings = cls(
            data_dir=data_dir,
            database_url=env.get("KRAFTA_DATABASE_URL", ""),
            fallback_dir=Path(env["KRAFTA_FALLBACK_DIR"]) if env.get("KRAFTA_FALLBACK_DIR") else None,
            jwt_secret=env.get("KRAFTA_JWT_SECRET", ""),
            host=env.get("KRAFTA_HOST", "127.0.0.1"),
            port=int(env.get("KRAFTA_PORT", "8000")),
            replay_interval_seconds=float(env.get("KRAFTA_REPLAY_INTERVAL", "5")),
            events_heartbeat_seconds=float(env.get("KRAFTA_EVENTS_HEARTBEAT", "15")),
            events_queue_size=int(env.get("KRAFTA_EVENTS_QUEUE", "1000")),
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **clean) if clean else settings

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'krafta.db'}"

    @property
    def orders_fallback_dir(self) -> Path:
        return self.fallback_dir or (self.data_dir / "public" / "orders")


def load_jwt_secret(settings: Settings) -> str:
    """The signing key: `KRAFTA_JWT_SECRET`, or one made once and kept (mode 0600) in the data dir."""
    if settings.jwt_secret:
        return settings.jwt_secret
    path = settings.data_dir / "jwt-secret"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    # O_EXCL makes the first of several starting processes the only writer; the others read its key.
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
