"""Accounts (issue 19): deactivating a user, an ADMIN's password reset, a user's own password change,
and device tokens, over HTTP on SQLite and PostgreSQL. Every one of these ends sessions: the tokens
issued before are refused at once (401), whatever their expiry."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.helpers import PASSWORD, create_order
from tests.servers import Server


def _user(server: Server, role: str = "TALLER") -> tuple[str, str]:
    email = f"cuenta-{uuid.uuid4().hex[:8]}@test.krafta"
    server.make_user(email, role=role)
    return email, server.login(email)


def _me(server: Server, token: str) -> int:
    with server.client(token) as http:
        return http.get("/api/auth/me").status_code


def _login(server: Server, email: str, password: str) -> int:
    with server.client() as http:
        return http.post("/api/auth/login", json={"email": email, "password": password}).status_code


def test_deactivating_a_user_ends_their_sessions_and_logins(server: Server, admin: httpx.Client) -> None:
    email, token = _user(server)
    assert _me(server, token) == 200

    done = admin.post(f"/api/users/{email.upper()}/deactivate")

    assert done.status_code == 200 and done.json()["user"]["active"] is False, done.text
    assert _me(server, token) == 401
    assert _login(server, email, PASSWORD) == 401
    listed = {u["email"]: u for u in admin.get("/api/users").json()["users"]}
    assert listed[email]["active"] is False


def test_deactivate_refuses_the_unknown_the_caller_and_non_admins(
    server: Server, admin: httpx.Client
) -> None:
    _email, taller = _user(server)
    with server.client(taller) as http:
        assert http.post("/api/users/admin@test.krafta/deactivate").status_code == 403

    assert admin.post("/api/users/nadie@test.krafta/deactivate").status_code == 404
    assert admin.post("/api/users/admin@test.krafta/deactivate").status_code == 403  # its own account
    assert _me(server, server.admin_token) == 200


def test_a_password_reset_ends_the_old_sessions_and_sets_the_new_password(
    server: Server, admin: httpx.Client
) -> None:
    email, token = _user(server)

    short = admin.post(f"/api/users/{email}/password", json={"password": "short"})
    reset = admin.post(f"/api/users/{email}/password", json={"password": "nueva-clave-1"})

    assert short.status_code == 400 and "password" in short.json()["fields"], short.text
    assert reset.status_code == 200, reset.text
    assert _me(server, token) == 401
    assert _login(server, email, PASSWORD) == 401
    assert _login(server, email, "nueva-clave-1") == 200


def test_changing_ones_own_password_checks_the_current_one_and_gives_a_new_session(server: Server) -> None:
    email, token = _user(server, role="CLIENTE")
    with server.client(token) as http:
        wrong = http.post(
            "/api/auth/password", json={"currentPassword": "nope", "newPassword": "otra-clave-2"}
        )
        still = http.get("/api/auth/me").status_code
        changed = http.post(
            "/api/auth/password", json={"currentPassword": PASSWORD, "newPassword": "otra-clave-2"}
        )

    assert wrong.status_code == 401 and still == 200, wrong.text
    assert changed.status_code == 200 and changed.json()["user"]["email"] == email, changed.text
    fresh = changed.cookies["krafta-token"]
    assert _me(server, token) == 401 and _me(server, fresh) == 200
    assert _login(server, email, "otra-clave-2") == 200


def _issue(admin: httpx.Client, **body: Any) -> httpx.Response:
    return admin.post("/api/users/device-tokens", json={"name": "taller-pc", "role": "TALLER", **body})


def test_a_device_token_is_a_listed_revocable_staff_session(server: Server, admin: httpx.Client) -> None:
    issued = _issue(admin, days=90)
    assert issued.status_code == 201, issued.text
    device, token = issued.json()["deviceToken"], issued.json()["token"]
    order = create_order(server)
    with server.client(admin.headers["authorization"].split()[1]) as http:
        http.put("/api/orders", json={"orderId": order["orderId"], "status": "CONFIRMED"})

    with server.client(token) as http:
        me = http.get("/api/auth/me").json()
        moved = http.put(
            "/api/orders",
            json={"orderId": order["orderId"], "status": "IN_PRODUCTION", "expectedStatus": "CONFIRMED"},
        )
    listed = admin.get("/api/users/device-tokens").json()["deviceTokens"]
    revoked = admin.delete(f"/api/users/device-tokens/{device['id']}")

    assert me["user"]["role"] == "TALLER" and me["user"]["email"] == "taller-pc (device)", me
    assert moved.status_code == 200, moved.text
    assert moved.json()["order"]["history"][-1]["userEmail"] == "taller-pc (device)"
    days = (datetime.fromisoformat(device["expiresAt"]) - datetime.fromisoformat(device["createdAt"])).days
    assert days == 90 and device["createdBy"] == "admin@test.krafta" and device["revokedAt"] is None
    assert device["id"] in [d["id"] for d in listed] and "token" not in listed[0]
    assert revoked.status_code == 200 and revoked.json()["deviceToken"]["revokedAt"] is not None
    assert _me(server, token) == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "taller\npc"}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"role": "CLIENTE"}, "role"),
        ({"days": 0}, "days"),
        ({"days": 366}, "days"),
        ({"days": "90"}, "days"),
    ],
)
def test_a_bad_device_token_request_names_the_field(
    admin: httpx.Client, body: dict[str, Any], field: str
) -> None:
    response = _issue(admin, **body)

    assert response.status_code == 400 and field in response.json()["fields"], response.text


def test_device_tokens_are_for_admins_only(server: Server, admin: httpx.Client) -> None:
    _email, taller = _user(server)
    with server.client(taller) as http:
        assert http.post("/api/users/device-tokens", json={"name": "a", "role": "TALLER"}).status_code == 403
        assert http.get("/api/users/device-tokens").status_code == 403
    assert admin.delete("/api/users/device-tokens/nope").status_code == 404
