"""The live layer's servers: `krafta serve` processes (tests/servers.py `LiveServer`).

`server` (SQLite and PostgreSQL) and `sqlite_server` replace the in-process ones of tests/conftest.py
here; `admin`/`taller` (tests/conftest.py) follow. `pg` and `live`: a PostgreSQL cluster the module
starts itself (so it may stop it for an outage) and a `krafta serve` over it; a module that uses
them gets its own cluster.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import DATABASES, started
from tests.pgcluster import OwnPostgres
from tests.servers import LiveServer


@pytest.fixture(scope="module", params=DATABASES)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = started(LiveServer, request.param, request, tmp_path_factory)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def sqlite_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    live = started(LiveServer, "sqlite", request, tmp_path_factory)
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
