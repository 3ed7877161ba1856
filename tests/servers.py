"""The server under test, three ways, one interface (`client()`, `make_user`, `login`, `bootstrap`, …):

* `InProcessServer`: `create_app(settings)` in this process, reached through Starlette's `TestClient`
  transport — no socket, no process. The API contract tests (tests/api) talk to it.
* `ThreadedServer`: the same app under uvicorn in a thread, on a free port — a real URL for what
  makes its own connections (the CLI run in process, the board, an SSE reader) at thread cost.
* `LiveServer`: `krafta serve` in a subprocess (the product's `ServerProcess`), started, stopped,
  killed and restarted by the `live` tests (tests/live).

All three run with the same settings: limits off (the limit tests turn them on), a fixed signing
key, replay every 0.5 s.
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from tests.helpers import CATALOG, PASSWORD, free_port
from tests.layers import require_live

__all__ = ["JWT_SECRET", "InProcessServer", "LiveServer", "Server", "ThreadedServer", "krafta_exe"]

JWT_SECRET = "test-secret-0123456789abcdef0123456789abcdef"
# The environment of every server under test; `extra_env` adds to it (KRAFTA_* names, as for `krafta serve`).
BASE_ENV = {
    "KRAFTA_JWT_SECRET": JWT_SECRET,
    "KRAFTA_LOG_LEVEL": "warning",
    "KRAFTA_REPLAY_INTERVAL": "0.5",
    # Most tests post many orders and fail many logins from one address within a minute; the
    # tests of the per-address limits turn them back on (tests/live/test_access_limits.py).
    "KRAFTA_RATE_LIMIT_ORDERS": "0",
    "KRAFTA_RATE_LIMIT_LOGINS": "0",
}


def krafta_exe() -> str:
    exe = Path(sys.executable).parent / "krafta"
    return str(exe) if exe.exists() else (shutil.which("krafta") or "krafta")


class Server:
    """What every server under test offers: its database and files, users, tokens, HTTP clients."""

    url: str

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __init__(self, db_url: str, base_dir: Path, *, extra_env: Mapping[str, str] | None = None) -> None:
        self.db_url = db_url
        self.base_dir = base_dir
        self.data_dir = base_dir / "data"
        self.fallback_dir = self.data_dir / "fallback"
        self.extra_env = dict(extra_env or {})
        self.admin_token = ""
        self.taller_token = ""

    @property
    def is_postgres(self) -> bool:
        return self.db_url.startswith("postgres")

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        raise NotImplementedError

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
        with self.client() as http:
            response = http.post("/api/auth/login", json={"email": email, "password": password})
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

    def _settings(self) -> Any:
        """The `Settings` `krafta serve` would read, with BASE_ENV and `extra_env` over this environment;
        the database migrated, as `krafta serve` does before it starts."""
        from server.operator import load_settings, migrate

        env = {**BASE_ENV, "KRAFTA_DATA_DIR": str(self.data_dir), "KRAFTA_DATABASE_URL": self.db_url}
        env.update(self.extra_env)
        saved = {name: os.environ.get(name) for name in env}
        os.environ.update(env)
        try:
            settings = load_settings()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        migrate(settings.db_url)
        return settings


def _headers(token: str | None, kwargs: dict[str, Any]) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers.update(kwargs.pop("headers", None) or {})
    return headers


@functools.cache
def _app_client_class() -> type[httpx.Client]:
    from fastapi.testclient import TestClient

    class AppClient(TestClient):
        """A `TestClient` whose `with` block is an ordinary client's: it does not start the app again."""

        def __enter__(self) -> AppClient:
            return self

        def __exit__(self, *exc: object) -> None:
            self.close()

    return AppClient


