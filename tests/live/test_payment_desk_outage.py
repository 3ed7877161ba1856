"""The payment desk through a real database outage (a PostgreSQL this module started, stopped for
real): an order taken into the fallback is rejected there, and its rejected payment and reason
survive the replay into the database."""

from __future__ import annotations

import json
import time

from tests.helpers import order_body
from tests.pgcluster import OwnPostgres
from tests.servers import LiveServer

REASON = "no transfer with this reference reached the account"


def _replayed(live: LiveServer, order_id: str) -> None:
    path = live.fallback_dir / f"{order_id}.json"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and path.exists():
        time.sleep(0.2)
    assert not path.exists(), "the fallback file was not replayed"


def test_a_rejection_in_the_fallback_survives_the_replay(live: LiveServer, pg: OwnPostgres) -> None:
    pg.stop()
    try:
        with live.client() as http:
            created = http.post("/api/orders", json=order_body()).json()
        order_id = created["orderId"]
        with live.client(live.admin_token) as http:
            refused = http.put("/api/orders", json={"orderId": order_id, "status": "PENDING"})
            rejected = http.put(
                "/api/orders", json={"orderId": order_id, "status": "PENDING", "note": REASON}
            )
        on_disk = json.loads((live.fallback_dir / f"{order_id}.json").read_text())
    finally:
        pg.start()

    assert refused.status_code == 400 and list(refused.json()["fields"]) == ["note"]
    assert rejected.status_code == 200, rejected.text
    order = rejected.json()["order"]
    assert order["storage"] == "fallback" and order["status"] == "PENDING"
    assert [(p["status"], p["rejectReason"]) for p in order["payments"]] == [("REJECTED", REASON)]
    assert on_disk["status"] == "PENDING"
    assert on_disk["payments"][0]["rejectReason"] == REASON

    _replayed(live, order_id)
    with live.client(live.admin_token) as http:
        after = http.get(f"/api/orders/{order_id}").json()["order"]
    assert after["storage"] == "database" and after["status"] == "PENDING"
    assert after["payments"] == order["payments"]
