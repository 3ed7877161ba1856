"""Running `krafta` against a server in a thread (tests/servers.py `ThreadedServer`), with its config
dir in a temp dir.

`Krafta` runs one command in this process — the console script's own `main()`, under Typer's test
runner (stdin/stdout/stderr are in-memory, so no TTY) — and returns exit code and output;
`Krafta.process` runs one as a real subprocess, for the few tests where the process is the point
(a pipe closed by `head`, Ctrl-C, shell completion). `run_on_tty` runs one under a pseudo-terminal
for what only happens on a terminal (colours, confirmation prompts). Logged-in runners are
package-scoped, like the server, so the whole package logs in once per role.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import started
from tests.helpers import PASSWORD
from tests.servers import Server, ThreadedServer, krafta_exe

# Variables from the developer's shell that would change what krafta prints or where it looks.
_SCRUB = (
    "KRAFTA_",
    "NO_COLOR",
    "FORCE_COLOR",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
    "COLUMNS",
    "LINES",
    "TYPER_",
)


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def __str__(self) -> str:  # what pytest shows when an assertion on a Run fails
        return f"krafta {' '.join(self.args)} -> {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


class Krafta:
    """`krafta` with its own HOME and XDG_CONFIG_HOME, pointed at one server by KRAFTA_URL."""

    def __init__(self, home: Path, url: str | None) -> None:
        self.home = home
        self.url = url
        (home / ".config").mkdir(parents=True, exist_ok=True)

    @property
    def credentials(self) -> Path:
        return self.home / ".config" / "krafta" / "credentials.json"

    def _overrides(self, **overrides: str | None) -> dict[str, str | None]:
        """What this runner changes in an environment: None removes a variable."""
        changes: dict[str, str | None] = {k: None for k in os.environ if k.startswith(_SCRUB)}
        changes.update(HOME=str(self.home), XDG_CONFIG_HOME=str(self.home / ".config"))
        if self.url:
            changes["KRAFTA_URL"] = self.url
        changes.update(overrides)
        return changes

    def env(self, **overrides: str | None) -> dict[str, str]:
        """The whole environment of a `krafta` child process."""
        env = dict(os.environ)
        for key, value in self._overrides(**overrides).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def __call__(self, *args: str, input: str = "", **env: str | None) -> Run:
        """`krafta ARGS` in this process: the console script's `main()`, its exit code and output."""
        import typer.testing
        from typer.testing import CliRunner

        from krafta_cli.main import main

        with CliRunner().isolation(input=input, env=self._overrides(**env)) as (out, err, _):
            # The runner pins help to 80 columns; the real command sizes it by COLUMNS, as tests ask.
            typer.testing.formatting.FORCED_WIDTH = None
            try:
                main(list(args))
                code = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            sys.stdout.flush()
            sys.stderr.flush()
            return Run(
                tuple(args),
                code,
                out.getvalue().decode(errors="replace"),
                err.getvalue().decode(errors="replace"),
            )

    def process(self, *args: str, input: str = "", **env: str | None) -> Run:
        """`krafta ARGS` as a real child process (the installed console script)."""
        proc = subprocess.run(
            [krafta_exe(), *args],
            input=input,
            capture_output=True,
            text=True,
            env=self.env(**env),
            timeout=60,
        )
        return Run(tuple(args), proc.returncode, proc.stdout, proc.stderr)

    def login(self, email: str, password: str = PASSWORD) -> Run:
        run = self("login", "--email", email, "--password-stdin", input=password + "\n")
        assert run.code == 0, run
        return run


def assert_error(run: Run, code: int, *fragments: str) -> str:
    """One line on stderr, nothing on stdout, no traceback, the given exit code; returns the line."""
    assert run.code == code, run
    assert run.out == "", run
    assert "Traceback" not in run.err, run
    lines = run.err.splitlines()
    assert len(lines) == 1, run
    for fragment in fragments:
        assert fragment in lines[0], run
    return lines[0]


@pytest.fixture(scope="package")
def sqlite_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ThreadedServer]:
    """One server for all of tests/cli (instead of one per module, as tests/conftest.py has it).

    Every CLI test makes its own orders and users and asserts only on those, so they can share
    a server.
    """
    shop = started(ThreadedServer, "sqlite", request, tmp_path_factory)
    yield shop
    shop.stop()


@pytest.fixture
def krafta(sqlite_server: Server, tmp_path: Path) -> Krafta:
    """A fresh, logged-out krafta pointed at the module's server."""
    return Krafta(tmp_path / "home", sqlite_server.url)


def _logged_in(server: Server, factory: pytest.TempPathFactory, email: str) -> Krafta:
    runner = Krafta(factory.mktemp("home"), server.url)
    runner.login(email)
    return runner


@pytest.fixture(scope="package")
def admin(sqlite_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Krafta:
    return _logged_in(sqlite_server, tmp_path_factory, "admin@test.krafta")


@pytest.fixture(scope="package")
def taller(sqlite_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Krafta:
    return _logged_in(sqlite_server, tmp_path_factory, "taller@test.krafta")


@dataclass(frozen=True)
class TtyRun:
    code: int
    screen: str  # everything written to the terminal, escape codes included
    err: str


def _take_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def run_on_tty(
    runner: Krafta,
    *args: str,
    prompt: str | None = None,
    before_answer: Callable[[], None] | None = None,
    answer: str = "y\n",
    script: Sequence[tuple[str, str]] = (),
    columns: int = 160,
    timeout: float = 30.0,
    **env: str | None,
) -> TtyRun:
    """Run krafta with stdin and stdout on a pseudo-terminal (stderr stays a pipe).

    `script` is a list of (text to wait for, what to type); `prompt`/`answer` is the one-step
    form. `before_answer()` runs just before the first answer (e.g. another user moves the order
    while the operator looks at the confirmation prompt).
    """
    steps = list(script) or ([(prompt, answer)] if prompt else [])
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    proc = subprocess.Popen(
        [krafta_exe(), *args],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=runner.env(TERM="xterm-256color", **env),
        close_fds=True,
        # Make the pty the child's controlling terminal, as in a real login shell: getpass
        # talks to /dev/tty, and without one it falls back to reading stdin with echo on.
        start_new_session=True,
        preexec_fn=_take_terminal,
    )
    os.close(slave)
    screen = b""
    seen = 0  # where to look for the next prompt: after the previous one
    done = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
                text = screen.decode("utf-8", "replace")
                if done < len(steps) and steps[done][0] in text[seen:]:
                    if done == 0 and before_answer:
                        before_answer()
                    seen = len(text)
                    os.write(master, steps[done][1].encode())
                    done += 1
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            shown = screen.decode(errors="replace")
            pytest.fail(f"krafta {' '.join(args)} did not finish within {timeout}s:\n{shown}")
        code = proc.wait(timeout=timeout)
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    finally:
        os.close(master)
        if proc.stderr:
            proc.stderr.close()
    shown = screen.decode("utf-8", "replace")
    assert done == len(steps), (
        f"prompt {steps[done][0]!r} never appeared:\n{shown}" if done < len(steps) else ""
    )
    return TtyRun(code, shown, err)


@pytest.fixture
def unreachable_url() -> Iterator[str]:
    """A URL where nothing listens (a port that was just free)."""
    from tests.helpers import free_port

    yield f"http://127.0.0.1:{free_port()}"
