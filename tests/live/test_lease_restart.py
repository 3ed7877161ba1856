"""Issue 14: a `krafta serve` killed and started again while PostgreSQL is down spends the numbers its
predecessor reserved (the lease kept on disk), so the orders it takes in the outage are never
renumbered by the replay. The module's own cluster is stopped and started (a real outage)."""

from __future__ import annotations

import time

import psycopg

from tests.helpers import order_body
from tests.pgcluster import OwnPostgres
from tests.servers import LiveServer


def _reserved_unspent(pg: OwnPostgres) -> set[str]:
    with psycopg.connect(pg.url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT number FROM order_numbers WHERE lessee <> 'order'"
            " AND number NOT IN (SELECT order_number FROM orders)"
        ).fetchall()
    return {number for (number,) in rows}


def test_a_server_restarted_in_an_outage_spends_its_reserved_numbers(
    live: LiveServer, pg: OwnPostgres
) -> None:
    with live.client() as http:
        assert http.post("/api/orders", json=order_body()).status_code == 201  # the lease is in use
    reserved = _reserved_unspent(pg)
    assert len(reserved) >= 16
    pg.stop()
    try:
        live.kill()  # a crash in the outage: no shutdown, nothing given back
        live.start()
        with live.client() as http:
            taken = [http.post("/api/orders", json=order_body()).json() for _ in range(3)]
        # On main the restarted server's lease was empty: numbers nobody had reserved.
        assert {t["orderNumber"] for t in taken} <= reserved, (taken, sorted(reserved)[:5])
    finally:
        pg.start()
    deadline = time.monotonic() + 30
    with live.client(live.admin_token) as http:
        while http.get("/api/health").json()["fallbackPending"] and time.monotonic() < deadline:
            time.sleep(0.3)
        for order in taken:
            stored = http.get(f"/api/orders/{order['orderId']}")
            assert stored.status_code == 200, stored.text
            assert stored.json()["order"]["orderNumber"] == order["orderNumber"]  # never renumbered
