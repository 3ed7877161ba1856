"""Server-side commands: `krafta serve`, `admin create`, `db upgrade`, `fallback status|sync`.

These run on the server machine and are the only CLI code that imports `server` — always inside the
command body, so `krafta --help` and the staff commands never load FastAPI or SQLAlchemy.
"""

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from krafta_cli.commands.options import JsonOption, parse_role
from krafta_cli.errors_cli import fail
from krafta_cli.exit_codes import ExitCode
from krafta_cli.prompts import read_new_password
from krafta_cli.view import reason

__all__ = ["DEMO_TOKEN_FILE", "register"]

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: KRAFTA_DATABASE_URL, else SQLite in the data dir)."),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: KRAFTA_DATA_DIR, else the platform's)."),
]

admin_app = typer.Typer(
    help="Administration on the server machine (direct database access).", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
fallback_app = typer.Typer(
    help="Orders held in the JSON fallback while the database was down.", no_args_is_help=True
)


def _settings(db: str | None, data_dir: Path | None, **extra: object):  # type: ignore[no-untyped-def]
    from server.settings import ConfigError, Settings

    try:
        return Settings.from_env(database_url=db, data_dir=data_dir, **extra)
    except ConfigError as error:
        fail(f"cannot start: {error}", ExitCode.USAGE)


def _migrate(url: str, *, may_wait: bool = False) -> bool:
    """Run the migrations; False when the database is down and `may_wait` (the server starts anyway)."""
    from server.db import is_unavailable
    from server.migrate import upgrade

    try:
        upgrade(url)
        return True
    except Exception as error:
        if not is_unavailable(error):
            raise
        reason = str(error).splitlines()[0]
        if not may_wait:
            fail(f"cannot reach the database {_safe(url)}: {reason}", ExitCode.UNREACHABLE)
        typer.echo(
            f"warning: cannot reach the database {_safe(url)} ({reason}); starting anyway: "
            "new orders go to the "
            "JSON fallback and are replayed once it answers",
            err=True,
        )
        return False


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (default: KRAFTA_HOST or 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port, 1-65535 (default: KRAFTA_PORT or 8000).")
    ] = None,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Seed demo users, products and ~40 orders (once).")
    ] = False,
) -> None:
    """Run the orders server (migrates the database first)."""
    import errno
    import socket

    demo_hash = _hash_in_background(os.environ.get("KRAFTA_DEMO_PASSWORD")) if demo else None

    import uvicorn

    from server.app import create_app
    from server.auth import hash_password
    from server.db import Database
    from server.demo import DEMO_ADMIN, DEMO_TALLER, seed_demo
    from server.settings import ConfigError

    settings = _settings(db, data_dir, host=host, port=port)
    if not 1 <= settings.port <= 65535:
        fail(f"port {settings.port} is not in 1-65535 (check KRAFTA_PORT)", ExitCode.USAGE)
    # We bind the socket and hand it to uvicorn, before migrating or seeding anything: a busy port
    # is one clear line now, not uvicorn's log and its exit code 3 (our "authentication") later.
    listener = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET, socket.SOCK_STREAM)
    # As uvicorn does: a restart may reuse the port while old connections sit in TIME_WAIT.
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((settings.host, settings.port))
    except OSError as error:
        listener.close()
        if error.errno == errno.EADDRINUSE:
            fail(f"port {settings.port} on {settings.host} is already in use", ExitCode.ERROR)
        reason = error.strerror or str(error)
        fail(f"cannot listen on {settings.host} port {settings.port}: {reason}", ExitCode.ERROR)
    with listener:
        # A shop's server must take orders even when the database is down at start: the fallback is for that.
        if not _migrate(settings.db_url, may_wait=not demo):
            settings = dataclasses.replace(settings, migrate_when_reachable=True)
        if demo:
            database = Database(settings.db_url, pool_size=2)
            seeded = seed_demo(
                database,
                password=os.environ.get("KRAFTA_DEMO_PASSWORD") or None,
                password_hash=demo_hash or hash_password,
            )
            database.dispose()
            if seeded.created:
                typer.echo(f"demo data: {seeded.orders} orders; log in as {DEMO_ADMIN} or {DEMO_TALLER}")
                typer.echo(f"demo password: {seeded.password}")
            else:
                typer.echo("demo data already present (the password was printed when it was first seeded)")
        typer.echo(
            f"krafta server on http://{settings.host}:{settings.port} — database {_safe(settings.db_url)}"
        )
        try:
            app = create_app(settings)
        except ConfigError as error:
            fail(f"cannot start: {error}", ExitCode.ERROR)
        token_file = os.environ.get(DEMO_TOKEN_FILE)
        if demo and token_file:
            try:
                _write_demo_token(app, Path(token_file))
            except Exception as error:  # only a shortcut: without the file `krafta demo` logs in
                typer.echo(f"warning: no demo token written ({type(error).__name__}: {error})", err=True)
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=settings.host,
                port=settings.port,
                log_level=os.environ.get("KRAFTA_LOG_LEVEL", "info"),
                timeout_graceful_shutdown=5,
                # The server decides which proxies' X-Forwarded-For to believe (KRAFTA_TRUSTED_PROXIES);
                # uvicorn's own default would believe any local process.
                proxy_headers=False,
            )
        )
        try:
            server.run(sockets=[listener])
        except SystemExit as exit_:
            # uvicorn exits 3 when the app's start-up fails; 3 means "authentication" to our users.
            if exit_.code not in (None, 0):
                fail("the server failed to start (its log above says why)", ExitCode.ERROR)
            raise
    if not server.started:
        fail("the server failed to start (its log above says why)", ExitCode.ERROR)


