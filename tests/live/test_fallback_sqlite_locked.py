"""SQLite's outage: another process holds the write lock past the busy timeout; orders still land."""

from __future__ import annotations

import sqlite3
import time

from tests.helpers import order_body
from tests.servers import LiveServer


def test_a_locked_sqlite_database_falls_back_then_replays(sqlite_server: LiveServer) -> None:
    db_path = sqlite_server.db_url.removeprefix("sqlite:///")
    blocker = sqlite3.connect(db_path, timeout=1, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        with sqlite_server.client() as http:
            response = http.post("/api/orders", json=order_body(shippingCity="Cumaná"))
        waited = time.monotonic() - started
        assert response.status_code == 201, response.text
        order_id = response.json()["orderId"]
        assert (sqlite_server.fallback_dir / f"{order_id}.json").exists()
        # Order writes wait a short lock timeout (db.SQLITE_ORDER_WRITE_TIMEOUT_MS), not SQLite's 5 s.
        assert 0.5 <= waited < 3, waited
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (sqlite_server.fallback_dir / f"{order_id}.json").exists():
        time.sleep(0.2)
    assert not (sqlite_server.fallback_dir / f"{order_id}.json").exists()
    with sqlite_server.client(sqlite_server.admin_token) as http:
        order = http.get(f"/api/orders/{order_id}").json()["order"]
    assert order["storage"] == "database" and order["shippingCity"] == "Cumaná"
