"""A hand-over during a database outage: the courier and tracking number go into the fallback file,
and survive the replay into the database (a PostgreSQL this test started, stopped for real)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from tests.helpers import order_body
from tests.pgcluster import OwnPostgres
from tests.servers import LiveServer


def test_handover_on_a_fallback_order_survives_the_replay(live: LiveServer, pg: OwnPostgres) -> None:
    pg.stop()
    try:
        with live.client() as http:
            created = http.post("/api/orders", json=order_body(shippingCity="Puerto Ayacucho")).json()
        order_id = created["orderId"]
        path = live.fallback_dir / f"{order_id}.json"
        assert path.exists()
        with live.client(live.admin_token) as http:
            for frm, to in [
                ("REPORTED", "CONFIRMED"),
                ("CONFIRMED", "IN_PRODUCTION"),
                ("IN_PRODUCTION", "READY"),
            ]:
                r = http.put("/api/orders", json={"orderId": order_id, "status": to, "expectedStatus": frm})
                assert r.status_code == 200, r.text
            bad = http.put(
                "/api/orders",
                json={"orderId": order_id, "status": "HANDED_TO_DELIVERY", "courier": "Tealca\x07"},
            )
            assert bad.status_code == 400 and list(bad.json()["fields"]) == ["courier"]
            moved = http.put(
                "/api/orders",
                json={
                    "orderId": order_id,
                    "status": "HANDED_TO_DELIVERY",
                    "expectedStatus": "READY",
                    "courier": "Tealca",
                    "trackingNumber": "TE-778899",
                },
            )
            assert moved.status_code == 200, moved.text
            order = moved.json()["order"]
        assert order["storage"] == "fallback"
        delivery = order["delivery"]
        assert delivery["courier"] == "Tealca" and delivery["trackingNumber"] == "TE-778899"
        on_disk = json.loads(path.read_text())
        assert on_disk["status"] == "HANDED_TO_DELIVERY" and on_disk["delivery"] == delivery
        with live.client(live.admin_token) as http:
            listed = http.get("/api/orders", params={"status": "HANDED_TO_DELIVERY"}).json()["orders"]
        assert [o["delivery"] for o in listed if o["id"] == order_id] == [delivery]

        # Stuck rules hold for fallback orders too: one that entered REPORTED two days ago (its file
        # says so) is stuck by the default REPORTED=1d, listed by ?stuck=true; the fresh one is not.
        with live.client() as http:
            old = http.post("/api/orders", json=order_body(shippingCity="Tucupita")).json()["orderId"]
        old_path = live.fallback_dir / f"{old}.json"
        # Aged by hand, server stopped: a running server keeps an index of its fallback files.
        live.stop()
        record = json.loads(old_path.read_text())
        two_days_ago = (datetime.now(UTC) - timedelta(days=2)).isoformat()
        record["createdAt"] = record["enteredStatusAt"] = record["history"][0]["at"] = two_days_ago
        old_path.write_text(json.dumps(record))
        live.start()
        with live.client(live.admin_token) as http:
            stuck = http.get("/api/orders", params={"stuck": "true"}).json()["orders"]
            assert [o["id"] for o in stuck] == [old]
            assert stuck[0]["stuck"] is True and stuck[0]["storage"] == "fallback"
            assert http.get(f"/api/orders/{order_id}").json()["order"]["stuck"] is False
    finally:
        pg.start()

    # The server's own replay loop imports the file once the database answers.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and path.exists():
        time.sleep(0.2)
    assert not path.exists(), live.log()[-2000:]
    with live.client(live.admin_token) as http:
        stored = http.get(f"/api/orders/{order_id}").json()["order"]
    assert stored["storage"] == "database"
    assert stored["status"] == "HANDED_TO_DELIVERY"
    assert stored["delivery"] == delivery
    assert [e["toStatus"] for e in stored["history"]][-1] == "HANDED_TO_DELIVERY"
