"""Server-side commands: `krafta serve`, `admin create`, `db upgrade`, `fallback status|sync`.

These run on the server machine and are the only CLI code that imports `server` — only its operator
face, `server.operator`, and always inside the command body, so `krafta --help` and the staff
commands never load FastAPI or SQLAlchemy.
"""

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from krafta_cli.client import Role
from krafta_cli.commands.options import JsonOption, parse_role
from krafta_cli.errors_cli import fail
from krafta_cli.exit_codes import ExitCode
from krafta_cli.prompts import read_new_password
from krafta_cli.view import reason

__all__ = ["DEMO_TOKEN_FILE", "admin_app", "db_app", "fallback_app", "serve"]

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
    from server import operator

    try:
        return operator.load_settings(database_url=db, data_dir=data_dir, **extra)
    except operator.OperatorError as error:
        fail(f"cannot start: {error}", ExitCode.USAGE)


def _migrate(settings, *, may_wait: bool = False) -> bool:  # type: ignore[no-untyped-def]
    """Run the migrations; False when the database is down and `may_wait` (the server starts anyway).

    A database that refuses us (no such role or database, a wrong password) or a SQLite folder that
    does not exist is exit 1: only a database that does not answer is waited for.
    """
    from server import operator

    try:
        operator.migrate(settings)
        return True
    except operator.DatabaseUnreachable as error:
        if not may_wait:
            fail(str(error), ExitCode.UNREACHABLE)
        typer.echo(
            f"warning: {error}; starting anyway: new orders go to the "
            "JSON fallback and are replayed once it answers",
            err=True,
        )
        return False
    except operator.OperatorError as error:
        fail(str(error), ExitCode.ERROR)


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
        bool,
        typer.Option(
            "--demo",
            help="Seed demo users, products and ~40 orders (once); a new order and one moved every "
            "20-40 s; the demo accounts printed on every start.",
        ),
    ] = False,
    still: Annotated[
        bool, typer.Option("--still", help="With --demo: no new orders nor moves (a demo that stands still).")
    ] = False,
) -> None:
    """Run the orders server (migrates the database first)."""
    import errno
    import socket

    demo_hash = _hash_in_background(os.environ.get("KRAFTA_DEMO_PASSWORD")) if demo else None

    from server import operator

    every = _demo_every(os.environ.get(DEMO_EVERY))
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
        if not _migrate(settings, may_wait=not demo):
            settings = operator.with_migrate_later(settings)
        if demo:
            seeded = operator.seed_demo(
                settings, password=os.environ.get("KRAFTA_DEMO_PASSWORD") or None, password_hash=demo_hash
            )
            # Every start: the accounts are worth nothing if their password was printed only once.
            typer.echo(f"demo data: {seeded.orders} orders" if seeded.created else "demo data: already there")
            typer.echo(
                f"demo accounts: {operator.DEMO_ADMIN} (ADMIN), {operator.DEMO_TALLER} (TALLER); "
                f"password: {seeded.password}"
            )
            if not still:
                every = every or operator.DEMO_EVERY
                typer.echo(
                    f"demo shop is live: a new order and one moved every {every[0]:g}-{every[1]:g} s "
                    "(--still for a demo that stands still)"
                )
        typer.echo(
            f"krafta server on http://{settings.host}:{settings.port} — "
            f"database {operator.safe_url(settings.db_url)}"
        )
        try:
            app = operator.build_app(settings)
        except operator.OperatorError as error:
            fail(f"cannot start: {error}", ExitCode.ERROR)
        token_file = os.environ.get(DEMO_TOKEN_FILE)
        if demo and token_file:
            try:
                operator.write_demo_token(app, Path(token_file))
            except Exception as error:  # only a shortcut: without the file `krafta demo` logs in
                typer.echo(f"warning: no demo token written ({type(error).__name__}: {error})", err=True)
        stop_life = operator.start_demo_life(app, every=every) if demo and not still else None
        try:
            started = operator.run_server(
                app, settings, listener, log_level=os.environ.get("KRAFTA_LOG_LEVEL", "info")
            )
        finally:
            if stop_life is not None:
                stop_life()
    if not started:
        fail("the server failed to start (its log above says why)", ExitCode.ERROR)