class InProcessServer(Server):
    """`create_app` in this process; every `client()` shares one running app (its lifespan included)."""

    url = "http://testserver"

    def __init__(self, db_url: str, base_dir: Path, *, extra_env: Mapping[str, str] | None = None) -> None:
        super().__init__(db_url, base_dir, extra_env=extra_env)
        self._root: Any = None

    @property
    def app(self) -> Any:
        return self._root.app

    def start(self) -> None:
        from fastapi.testclient import TestClient

        from server.api.app import create_app

        self._root = TestClient(create_app(self._settings()))
        self._root.__enter__()  # runs the lifespan: replay loop, live hub, number lease

    def stop(self) -> None:
        if self._root is not None:
            root, self._root = self._root, None
            root.__exit__(None, None, None)

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        kwargs.pop("timeout", None)  # nothing to wait for in process
        http: Any = _app_client_class()(
            self._root.app,
            base_url=self.url,
            headers=_headers(token, kwargs),
            cookies=kwargs.pop("cookies", None),
            # As on a real server: an unexpected error is a 500 answer (which a test sees), not a raise.
            raise_server_exceptions=False,
            follow_redirects=False,
            # An address, as a peer has: the rate limits and trusted proxies parse it.
            client=kwargs.pop("client", ("127.0.0.1", 50000)),
        )
        assert not kwargs, f"InProcessServer.client() does not take {sorted(kwargs)}"
        http.portal = self._root.portal  # the app runs on the one portal whose lifespan started it
        return http


class ThreadedServer(Server):
    """The app under uvicorn on a loop in a thread: a real `url`, no process to start."""

    def __init__(self, db_url: str, base_dir: Path, *, extra_env: Mapping[str, str] | None = None) -> None:
        super().__init__(db_url, base_dir, extra_env=extra_env)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> None:
        import uvicorn

        from server.api.app import create_app

        self.app = create_app(self._settings())
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            timeout_graceful_shutdown=2,
            proxy_headers=False,  # as `krafta serve`: the app decides whose X-Forwarded-For to believe
        )
        self._server = uvicorn.Server(config)
        self._loop = asyncio.new_event_loop()
        loop, server = self._loop, self._server
        self._thread = threading.Thread(
            target=lambda: loop.run_until_complete(server.serve()), name=f"uvicorn:{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {self.url}")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is None or self._loop is None or self._thread is None:
            return
        # Open event streams never end by themselves: end them first, as `krafta serve` does on SIGTERM.
        self._loop.call_soon_threadsafe(self.app.state.services.live.close_streams)
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._loop.close()
        self._server = self._loop = self._thread = None

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = _headers(token, kwargs)
        # verify=False: these servers speak plain HTTP, and the default TLS context costs ~24 ms per client.
        return httpx.Client(
            base_url=self.url, headers=headers, timeout=kwargs.pop("timeout", 30), verify=False, **kwargs
        )


class LiveServer(Server):
    """`krafta serve` in a subprocess (the product's `ServerProcess`): started, stopped, killed and
    restarted by the tests. Only `live` tests may start one."""

    def __init__(self, db_url: str, base_dir: Path, *, extra_env: Mapping[str, str] | None = None) -> None:
        super().__init__(db_url, base_dir, extra_env=extra_env)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = base_dir / "server.log"
        self.env = {
            **os.environ,
            **BASE_ENV,
            "KRAFTA_DATA_DIR": str(self.data_dir),
            "KRAFTA_DATABASE_URL": db_url,
            **self.extra_env,
        }
        self._server: Any = None

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The running `krafta serve` child, or None once stopped or killed."""
        return self._server.process if self._server else None

    def start(self, timeout: float = 30.0) -> None:
        """Start `krafta serve` (with the current `env`) and wait until it answers."""
        from krafta_cli.server_process import ServerProcess, ServerStartFailed

        require_live("starts `krafta serve` as a process")
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
        headers = _headers(token, kwargs)
        # verify=False: these servers speak plain HTTP, and the default TLS context costs ~24 ms per client.
        return httpx.Client(
            base_url=self.url, headers=headers, timeout=kwargs.pop("timeout", 30), verify=False, **kwargs
        )
