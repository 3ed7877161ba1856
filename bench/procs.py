"""The servers under test (hello floor, reference build, krafta) and the databases they run on.

Each server is a real subprocess on 127.0.0.1 with its log in the run's temp dir; memory figures
are read from that process's /proc/<pid>/status.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BenchDatabase",
    "Server",
    "free_port",
    "krafta_server",
    "postgres_database",
    "reference_server",
    "sqlite_database",
    "uvicorn_server",
]

PG_ADMIN_URL = "postgresql://root@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def status_kb(self, field: str) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise RuntimeError(f"{field} missing from /proc/{self.proc.pid}/status")

    def reset_peak_rss(self) -> bool:
        """Reset VmHWM to the current RSS (Linux `clear_refs` 5), so a peak belongs to what follows."""
        try:
            Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def _wait_ready(server: Server, path: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(server.url + path, timeout=2) as resp:
                if resp.status < 500:
                    return
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    tail = server.log.read_text(errors="replace")[-2000:] if server.log.exists() else ""
    raise SystemExit(f"{server.name} did not start on {server.url}; its log ends:\n{tail}")


@contextmanager
def _running(
    name: str, cmd: list[str], *, env: dict[str, str], cwd: Path | None, port: int, ready: str, log: Path
) -> Iterator[Server]:
    with log.open("ab") as fh:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT)
    server = Server(name, proc, f"http://127.0.0.1:{port}", log)
    try:
        _wait_ready(server, ready)
        yield server
    finally:
        server.stop()


def uvicorn_server(
    app: str, app_dir: Path, log: Path, env: dict[str, str] | None = None
) -> AbstractContextManager[Server]:
    """A context manager: `uvicorn app` from `app_dir`, as the reference README runs it."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--no-access-log", "--log-level", "warning"]
    return _running(app, cmd, env={**os.environ, **(env or {})}, cwd=app_dir, port=port, ready="/", log=log)


def reference_server(ref_dir: Path, db_url: str, log: Path) -> AbstractContextManager[Server]:
    return uvicorn_server("orders_app:app", ref_dir, log, env={"DB_URL": db_url})


def krafta_server(data_dir: Path, db_url: str, log: Path) -> AbstractContextManager[Server]:
    """`krafta serve` from this venv (so `server` is this checkout), rate limits off."""
    port = free_port()
    env = {
        **os.environ,
        "KRAFTA_DATA_DIR": str(data_dir),
        "KRAFTA_DATABASE_URL": db_url,
        "KRAFTA_LOG_LEVEL": "warning",
        "KRAFTA_JWT_SECRET": "bench-secret-0123456789abcdef0123456789abcdef",
        "KRAFTA_RATE_LIMIT_ORDERS": "0",
    }
    exe = Path(sys.executable).parent / "krafta"
    cmd = [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)]
    return _running("krafta", cmd, env=env, cwd=None, port=port, ready="/api/health", log=log)


@dataclass(frozen=True)
class BenchDatabase:
    kind: str  # "sqlite" | "postgres"
    krafta_url: str
    ref_url: str


@contextmanager
def sqlite_database(tmp: Path) -> Iterator[BenchDatabase]:
    yield BenchDatabase("sqlite", f"sqlite:///{tmp / 'krafta.db'}", f"sqlite:///{tmp / 'ref.db'}")


@contextmanager
def postgres_database(tag: str) -> Iterator[BenchDatabase]:
    """Two fresh databases on the shared cluster (127.0.0.1:5432, user root, trust), dropped after."""
    import psycopg

    names = [f"bench_{tag}_krafta", f"bench_{tag}_ref"]
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        raise SystemExit(
            f"PostgreSQL is not answering on 127.0.0.1:5432 as root ({error}); start it with "
            "`pg_ctlcluster --skip-systemctl-redirect 15 main start` or run with --db sqlite"
        ) from None
    with admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield BenchDatabase(
                "postgres",
                f"postgresql+psycopg://root@127.0.0.1:5432/{names[0]}",
                f"postgresql+psycopg://root@127.0.0.1:5432/{names[1]}",
            )
        finally:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
