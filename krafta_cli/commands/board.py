"""`krafta board` (the workshop board) and `krafta demo` (a throw-away shop with the board on it).

Textual, `tui` and `server` are imported inside the command bodies only: `krafta --help` and
`krafta orders list` must start without them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Annotated

import typer

from krafta_cli.client import KraftaClient, KraftaError, LoginResult, Unreachable
from krafta_cli.commands.options import ServerOption
from krafta_cli.config import save_login
from krafta_cli.errors_cli import cli_errors, fail
from krafta_cli.exit_codes import ExitCode
from krafta_cli.session import current_session

if TYPE_CHECKING:
    from tui.app import BoardSummary

__all__ = ["DemoServer", "DemoStartFailed", "register"]

HeadlessOption = Annotated[
    bool,
    typer.Option(
        "--headless",
        hidden=True,
        help="Run without a terminal and quit after the first paint, printing what was shown (tests, CI).",
    ),
]

# Migrations, two Argon2 hashes and ~40 orders: a few seconds on a slow CI machine, never a minute.
_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 10.0


def _find_free_port() -> int:
    import socket

    with socket.socket() as sock:  # the port is free now; the child binds it a moment later
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _parent_death_signal() -> Callable[[], None] | None:
    """A pre-exec hook that makes the child get SIGTERM if `krafta demo` dies, even by SIGKILL.

    Linux only (prctl); elsewhere a hard-killed demo may leave its server behind. Resolved here,
    in the parent, because the hook itself runs between fork and exec where little is safe.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM))

    return hook


class DemoStartFailed(Exception):
    """The demo server exited or stayed silent; the message carries the end of its log."""


class DemoServer:
    """`krafta serve --demo` as a child process over a fresh SQLite database in a temp dir.

    A context manager: on exit — normal, exception, Ctrl-C or SIGTERM — the child is terminated
    (then killed after a timeout) and the temp dir removed, in that order, so the database is
    never deleted under a running server.
    """

    def __init__(self) -> None:
        self.password = secrets.token_urlsafe(12)
        self.port = _find_free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path | None:
        return self.data_dir / "server.log" if self.data_dir else None

    def start(self) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="krafta-demo-"))
        env = {**os.environ, "KRAFTA_DATA_DIR": str(self.data_dir), "KRAFTA_DEMO_PASSWORD": self.password}
        # The user's own server settings must not leak into the demo (or the demo into them).
        for name in ("KRAFTA_DATABASE_URL", "KRAFTA_FALLBACK_DIR", "KRAFTA_HOST", "KRAFTA_PORT"):
            env.pop(name, None)
        command = [
            sys.executable, "-m", "krafta_cli", "serve", "--demo",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--db", f"sqlite:///{self.data_dir / 'krafta.db'}",
        ]  # fmt: skip
        assert self.log_path is not None
        with open(self.log_path, "wb") as log:
            # Own session: a Ctrl-C at the terminal reaches only us, and we stop the child in order.
            self.process = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                # No thread of ours runs yet, which is what makes a pre-exec hook safe here.
                preexec_fn=_parent_death_signal(),
            )

    def wait_until_ready(self, client: KraftaClient, timeout: float = _START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the demo server exited with code {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                client.health()
                return
            except Unreachable as exc:
                if time.monotonic() > deadline:
                    message = f"the demo server did not answer within {timeout:g} s:\n{self.log_tail()}"
                    raise DemoStartFailed(message) from exc
                time.sleep(0.1)

    def log_tail(self, lines: int = 15) -> str:
        path = self.log_path
        if path is None or not path.exists():
            return "(no server log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            if self.data_dir.exists():
                sys.stderr.write(f"warning: could not remove the demo data in {self.data_dir}\n")
            self.data_dir = None

    def __enter__(self) -> DemoServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM/SIGHUP into an exception so every `finally` (and DemoServer.__exit__) runs.
    raise SystemExit(128 + signum)


def _print_summary(summary: BoardSummary | None) -> None:
    if summary is None:
        fail("the board did not show any orders", ExitCode.ERROR)
    columns = ", ".join(f"{status} {count}" for status, count in summary.columns.items())
    typer.echo(f"board showed {summary.orders} orders as {summary.role}: {columns}")


def board(server: ServerOption = None) -> None:
    """Open the workshop board: orders in columns by status, advance them with two keys.

    Shows a login screen when there is no saved token for the server (the token is then
    saved as `krafta login` does). Example: krafta board --server http://127.0.0.1:8000
    """
    session = current_session(server)
    from tui.app import BoardApp

    def remember(result: LoginResult) -> None:
        save_login(session.url, result.token, result.user, result.expires_at)

    with cli_errors(session), KraftaClient(session.url, session.token) as client:
        BoardApp(client, save_login=remember, freeze_gc=True).run()


def demo(headless: HeadlessOption = False) -> None:
    """Start a demo shop (fresh database, demo users, ~40 orders) and open the board on it.

    Nothing is kept: the server stops and its data is deleted when you quit. Your saved
    logins are left alone.
    """
    from server.demo import DEMO_ADMIN
    from tui.app import BoardApp

    previous = {sig: signal.signal(sig, _exit_on_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        with DemoServer() as shop, KraftaClient(shop.url) as client:
            typer.echo(
                f"krafta demo: server {shop.url} (pid {shop.process.pid if shop.process else '?'}), "
                f"data in {shop.data_dir} — both gone when you quit",
                err=True,
            )
            try:
                shop.wait_until_ready(client)
                client.login(DEMO_ADMIN, shop.password)
            except DemoStartFailed as exc:
                fail(str(exc), ExitCode.ERROR)
            except KraftaError as exc:
                fail(f"cannot log in to the demo server: {exc}\n{shop.log_tail()}", ExitCode.ERROR)
            # No save_login: the demo token lives only in this process (the user's logins stay as they are).
            app = BoardApp(client, exit_after_first_paint=headless, freeze_gc=True)
            summary = app.run(headless=headless)
            if headless:
                _print_summary(summary)
            elif app.return_code:
                raise typer.Exit(app.return_code)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def register(app: typer.Typer) -> None:
    """Add `board` and `demo` to the root app."""
    app.command("board", rich_help_panel="Work")(board)
    app.command("demo")(demo)
