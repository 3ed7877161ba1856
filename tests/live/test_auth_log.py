"""What a login leaves in `krafta serve`'s own log (moved from tests/api/test_auth.py: only a real
process writes the log the operator reads)."""

from __future__ import annotations

import uuid

import httpx

from tests.servers import LiveServer


def _email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@test.krafta"


def _login(server: LiveServer, email: str, password: str) -> httpx.Response:
    with server.client() as http:
        return http.post("/api/auth/login", json={"email": email, "password": password})


def test_password_is_never_in_the_server_log(server: LiveServer) -> None:
    secret = f"unique-{uuid.uuid4().hex}"
    _login(server, _email("log"), secret)
    email = _email("log")
    server.make_user(email, password=secret, role="CLIENTE")
    assert _login(server, email, secret).status_code == 200
    assert secret not in server.log()
