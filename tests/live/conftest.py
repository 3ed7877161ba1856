"""The live layer's servers: `krafta serve` processes (tests/servers.py `LiveServer`).

`server` (SQLite and PostgreSQL) and `sqlite_server` replace the in-process ones of tests/conftest.py
here; `admin`/`taller` (tests/conftest.py) follow. `pg` and `live`: a PostgreSQL cluster the module
starts itself (so it may stop it for an outage) and a `krafta serve` over it; a module that uses
them gets its own cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DATABASES, database_url
from tests.pgcluster import OwnPostgres
from tests.servers import LiveServer


def _started(db_url: str, base_dir: Path) -> LiveServer:
    live = LiveServer(db_url, base_dir)
    live.start()
    live.bootstrap()
    return live


@pytest.fixture(scope="module", params=DATABASES)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    base = tmp_path_factory.mktemp(f"{request.param}-server")
    live = _started(database_url(request.param, base, request), base)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    base = tmp_path_factory.mktemp("sqlite-server")
    live = _started(f"sqlite:///{base / 'krafta.db'}", base)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def pg() -> Iterator[OwnPostgres]:
    cluster = OwnPostgres()
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="module")
def live(
    pg: OwnPostgres, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    server = LiveServer(pg.url, tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    server.start()
    server.bootstrap()
    yield server
    server.stop()
