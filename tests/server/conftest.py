"""HTTP clients logged in as the live server's staff users, shared by the server test modules."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import LiveServer


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client(server.admin_token) as http:
        yield http


@pytest.fixture(scope="module")
def taller(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client(server.taller_token) as http:
        yield http
