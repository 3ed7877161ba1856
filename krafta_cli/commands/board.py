"""`krafta board` (the workshop board) and `krafta demo` (a throw-away shop with the board on it).

Textual, `tui` and `server` are imported inside the command bodies only: `krafta --help` and
`krafta orders list` must start without them.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from krafta_cli.client import KraftaClient, KraftaError, LoginResult
from krafta_cli.commands.options import ServerOption
from krafta_cli.commands.server_admin import DEMO_TOKEN_FILE
from krafta_cli.config import save_login
from krafta_cli.errors_cli import cli_errors, fail
from krafta_cli.exit_codes import ExitCode
from krafta_cli.session import current_session

if TYPE_CHECKING:
    from krafta_cli.server_process import ServerProcess
    from tui.app import BoardSummary

__all__ = ["board", "demo", "demo_server"]

HeadlessOption = Annotated[
    bool,
    typer.Option(
        "--headless",
        hidden=True,
        help="Run without a terminal and quit after the first paint, printing what was shown (tests, CI).",
    ),
]

# The demo's users, as server/demo.py seeds them (kept here: this module must not import the server).
DEMO_ADMIN = "admin@krafta.demo"
DEMO_TALLER = "taller@krafta.demo"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:  # the port is free now; the child binds it a moment later
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def demo_server(password: str, *, still: bool = False) -> Iterator[ServerProcess]:
    """`krafta serve --demo` over a fresh SQLite database in a temp dir, started (not yet ready);
    `still`: a demo that stands still (`--still`: no new orders nor moves).

    On exit — normal, exception, Ctrl-C or SIGTERM — the child is stopped, then the temp dir
    removed, in that order, so the database is never deleted under a running server.
    """
    import shutil
    import tempfile

    from krafta_cli.server_process import ServerProcess

    data_dir = Path(tempfile.mkdtemp(prefix="krafta-demo-"))
    env = {
        **os.environ,
        "KRAFTA_DATA_DIR": str(data_dir),
        "KRAFTA_DEMO_PASSWORD": password,
        DEMO_TOKEN_FILE: str(data_dir / "demo-token"),
    }
    # The user's own server settings must not leak into the demo (or the demo into them).
    for name in ("KRAFTA_DATABASE_URL", "KRAFTA_FALLBACK_DIR", "KRAFTA_HOST", "KRAFTA_PORT"):
        env.pop(name, None)
    server = ServerProcess(
        port=_free_port(),
        log_path=data_dir / "server.log",
        args=["--demo", *(["--still"] if still else []), "--db", f"sqlite:///{data_dir / 'krafta.db'}"],
        env=env,
        own_session=True,
        die_with_parent=True,
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
        if data_dir.exists():
            sys.stderr.write(f"warning: could not remove the demo data in {data_dir}\n")


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM/SIGHUP into an exception so every `finally` (and demo_server's cleanup) runs.
    raise SystemExit(128 + signum)


def _print_summary(summary: BoardSummary | None) -> None:
    if summary is None:
        fail("the board did not show any orders", ExitCode.ERROR)
    columns = ", ".join(f"{status} {count}" for status, count in summary.columns.items())
    typer.echo(f"board showed {summary.orders} orders as {summary.role}: {columns}")


def board(
    server: ServerOption = None,
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            metavar="FILE",
            help="Use the token in FILE (a device token: `krafta users device-token … -o FILE`; "
            "the token alone on one line, mode 0600) instead of a saved login; nothing is saved.",
        ),
    ] = None,
    headless: HeadlessOption = False,
) -> None:
    """Open the workshop board: orders in columns by status, advance them with two keys.

    Shows a login screen when there is no saved token for the server (the token is then
    saved as `krafta login` does). Example: krafta board --server http://127.0.0.1:8000
    A workshop screen stays logged in with a device token: krafta board --token-file ~/.krafta-device
    """
    session = current_session(server)
    token = session.token
    if token_file is not None:
        from krafta_cli.token_file import TokenFileError, read_token_file

        try:
            token = read_token_file(token_file)
        except TokenFileError as error:
            fail(str(error), ExitCode.USAGE)
    from tui.app import BoardApp

    def remember(result: LoginResult) -> None:
        save_login(session.url, result.token, result.user, result.expires_at)

    # A device's board saves nothing: a login typed on it (its token refused) is for that run only.
    saving = remember if token_file is None else None
    with cli_errors(session), KraftaClient(session.url, token) as client:
        app = BoardApp(client, save_login=saving, freeze_gc=True, exit_after_first_paint=headless)
        summary = app.run(headless=headless)
        if headless:
            _print_summary(summary)


def demo(
    headless: HeadlessOption = False,
    still: Annotated[
        bool, typer.Option("--still", help="A demo that stands still: no new orders nor moves.")
    ] = False,
) -> None:
    """Start a demo shop (fresh database, demo users, ~40 orders) and open the board on it, logged in.

    The shop lives: a new order and one moved every 20-40 s (--still turns that off). The demo
    accounts are printed at start. Nothing is kept: the server stops and its data is deleted when
    you quit. Your saved logins are left alone.
    """
    import secrets

    from krafta_cli.server_process import ServerStartFailed

    previous = {sig: signal.signal(sig, _exit_on_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}
    password = secrets.token_urlsafe(12)
    try:
        with demo_server(password, still=still) as shop:
            typer.echo(
                f"krafta demo: server {shop.url} (pid {shop.pid}), "
                f"data in {shop.log_path.parent} — both gone when you quit",
                err=True,
            )
            # The board logs in by itself; these are for a second terminal (`krafta login`).
            typer.echo(
                f"krafta demo: accounts {DEMO_ADMIN} (ADMIN), {DEMO_TALLER} (TALLER); password {password}",
                err=True,
            )
            # Loaded while the server starts: Textual's import is most of the board's start-up.
            from tui.app import BoardApp

            with KraftaClient(shop.url) as client:

                def connect() -> None:
                    """In the board's first worker, with the board already painted: wait, then a token."""
                    shop.wait_ready()
                    token_file = shop.log_path.parent / "demo-token"
                    if token_file.exists():
                        client.token = token_file.read_text().strip()
                    else:
                        client.login(DEMO_ADMIN, password)

                # No save_login: the demo token lives only in this process (the user's logins stay).
                # It logs in by itself every time: also when the server refuses its session later.
                app = BoardApp(
                    client,
                    exit_after_first_paint=headless,
                    freeze_gc=True,
                    connect=connect,
                    relogin=lambda: client.login(DEMO_ADMIN, password),
                )
                summary = app.run(headless=headless)
            failed = app.connect_error
            if isinstance(failed, ServerStartFailed):
                fail(f"the demo server did not start: {failed}", ExitCode.ERROR)
            if isinstance(failed, KraftaError):
                fail(f"cannot log in to the demo server: {failed}", ExitCode.ERROR)
            if failed is not None:
                raise failed
            if headless:
                _print_summary(summary)
            elif app.return_code:
                raise typer.Exit(app.return_code)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
