"""Issue 8, finding 6 (and 5 in an outage): while the database is down, the server judges a token by
the last state of its user that it saw — a demoted or deactivated user stays so — uses the token's
signed role only for a user it never saw, and keeps a logged-out token refused.

A PostgreSQL this test started itself is stopped while the server runs (a real outage).
"""

from __future__ import annotations

import time
import uuid

import jwt
import psycopg

from tests.helpers import order_body
from tests.pgcluster import OwnPostgres
from tests.servers import LiveServer


def _me(live: LiveServer, token: str) -> tuple[int, str | None]:
    with live.client(token) as http:
        response = http.get("/api/auth/me")
    return response.status_code, response.json().get("user", {}).get("role")


def _admin_user(live: LiveServer, prefix: str) -> tuple[str, str]:
    email = f"{prefix}-{uuid.uuid4().hex[:8]}@test.krafta"
    live.make_user(email, role="ADMIN")
    return email, live.login(email)


def test_an_outage_keeps_the_last_known_user_state(live: LiveServer, pg: OwnPostgres) -> None:
    fired_email, fired = _admin_user(live, "despedido")
    demoted_email, demoted = _admin_user(live, "degradado")
    _, unseen = _admin_user(live, "nuevo")
    _, leaving = _admin_user(live, "saliente")

    # The server sees each of them once while the database answers.
    assert _me(live, fired) == (200, "ADMIN")
    assert _me(live, demoted) == (200, "ADMIN")
    assert _me(live, leaving) == (200, "ADMIN")
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute("UPDATE users SET role = 'TALLER', active = false WHERE email = %s", (fired_email,))
        conn.execute("UPDATE users SET role = 'TALLER' WHERE email = %s", (demoted_email,))
    assert _me(live, fired)[0] == 401
    assert _me(live, demoted) == (200, "TALLER")
    with live.client(leaving) as http:
        assert http.post("/api/auth/logout").status_code == 200
    assert _me(live, leaving)[0] == 401

    pg.stop()
    try:
        with live.client() as http:
            taken = http.post("/api/orders", json=order_body())  # into the fallback: movable by staff
            assert taken.status_code == 201, taken.text
            order_id = taken.json()["orderId"]
        # Deactivated stays out, demoted stays demoted: the token's ADMIN claim is not believed.
        assert _me(live, fired)[0] == 401
        with live.client(fired) as http:
            cancel = http.put("/api/orders", json={"orderId": order_id, "status": "CANCELLED", "note": "x"})
            assert cancel.status_code == 403, cancel.text
        assert _me(live, demoted) == (200, "TALLER")
        with live.client(demoted) as http:
            cancel = http.put("/api/orders", json={"orderId": order_id, "status": "CANCELLED", "note": "x"})
            assert cancel.status_code == 403, cancel.text
        # Logged out stays logged out.
        assert _me(live, leaving)[0] == 401
        # Never seen by this server: the signed role, so staff keep working against the fallback.
        assert _me(live, unseen) == (200, "ADMIN")
    finally:
        pg.start()

    assert _me(live, fired)[0] == 401
    assert _me(live, leaving)[0] == 401
    assert _me(live, demoted) == (200, "TALLER")


def test_a_logout_during_an_outage_stays_a_logout_after_recovery(live: LiveServer, pg: OwnPostgres) -> None:
    # Issue 14: on main /api/auth/me answered 200 for 0.5–6 s after the database came back, because
    # the first reads saw no revocation row yet (it is written only once the database answers).
    _, token = _admin_user(live, "salida")
    assert _me(live, token) == (200, "ADMIN")  # seen while the database answers
    pg.stop()
    try:
        with live.client(token) as http:
            assert http.post("/api/auth/logout").status_code == 200
        assert _me(live, token)[0] == 401
    finally:
        pg.start()
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    codes, stored = [], False
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not (stored and len(codes) > 20):
        codes.append(_me(live, token)[0])
        with psycopg.connect(pg.url, autocommit=True) as conn:
            stored = (
                conn.execute("SELECT 1 FROM revoked_tokens WHERE jti = %s", (jti,)).fetchone() is not None
            )
    assert stored, "the logout was never written to the database"
    assert set(codes) == {401}, codes


def test_a_logout_during_an_outage_survives_a_restart_before_recovery(
    live: LiveServer, pg: OwnPostgres
) -> None:
    # Issue 14: on main the logout lived in the process's memory only; the restarted process had
    # never seen the user, so it believed the signed token (200) until the database answered.
    _, token = _admin_user(live, "reinicio")
    assert _me(live, token) == (200, "ADMIN")
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    pg.stop()
    try:
        with live.client(token) as http:
            assert http.post("/api/auth/logout").status_code == 200
        assert _me(live, token)[0] == 401
        live.kill()
        live.start()
        assert _me(live, token)[0] == 401
        pending = live.data_dir / "logouts" / jti  # where it waited through the restart
        assert pending.stat().st_mode & 0o777 == 0o600
    finally:
        pg.start()
    deadline = time.monotonic() + 15
    while pending.exists() and time.monotonic() < deadline:
        assert _me(live, token)[0] == 401
        time.sleep(0.2)
    assert not pending.exists(), "the logout was never written to the database"
    with psycopg.connect(pg.url, autocommit=True) as conn:
        assert conn.execute("SELECT 1 FROM revoked_tokens WHERE jti = %s", (jti,)).fetchone() is not None
    assert _me(live, token)[0] == 401
