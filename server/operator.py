"""The server's one face for its operator: what `krafta serve`, `admin create`, `db upgrade`,
`fallback status|sync` and `krafta demo` do on the server machine.

The CLI imports this module and nothing else of `server` (an import-linter contract says so), so
the rooms behind it can move without the CLI noticing. Every function takes `Settings` (or a URL)
and raises `OperatorError` with one line a person can read; nothing here prints.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from server.demo import DEMO_ADMIN, DEMO_EVERY, DEMO_TALLER
from server.settings import ConfigError, Settings

__all__ = [
    "DEMO_ADMIN",
    "DEMO_EVERY",
    "DEMO_TALLER",
    "DatabaseUnreachable",
    "DemoSeed",
    "OperatorError",
    "ReplayReport",
    "Settings",
    "build_app",
    "create_user",
    "fallback_pending",
    "fallback_sync",
    "hash_password",
    "load_settings",
    "migrate",
    "run_server",
    "safe_url",
    "seed_demo",
    "start_demo_life",
    "with_migrate_later",
    "write_demo_token",
]


class OperatorError(Exception):
    """Something the operator must fix; the message is one line. `conflict` for "already exists"."""

    def __init__(self, message: str, *, conflict: bool = False, field: str | None = None) -> None:
        super().__init__(message)
        self.conflict = conflict
        self.field = field


class DatabaseUnreachable(OperatorError):
    """The database does not answer (refused, timed out, down): the server may start on the fallback."""


def load_settings(**overrides: Any) -> Settings:
    """Settings from `KRAFTA_*`, with the given overrides (None means "not given")."""
    try:
        return Settings.from_env(**overrides)
    except ConfigError as error:
        raise OperatorError(str(error)) from None


def safe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def migrate(target: Settings | str) -> None:
    """Bring the schema up to date (of `settings.db_url`, or of a URL).

    `DatabaseUnreachable` when the database does not answer (refused, timed out, down): a server may
    start on the fallback then. `OperatorError` when it answers but refuses us (no such role or
    database, a wrong password) or a SQLite file's folder does not exist: a setting to fix, which
    waiting would not heal. The default data dir (the SQLite file's folder when no URL is set) is
    made here, private.
    """
    from server.settings import private_dir
    from server.storage.db import MissingFolder, refusal
    from server.storage.migrate import upgrade
    from server.storage.seam import unavailable

    if isinstance(target, Settings):
        if not target.database_url:
            private_dir(target.data_dir)
        url = target.db_url
    else:
        url = target
    try:
        upgrade(url)
    except MissingFolder as error:
        raise OperatorError(f"{error} (check the database URL: {safe_url(url)})") from None
    except Exception as error:
        if (reason := refusal(error)) is not None:
            raise OperatorError(f"the database {safe_url(url)} refuses the connection: {reason}") from None
        if not unavailable(error):
            raise
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DatabaseUnreachable(f"cannot reach the database {safe_url(url)}: {reason}") from None


def hash_password(password: str) -> str:
    from server.accounts.auth import hash_password as argon2_hash

    return argon2_hash(password)


@dataclass(frozen=True)
class DemoSeed:
    password: str
    created: bool
    orders: int


def seed_demo(
    settings: Settings, *, password: str | None, password_hash: Callable[[str], str] | None = None
) -> DemoSeed:
    """Seed the demo shop once (users, catalog, ~40 orders); `created` is False when it was there."""
    from server.demo import seed_demo as seed
    from server.storage.db import Database

    database = Database(settings.db_url, pool_size=2)
    try:
        seeded = seed(database, password=password, password_hash=password_hash or hash_password)
    finally:
        database.dispose()
    return DemoSeed(seeded.password, seeded.created, seeded.orders)


def create_user(settings: Settings, *, email: str, password: str, role: str) -> dict[str, Any]:
    """A user made directly in the database (the first admin); validated as `POST /api/users` is."""
    from server.accounts.users import UserService
    from server.domain.errors import AlreadyExists, Invalid
    from server.domain.schemas import UserIn, parse
    from server.storage.db import Database

    try:
        new = parse(UserIn, {"email": email, "password": password, "role": role})
    except Invalid as error:
        field, problem = next(iter(error.fields.items()), ("input", error.message))
        raise OperatorError(problem, field=field) from None
    migrate(settings)
    database = Database(settings.db_url, pool_size=1)
    try:
        return UserService(database).create(email=new.email, password=new.password, role=new.role)
    except AlreadyExists as error:
        raise OperatorError(error.message, conflict=True) from None
    finally:
        database.dispose()


def fallback_pending(settings: Settings) -> list[dict[str, Any]]:
    """The orders waiting in the fallback directory: id, number, status, createdAt."""
    from server.storage.files import FallbackStore

    return [
        {"id": o["id"], "orderNumber": o["orderNumber"], "status": o["status"], "createdAt": o["createdAt"]}
        for o in FallbackStore(settings.orders_fallback_dir).pending()
    ]


@dataclass(frozen=True)
class ReplayReport:
    imported: int
    already: int
    pending: int
    duplicates: list[str]
    renumbered: dict[str, str]
    database_down: bool


def fallback_sync(settings: Settings) -> ReplayReport:
    """Import the fallback's orders into the database (idempotent), as the server's own replay does."""
    from server.storage.db import Database
    from server.storage.files import FallbackStore
    from server.storage.replay import Replayer
    from server.storage.seam import OrderStorage

    migrate(settings)
    database = Database(settings.db_url, pool_size=2)
    try:
        report = Replayer(OrderStorage(database, FallbackStore(settings.orders_fallback_dir))).run()
    finally:
        database.dispose()
    return ReplayReport(
        imported=len(report.imported),
        already=len(report.already),
        pending=report.pending,
        duplicates=list(report.duplicates),
        renumbered=dict(report.renumbered),
        database_down=report.database_down,
    )


def build_app(settings: Settings) -> Any:
    """The ASGI app for these settings (`OperatorError` when a setting stops it)."""
    from server.api.app import create_app

    try:
        return create_app(settings)
    except ConfigError as error:
        raise OperatorError(str(error)) from None


def start_demo_life(app: Any, *, every: tuple[float, float] | None = None) -> Callable[[], None]:
    """Start the living demo on `app` (a new order and one moved every 20-40 s, `every` seconds
    when given); returns what stops it."""
    from server.demo import DemoLife

    life = DemoLife(app.state.services, every=every or DEMO_EVERY)
    life.start()
    return life.stop


def write_demo_token(app: Any, path: Path) -> bool:
    """Write a session token for the demo admin to `path` (0600, atomically); False when the
    database is not a demo one. `krafta demo` reads it instead of logging in (an Argon2 check costs
    ~0.2 s it would wait for before the first card)."""
    from sqlalchemy import select

    from server.storage.models import User

    services = app.state.services
    with services.db.session() as session:
        admin = session.scalar(select(User).where(User.email == DEMO_ADMIN))
    if admin is None:
        return False
    token, _ = services.tokens.issue(user_id=admin.id, email=admin.email, role=admin.role)
    partial = path.with_name(path.name + ".tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(token)
    os.replace(partial, path)
    return True


def run_server(app: Any, settings: Settings, listener: socket.socket, *, log_level: str) -> bool:
    """Serve `app` on an already bound socket until stopped; False when it failed to start."""
    import uvicorn

    from server.api.protocol import with_header_deadline

    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level=log_level,
            # uvicorn has no deadline for request headers: a client sending none held its connection.
            http=with_header_deadline(settings.header_timeout_seconds),
            timeout_graceful_shutdown=5,
            # The server decides which proxies' X-Forwarded-For to believe (KRAFTA_TRUSTED_PROXIES);
            # uvicorn's own default would believe any local process.
            proxy_headers=False,
        )
    )
    try:
        server.run(sockets=[listener])
    except SystemExit as exit_:
        # uvicorn exits 3 when the app's start-up fails.
        if exit_.code not in (None, 0):
            return False
        raise
    return bool(server.started)


def with_migrate_later(settings: Settings) -> Settings:
    """The settings of a server that starts while its database is down: migrate once it answers."""
    return replace(settings, migrate_when_reachable=True)
