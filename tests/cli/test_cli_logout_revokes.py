"""Issue 8, finding 5: `krafta logout` ends the session on the server, not only on this machine."""

from __future__ import annotations

import json

from tests.cli.conftest import Krafta
from tests.servers import Server


def test_krafta_logout_revokes_the_saved_token(krafta: Krafta, sqlite_server: Server) -> None:
    krafta.login("admin@test.krafta")
    token = json.loads(krafta.credentials.read_text())["servers"][sqlite_server.url]["token"]
    with sqlite_server.client(token) as http:
        assert http.get("/api/auth/me").status_code == 200

    run = krafta("logout")

    assert run.code == 0, run
    # A copy of the token (another terminal, a leaked shell history) no longer works either.
    with sqlite_server.client(token) as http:
        assert http.get("/api/auth/me").status_code == 401
        assert http.get("/api/orders").status_code == 401
