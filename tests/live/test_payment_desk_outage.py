"""The payment desk through a real database outage (a PostgreSQL this module started, stopped for
real): an order taken into the fallback is rejected there, and its rejected payment and reason
survive the replay into the database; orders paid with one reference during the outage name each
other from the fallback's index, confirming one needs force there too, and once replayed they name
the order the database held all along."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.helpers import order_body, reference
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


def _same(order: dict[str, Any]) -> list[list[str]]:
    return [p["sameReference"] for p in order["payments"]]


def test_reused_references_are_flagged_from_the_fallback_index(live: LiveServer, pg: OwnPostgres) -> None:
    digits = reference()
    with live.client() as http:
        stored = http.post("/api/orders", json=order_body(payment={"reference": f"00{digits}"})).json()
    pg.stop()
    try:
        with live.client() as http:
            first = http.post("/api/orders", json=order_body(payment={"reference": digits})).json()
            second = http.post("/api/orders", json=order_body(payment={"reference": f"0{digits}"})).json()
            alone = http.post("/api/orders", json=order_body()).json()
        with live.client(live.admin_token) as http:
            during = http.get(f"/api/orders/{first['orderNumber']}").json()["order"]
            flagged = http.get("/api/orders", params={"sameReference": "true"}).json()
            confirm = http.put("/api/orders", json={"orderId": second["orderId"], "status": "CONFIRMED"})
    finally:
        pg.start()

    assert during["storage"] == "fallback"
    # The database is down: the fallback's index is all there is to ask.
    assert _same(during) == [[second["orderNumber"]]]
    assert flagged["database"] == "down"
    assert {o["orderNumber"] for o in flagged["orders"]} == {first["orderNumber"], second["orderNumber"]}
    assert alone["orderNumber"] not in {o["orderNumber"] for o in flagged["orders"]}
    assert confirm.status_code == 409 and confirm.json()["code"] == "same_reference", confirm.text

    for created in (first, second, alone):
        _replayed(live, created["orderId"])
    with live.client(live.admin_token) as http:
        after = {
            o["orderNumber"]: o
            for o in http.get("/api/orders", params={"sameReference": "true"}).json()["orders"]
        }
    numbers = {stored["orderNumber"], first["orderNumber"], second["orderNumber"]}
    assert numbers <= set(after)
    for number in numbers:
        assert after[number]["storage"] == "database"
        assert _same(after[number]) == [sorted(numbers - {number})]
