"""Planning through a real database outage (issue 15): an order taken into the fallback while
PostgreSQL is down is planned there — due date, rush, a hold, a note, each in its file's timeline —
is found by the planning filters and `sort=due` from the files alone, and keeps all of it through
the replay."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

from tests.helpers import order_body
from tests.pgcluster import OwnPostgres
from tests.servers import LiveServer

KINDS = ["move", "due", "priority", "hold", "note"]


def test_a_fallback_order_is_planned_and_replayed_with_its_timeline(
    live: LiveServer, pg: OwnPostgres
) -> None:
    due = (date.today() + timedelta(days=10)).isoformat()
    until = (date.today() + timedelta(days=4)).isoformat()
    pg.stop()
    try:
        with live.client() as http:
            created = http.post("/api/orders", json=order_body(shippingCity="Carora")).json()
        number = created["orderNumber"]
        with live.client(live.admin_token) as http:
            planned = http.patch(f"/api/orders/{number}", json={"dueAt": due, "priority": "rush"})
            held = http.patch(
                f"/api/orders/{created['orderId']}",
                json={"hold": {"reason": "MATERIAL", "note": "sin franelas M", "until": until}},
            )
            noted = http.patch(f"/api/orders/{number}", json={"note": "proveedor llega el jueves"})
            stale = http.patch(
                f"/api/orders/{number}", json={"priority": "normal", "expectedStatus": "READY"}
            )
            listed = http.get("/api/orders", params={"held": "true", "sort": "due", "limit": 10})
        on_disk = json.loads((live.fallback_dir / f"{created['orderId']}.json").read_text())
    finally:
        pg.start()

    for answer in (planned, held, noted):
        assert answer.status_code == 200, answer.text
        assert answer.json()["order"]["storage"] == "fallback"
    assert stale.status_code == 409, stale.text
    assert [e["kind"] for e in on_disk["history"]] == KINDS
    assert on_disk["dueAt"] == due and on_disk["priority"] == "rush"
    assert on_disk["hold"]["reason"] == "MATERIAL" and on_disk["hold"]["until"] == until
    page = listed.json()
    assert page["database"] == "down"
    assert [o["orderNumber"] for o in page["orders"]] == [number]

    path = live.fallback_dir / f"{created['orderId']}.json"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and path.exists():
        time.sleep(0.2)
    assert not path.exists(), "the fallback file was not replayed"
    with live.client(live.admin_token) as http:
        after = http.get(f"/api/orders/{number}").json()["order"]
        rush = http.get("/api/orders", params={"priority": "rush", "held": "true", "limit": 10}).json()
        released = http.patch(f"/api/orders/{number}", json={"hold": None})
    assert after["storage"] == "database"
    assert [e["kind"] for e in after["history"]] == KINDS
    assert after["history"][-1]["note"] == "proveedor llega el jueves"
    assert after["history"][-1]["userEmail"] == "admin@test.krafta"
    assert (after["dueAt"], after["priority"], after["hold"]["note"]) == (due, "rush", "sin franelas M")
    assert [o["orderNumber"] for o in rush["orders"]] == [number]
    assert released.status_code == 200, released.text
    assert [e["kind"] for e in released.json()["order"]["history"]] == [*KINDS, "release"]