def _hash_in_background(password: str | None) -> Callable[[str], str] | None:
    """Start hashing the demo password now, in a thread, while the server stack is being imported.

    Argon2 runs in C without the GIL: on a second core the ~0.2 s hash costs `krafta demo` nothing.
    Returns what `seed_demo` calls for the hash (it waits for the thread), or None without a password.
    """
    if not password:
        return None
    import threading

    from argon2 import PasswordHasher  # what server/auth.py uses, with the same defaults

    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(PasswordHasher().hash(password)), daemon=True)
    worker.start()

    def hashed(given: str) -> str:
        worker.join()
        if given != password or not result:
            from server.auth import hash_password

            return hash_password(given)
        return result[0]

    return hashed


DEMO_TOKEN_FILE = "KRAFTA_DEMO_TOKEN_FILE"
"""Where `krafta serve --demo` writes a session token for the demo admin (set by `krafta demo`, which
then skips a login: an Argon2 check costs ~0.2 s it would wait for before the first card)."""


def _write_demo_token(app: object, path: Path) -> None:
    from sqlalchemy import select

    from server.demo import DEMO_ADMIN
    from server.models import User

    services = app.state.services  # type: ignore[attr-defined]
    with services.db.session() as session:
        admin = session.scalar(select(User).where(User.email == DEMO_ADMIN))
    if admin is None:
        return  # not our demo database: the client logs in instead
    token, _ = services.tokens.issue(user_id=admin.id, email=admin.email, role=admin.role)
    # Written whole, then renamed, 0600: the reader never sees half a token, nobody else sees it at all.
    partial = path.with_name(path.name + ".tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(token)
    os.replace(partial, path)


@admin_app.command("create")
def admin_create(
    email: Annotated[str, typer.Argument(help="The new user's email.")],
    role: Annotated[
        str,
        typer.Option(
            metavar="ROLE", callback=parse_role, help="ADMIN, TALLER, CLIENTE or CREADOR (default ADMIN)."
        ),
    ] = "ADMIN",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create a user directly in the database: the way to make the first admin.

    Asks for the password (hidden, twice; at least 8 characters) unless --password-stdin.
    """
    from server.errors import ApiError
    from server.schemas import UserIn, parse
    from server.users import UserService

    password = read_new_password(from_stdin=password_stdin)
    settings = _settings(db, data_dir)
    try:
        new = parse(UserIn, {"email": email, "password": password, "role": role})
    except ApiError as error:
        field, problem = next(iter(getattr(error, "fields", {"input": str(error)}).items()))
        fail(f"invalid {field}: {reason(problem)}", ExitCode.INVALID)
    _migrate(settings.db_url)
    from server.db import Database

    database = Database(settings.db_url, pool_size=1)
    try:
        user = UserService(database).create(email=new.email, password=new.password, role=new.role)
    except ApiError as error:
        fail(error.message, ExitCode.CONFLICT if error.status_code == 409 else ExitCode.ERROR)
    finally:
        database.dispose()
    typer.echo(f"created {user['role']} {user['email']}")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None, data_dir: DataDirOption = None) -> None:
    """Apply the database migrations (krafta serve does this at start too)."""
    settings = _settings(db, data_dir)
    _migrate(settings.db_url)
    typer.echo(f"database {_safe(settings.db_url)} is up to date")


FallbackDirOption = Annotated[
    Path | None, typer.Option("--fallback-dir", help="Fallback directory (default: KRAFTA_FALLBACK_DIR).")
]


@fallback_app.command("status")
def fallback_status(
    db: DbOption = None,
    data_dir: DataDirOption = None,
    fallback_dir: FallbackDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the orders waiting in the JSON fallback."""
    from server.fallback import FallbackStore

    settings = _settings(db, data_dir, fallback_dir=fallback_dir)
    pending = FallbackStore(settings.orders_fallback_dir).pending()
    rows = [
        {"id": o["id"], "orderNumber": o["orderNumber"], "status": o["status"], "createdAt": o["createdAt"]}
        for o in pending
    ]
    if as_json:
        typer.echo(
            json.dumps({"directory": str(settings.orders_fallback_dir), "pending": rows}, ensure_ascii=False)
        )
        return
    typer.echo(f"{len(rows)} order(s) waiting in {settings.orders_fallback_dir}")
    for r in rows:
        typer.echo(f"{r['orderNumber']}\t{r['status']}\t{r['createdAt']}\t{r['id']}")


@fallback_app.command("sync")
def fallback_sync(
    db: DbOption = None, data_dir: DataDirOption = None, fallback_dir: FallbackDirOption = None
) -> None:
    """Import the fallback orders into the database (idempotent), then move their files to imported/."""
    from server.db import Database
    from server.fallback import FallbackStore
    from server.replay import Replayer

    settings = _settings(db, data_dir, fallback_dir=fallback_dir)
    _migrate(settings.db_url)
    database = Database(settings.db_url, pool_size=2)
    try:
        report = Replayer(database, FallbackStore(settings.orders_fallback_dir)).run()
    finally:
        database.dispose()
    typer.echo(
        f"imported {len(report.imported)}, already in the database {len(report.already)}, "
        f"still pending {report.pending}"
    )
    for order_id in report.duplicates:
        typer.echo(
            f"not imported twice: {order_id} repeats an order already stored (same Idempotency-Key); "
            "its file is in duplicates/"
        )
    for old, new in report.renumbered.items():
        typer.echo(f"renumbered {old} → {new} (the number was taken meanwhile)")
    if report.database_down:
        fail(f"the database stopped answering; {report.pending} order(s) still pending", ExitCode.UNREACHABLE)


def register(app: typer.Typer) -> None:
    app.command("serve", rich_help_panel="On the server machine")(serve)
    app.add_typer(admin_app, name="admin", rich_help_panel="On the server machine")
    app.add_typer(db_app, name="db", rich_help_panel="On the server machine")
    app.add_typer(fallback_app, name="fallback", rich_help_panel="On the server machine")
