"""Fixtures shared by the server test modules.

`admin` and `taller`: HTTP clients logged in as the live server's staff users. `pg` and `live`: a
PostgreSQL cluster the module starts itself (so it may stop it for an outage) and a `krafta serve`
over it; a module that uses them gets its own cluster.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import LiveServer
from tests.pgcluster import OwnPostgres


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client(server.admin_token) as http:
        yield http


@pytest.fixture(scope="module")
def taller(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client(server.taller_token) as http:
        yield http


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
