"""Shared fixtures: a real `krafta serve` process on a free port over a fresh database.

`server` runs every test of a module twice, on SQLite and on PostgreSQL. PostgreSQL comes from
`KRAFTA_TEST_PG_URL` (default: the local cluster, user root, database test); when it does not
answer the tests fail — never skip — so CI cannot go green without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from krafta_cli.server_process import ServerProcess, ServerStartFailed
from tests.helpers import PASSWORD, free_port

PG_ADMIN_URL = os.environ.get("KRAFTA_TEST_PG_URL", "postgresql://root@127.0.0.1:5432/test")
JWT_SECRET = "test-secret-0123456789abcdef0123456789abcdef"
CATALOG = {
    "products": [
        {
            "id": "franela",
            "name": "Franela blanca",
            "variants": [
                {"id": "var-1", "sku": "FRA-BLA-M", "basePrice": 12.00},
                {"id": "var-2", "sku": "FRA-BLA-L", "basePrice": 12.00},
            ],
        },
        {
            "id": "retirado",
            "name": "Producto retirado",
            "active": False,
            "variants": [
                {"id": "var-old", "sku": "OLD", "basePrice": 5.00},
            ],
        },
    ]
}


def krafta_exe() -> str:
    exe = Path(sys.executable).parent / "krafta"
    return str(exe) if exe.exists() else (shutil.which("krafta") or "krafta")


class LiveServer:
    """`krafta serve` in a subprocess (the product's `ServerProcess`): started, stopped, killed and
    restarted by the tests."""

    def __init__(self, db_url: str, base_dir: Path, *, extra_env: dict[str, str] | None = None) -> None:
        self.db_url = db_url
        self.base_dir = base_dir
        self.data_dir = base_dir / "data"
        self.fallback_dir = self.data_dir / "fallback"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = base_dir / "server.log"
        self.env = {
            **os.environ,
            "KRAFTA_DATA_DIR": str(self.data_dir),
            "KRAFTA_DATABASE_URL": db_url,
            "KRAFTA_JWT_SECRET": JWT_SECRET,
            "KRAFTA_LOG_LEVEL": "warning",
            "KRAFTA_REPLAY_INTERVAL": "0.5",
            # Most tests post many orders and fail many logins from 127.0.0.1 within a minute; the
            # tests of the per-address limits turn them back on (tests/server/test_limits.py).
            "KRAFTA_RATE_LIMIT_ORDERS": "0",
            "KRAFTA_RATE_LIMIT_LOGINS": "0",
            **(extra_env or {}),
        }
        self._server: ServerProcess | None = None
        self.admin_token = ""
        self.taller_token = ""

    @property
    def is_postgres(self) -> bool:
        return self.db_url.startswith("postgres")

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The running `krafta serve` child, or None once stopped or killed."""
        return self._server.process if self._server else None

    def start(self, timeout: float = 30.0) -> None:
        """Start `krafta serve` (with the current `env`) and wait until it answers."""
        self._server = ServerProcess(port=self.port, log_path=self.log_path, env=self.env)
        self._server.start()
        try:
            self._server.wait_ready(timeout)
        except ServerStartFailed as failed:
            raise RuntimeError(f"{failed}\n{self.log()}") from None

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(timeout=15)

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, as in a crash or a power cut of the process."""
        if self._server is not None:
            self._server.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=kwargs.pop("timeout", 30), **kwargs)

    def make_user(self, email: str, password: str = PASSWORD, role: str = "CLIENTE") -> dict[str, Any]:
        """Create a user with the product's own code (what `krafta admin create` runs)."""
        from server.accounts.users import UserService
        from server.storage.db import Database

        db = Database(self.db_url, pool_size=1)
        try:
            return UserService(db).create(email=email, password=password, role=role)
        finally:
            db.dispose()

    def set_role(self, email: str, role: str) -> None:
        from server.accounts.users import UserService
        from server.storage.db import Database

        db = Database(self.db_url, pool_size=1)
        try:
            UserService(db).set_role(email, role)
        finally:
            db.dispose()

    def login(self, email: str, password: str = PASSWORD) -> str:
        response = httpx.post(
            f"{self.url}/api/auth/login", json={"email": email, "password": password}, timeout=30
        )
        assert response.status_code == 200, response.text
        return response.cookies["krafta-token"]

    def bootstrap(self) -> None:
        """Staff users and a catalog, as an operator would set them up."""
        self.make_user("admin@test.krafta", role="ADMIN")
        self.make_user("taller@test.krafta", role="TALLER")
        self.admin_token = self.login("admin@test.krafta")
        self.taller_token = self.login("taller@test.krafta")
        with self.client(self.admin_token) as http:
            assert http.put("/api/catalog", json=CATALOG).status_code == 200


def _pg_admin_connect() -> Any:
    import psycopg

    try:
        return psycopg.connect(
            PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True, connect_timeout=5
        )
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL at {PG_ADMIN_URL} does not answer ({error}). "
            "The PostgreSQL tests must run: start it "
            "(pg_ctlcluster ... main start) or set KRAFTA_TEST_PG_URL.",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def pg_url_factory() -> Iterator[Callable[[], str]]:
    """Makes fresh PostgreSQL databases on the shared cluster; drops them at the end of the session."""
    created: list[str] = []

    def make() -> str:
        name = f"krafta_t_{uuid.uuid4().hex[:12]}"
        with _pg_admin_connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        base = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
        return f"{base}/{name}"

    yield make
    if created:
        with _pg_admin_connect() as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _start(db_url: str, base: Path) -> LiveServer:
    live = LiveServer(db_url, base)
    live.start()
    live.bootstrap()
    return live


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    base = tmp_path_factory.mktemp("sqlite-server")
    live = _start(f"sqlite:///{base / 'krafta.db'}", base)
    yield live
    live.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_url_factory: Callable[[], str],
) -> Iterator[LiveServer]:
    base = tmp_path_factory.mktemp(f"{request.param}-server")
    url = f"sqlite:///{base / 'krafta.db'}" if request.param == "sqlite" else pg_url_factory()
    live = _start(url, base)
    yield live
    live.stop()