def _hash_in_background(password: str | None) -> Callable[[str], str] | None:
    """Start hashing the demo password now, in a thread, while the server stack is being imported.

    Argon2 runs in C without the GIL: on a second core the ~0.2 s hash costs `krafta demo` nothing.
    Returns what `seed_demo` calls for the hash (it waits for the thread), or None without a password.
    """
    if not password:
        return None
    import threading

    from argon2 import PasswordHasher  # what the server hashes with, with the same defaults

    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(PasswordHasher().hash(password)), daemon=True)
    worker.start()

    def hashed(given: str) -> str:
        worker.join()
        if given != password or not result:
            from server import operator

            return operator.hash_password(given)
        return result[0]

    return hashed


def _demo_every(value: str | None) -> tuple[float, float] | None:
    """`KRAFTA_DEMO_EVERY`: seconds between the living demo's beats, `20-40` (drawn between) or `30`;
    None when unset (the server's default, 20-40)."""
    if not value:
        return None
    low, _, high = value.partition("-")
    try:
        bounds = (float(low), float(high or low))
    except ValueError:
        bounds = (-1.0, -1.0)
    if not (0 < bounds[0] <= bounds[1] < 86400):
        fail(f"KRAFTA_DEMO_EVERY={value!r}: give seconds, as 30 or 20-40", ExitCode.USAGE)
    return bounds


DEMO_EVERY = "KRAFTA_DEMO_EVERY"
"""Seconds between two beats of the living demo (20-40 by default; tests make it quick)."""

DEMO_TOKEN_FILE = "KRAFTA_DEMO_TOKEN_FILE"
"""Where `krafta serve --demo` writes a session token for the demo admin (set by `krafta demo`, which
then skips a login: an Argon2 check costs ~0.2 s it would wait for before the first card)."""


@admin_app.command("create")
def admin_create(
    email: Annotated[str, typer.Argument(help="The new user's email.")],
    role: Annotated[
        str,
        typer.Option(
            metavar="ROLE", callback=parse_role, help="ADMIN, TALLER, CLIENTE or CREADOR (default ADMIN)."
        ),
    ] = Role.ADMIN.value,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create a user directly in the database: the way to make the first admin.

    Asks for the password (hidden, twice; at least 8 characters) unless --password-stdin.
    """
    from server import operator

    password = read_new_password(from_stdin=password_stdin)
    settings = _settings(db, data_dir)
    try:
        user = operator.create_user(settings, email=email, password=password, role=role)
    except operator.DatabaseUnreachable as error:
        fail(str(error), ExitCode.UNREACHABLE)
    except operator.OperatorError as error:
        if error.field is not None:
            fail(f"invalid {error.field}: {reason(str(error))}", ExitCode.INVALID)
        fail(str(error), ExitCode.CONFLICT if error.conflict else ExitCode.ERROR)
    typer.echo(f"created {user['role']} {user['email']}")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None, data_dir: DataDirOption = None) -> None:
    """Apply the database migrations (krafta serve does this at start too)."""
    settings = _settings(db, data_dir)
    _migrate(settings)
    from server import operator

    typer.echo(f"database {operator.safe_url(settings.db_url)} is up to date")


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
    from server import operator

    settings = _settings(db, data_dir, fallback_dir=fallback_dir)
    rows = operator.fallback_pending(settings)
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
    from server import operator

    settings = _settings(db, data_dir, fallback_dir=fallback_dir)
    try:
        report = operator.fallback_sync(settings)
    except operator.DatabaseUnreachable as error:
        fail(str(error), ExitCode.UNREACHABLE)
    except operator.OperatorError as error:
        fail(str(error), ExitCode.ERROR)
    typer.echo(
        f"imported {report.imported}, already in the database {report.already}, "
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
