"""`ServerProcess`: `krafta serve` as a child process — start, wait for health, stop, kill.

Used by `krafta demo` (a throw-away server under the board) and by the tests' `LiveServer`, so
both start, watch and stop a server the same way. It runs the command in a subprocess and talks
to it over HTTP only: nothing here imports the server stack.

When the child exits before it answers, `wait_ready` raises `ServerStartFailed` whose message is
one line saying what happened ("`krafta serve` exited with code 1 before answering: port 8000 on
127.0.0.1 is already in use"); the log's last lines are kept on the error for whoever wants them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

from krafta_cli.client import KraftaClient, KraftaError

__all__ = ["ServerProcess", "ServerStartFailed"]

START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
_POLL = 0.02


class ServerStartFailed(Exception):
    """The server exited before answering, or did not answer in time. `str()` is one line."""

    def __init__(self, message: str, *, returncode: int | None, log_tail: str) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.log_tail = log_tail


def _parent_death_signal() -> Callable[[], None] | None:
    """A pre-exec hook that makes the child get SIGTERM if its parent dies, even by SIGKILL.

    Linux only (prctl); elsewhere a hard-killed parent may leave its server behind. Resolved here,
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


def _reason(log_tail: str) -> str:
    """The line of the log that says why: our own `error: …` line if there is one, else the last."""
    lines = [line.strip() for line in log_tail.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("error: "):
            return line.removeprefix("error: ")
    return lines[-1] if lines else "it printed nothing"


class ServerProcess:
    """`krafta serve --host HOST --port PORT [args…]` in a child process, its output in `log_path`.

    A context manager: leaving the block stops the child (SIGTERM, then SIGKILL after
    `STOP_TIMEOUT`). `die_with_parent` also stops it when this process is killed outright.
    """

    def __init__(
        self,
        *,
        port: int,
        log_path: Path,
        host: str = "127.0.0.1",
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        own_session: bool = False,
        die_with_parent: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.url = f"http://{host}:{port}"
        self.log_path = log_path
        self.command = [
            sys.executable, "-m", "krafta_cli", "serve", "--host", host, "--port", str(port), *args,
        ]  # fmt: skip
        self.env = dict(os.environ if env is None else env)
        self.own_session = own_session
        self.die_with_parent = die_with_parent
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the child and return at once (use `wait_ready` to know it answers)."""
        with open(self.log_path, "ab") as log:
            # The child holds its own copy of the descriptor; ours can close at once.
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own session: a Ctrl-C at the terminal reaches only the parent, which stops us in order.
                start_new_session=self.own_session,
                # Safe only while the parent runs no other thread: `krafta demo` starts us first thing.
                preexec_fn=_parent_death_signal() if self.die_with_parent else None,
            )

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Return once `GET /api/health` answers; `ServerStartFailed` if the child exits or stays silent."""
        deadline = time.monotonic() + timeout
        with KraftaClient(self.url, timeout=1.0) as client:
            while True:
                process = self.process
                if process is None:
                    raise ServerStartFailed("the server was never started", returncode=None, log_tail="")
                code = process.poll()
                if code is not None:
                    tail = self.log_tail()
                    raise ServerStartFailed(
                        f"`krafta serve` exited with code {code} before answering: {_reason(tail)}",
                        returncode=code,
                        log_tail=tail,
                    )
                try:
                    client.health()
                    return
                except KraftaError:
                    # Not listening yet, or listening but not ready (503 while it migrates).
                    pass
                if time.monotonic() > deadline:
                    tail = self.log_tail()
                    raise ServerStartFailed(
                        f"`krafta serve` did not answer on {self.url} within {timeout:g} s: {_reason(tail)}",
                        returncode=None,
                        log_tail=tail,
                    )
                time.sleep(_POLL)

    def log_tail(self, lines: int = 15) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code (None if never started)."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, as in a crash or a power cut of the process."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
