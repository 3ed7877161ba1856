"""Run the Alembic migrations programmatically (`krafta serve` at start, `krafta db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from server.storage.db import normalize_url, private_sqlite_file
from server.storage.order_json import fill_missing

__all__ = ["alembic_config", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate to `revision`; at the head, then store the list JSON of orders that have none
    (`order_json.fill_missing`: made from this server's declaration, which a migration must not use)."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        private_sqlite_file(parsed.database)
    command.upgrade(alembic_config(url), revision)
    if revision == "head":
        engine = create_engine(normalize_url(url))
        try:
            with engine.begin() as conn:
                fill_missing(conn)
        finally:
            engine.dispose()
