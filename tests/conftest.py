"""The suite's layers (tests/layers.py) and the PostgreSQL every `live` PostgreSQL test uses.

tests/unit (pure), tests/checks (ruff, mypy, import contracts), tests/api (the app in process),
tests/cli (the `krafta` command in process against a threaded server), tests/tui (the board with
Pilot): `pytest -m "not live"`. tests/live, and every test marked `live`: real processes and
PostgreSQL.

PostgreSQL comes from `KRAFTA_TEST_PG_URL` (CI sets it to the machine's server); without it the
suite starts its own throw-away cluster once (tests/pgcluster.py). When neither can be had the
PostgreSQL tests fail — never skip — so a run cannot go green without them.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.layers import LIVE_DIR, mark_current, require_live
from tests.servers import InProcessServer, Server, ThreadedServer

_LIVE_ROOT = Path(__file__).parent / LIVE_DIR


def _cheap_password_hashing() -> None:
    """Argon2 at its cheapest parameters for the servers this process runs (api, cli, tui layers).

    The shipped cost (64 MiB, 3 passes) is what makes guessing slow, and it made every login, user
    and bootstrap of the in-process layers pay ~50 ms of CPU: ~15 s of the fast layer. The hash
    format is the same (argon2id, parameters in the hash), so a hash made here verifies anywhere;
    the live layer's `krafta serve` processes hash as shipped, and tests/unit checks the shipped
    parameters themselves.
    """
    import argon2

    from server.accounts import auth

    auth._hasher = argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)
    auth._DUMMY_HASH = auth._hasher.hash("krafta-dummy-password")


_cheap_password_hashing()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _LIVE_ROOT in Path(item.path).parents:
            item.add_marker(pytest.mark.live)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture of the test is set up: the fixtures that start processes check it.
    mark_current(item)


def _connect(url: str) -> Any:
    import psycopg

    try:
        return psycopg.connect(
            url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True, connect_timeout=5
        )
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL at {url} does not answer ({error}). The PostgreSQL tests must run: start it, "
            "or unset KRAFTA_TEST_PG_URL to have the suite start its own.",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A PostgreSQL superuser URL: `KRAFTA_TEST_PG_URL`, or a throw-away cluster made for this run."""
    require_live("uses PostgreSQL")
    given = os.environ.get("KRAFTA_TEST_PG_URL")
    if given:
        yield given
        return
    from tests.pgcluster import OwnPostgres

    # Room for every server of the run at once (scale-out tests run three, each with its pool).
    cluster = OwnPostgres(max_connections=300)
    cluster.start()
    try:
        yield cluster.url
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def pg_url_factory(pg_admin_url: str) -> Iterator[Callable[[], str]]:
    """Makes fresh PostgreSQL databases; drops them at the end of the session."""
    created: list[str] = []

    def make() -> str:
        require_live("creates a PostgreSQL database")
        name = f"krafta_t_{uuid.uuid4().hex[:12]}"
        with _connect(pg_admin_url) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        base = pg_admin_url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
        return f"{base}/{name}"

    yield make
    if created:
        with _connect(pg_admin_url) as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(kind: str, base: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{base / 'krafta.db'}"
    factory: Callable[[], str] = request.getfixturevalue("pg_url_factory")
    return factory()


# The PostgreSQL half of every database-parametrized fixture is `live`: `-m "not live"` runs SQLite only.
DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.live)]


@dataclass(frozen=True)
class ShopTemplate:
    """A migrated, bootstrapped SQLite shop (staff users, catalog) and its staff's tokens."""

    database: Path
    admin_token: str
    taller_token: str


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> ShopTemplate:
    """Made once per run: each server on SQLite starts from a copy instead of migrating and hashing
    two passwords again (~1.5 s of CPU per module). The tokens stay good on every copy: same users,
    same signing key."""
    base = tmp_path_factory.mktemp("template")
    app = InProcessServer(f"sqlite:///{base / 'krafta.db'}", base)
    app.start()
    app.bootstrap()
    app.stop()
    return ShopTemplate(base / "krafta.db", app.admin_token, app.taller_token)


def started(
    kind: type[Server], db: str, request: pytest.FixtureRequest, factory: pytest.TempPathFactory
) -> Any:
    """A bootstrapped (staff users, catalog) server of `kind` on a fresh `db` ("sqlite" or "postgres")."""
    base = factory.mktemp(f"{db}-{kind.__name__}")
    shop = kind(database_url(db, base, request), base)
    if db == "sqlite":
        template: ShopTemplate = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template.database, base / "krafta.db")
        shop.start()
        shop.admin_token, shop.taller_token = template.admin_token, template.taller_token
    else:
        shop.start()
        shop.bootstrap()
    return shop


@pytest.fixture(scope="module", params=DATABASES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    """The app in process (no socket), once per module and database."""
    app = started(InProcessServer, request.param, request, tmp_path_factory)
    yield app
    app.stop()


@pytest.fixture(scope="module")
def sqlite_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ThreadedServer]:
    """The app under uvicorn in a thread on SQLite: a real URL for the CLI and the board."""
    shop = started(ThreadedServer, "sqlite", request, tmp_path_factory)
    yield shop
    shop.stop()


@pytest.fixture(scope="module")
def admin(server: Any) -> Iterator[httpx.Client]:
    """An HTTP client logged in as the server's ADMIN (whichever `server` the directory gives)."""
    with server.client(server.admin_token) as http:
        yield http


@pytest.fixture(scope="module")
def taller(server: Any) -> Iterator[httpx.Client]:
    with server.client(server.taller_token) as http:
        yield http
