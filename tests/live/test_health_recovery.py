"""Issue 14: health re-probes writes while they fail, so it says `ok` within seconds of a PostgreSQL
outage's end even when nothing was waiting to be replayed (a login failed during it, no order).
The module's own cluster is stopped and started (a real outage); SQLite's case is in
test_logs_and_health.py."""

from __future__ import annotations

import time

import httpx

from tests.pgcluster import OwnPostgres
from tests.servers import LiveServer


def _health(live: LiveServer) -> dict[str, object]:
    return httpx.get(f"{live.url}/api/health", timeout=30).json()


def test_health_says_ok_within_seconds_of_a_postgresql_recovery(live: LiveServer, pg: OwnPostgres) -> None:
    assert _health(live)["status"] == "ok"
    pg.stop()
    try:
        with live.client() as http:
            login = http.post("/api/auth/login", json={"email": "admin@test.krafta", "password": "x"})
            assert login.status_code == 503, login.text
        assert _health(live) == {
            "status": "degraded",
            "database": "down",
            "writes": "failing",
            "fallbackPending": 0,
        }
    finally:
        pg.start()
    recovered = time.monotonic()
    while (health := _health(live))["writes"] != "ok" and time.monotonic() - recovered < 10:
        time.sleep(0.2)
    # On main: {"database": "up", "writes": "failing"} until some order or login wrote again.
    assert health == {"status": "ok", "database": "up", "writes": "ok", "fallbackPending": 0}
    assert time.monotonic() - recovered < 5
