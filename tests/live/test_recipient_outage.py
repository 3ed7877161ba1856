"""The recipient through a real database outage: an order placed while PostgreSQL is down keeps its
recipient in the fallback file, prints a ticket from there, and keeps it through the replay."""

from __future__ import annotations

import json
import time

from tests.helpers import order_body
from tests.pdf_pages import decode_pages, page_texts
from tests.pgcluster import OwnPostgres
from tests.servers import LiveServer

RECIPIENT = {
    "recipientName": "Carmen Rosa Peña",
    "recipientPhone": "0414 555 0199",
    "recipientIdNumber": "E-84.123.456",
}


def test_recipient_survives_the_fallback_and_the_replay(live: LiveServer, pg: OwnPostgres) -> None:
    pg.stop()
    try:
        with live.client() as http:
            created = http.post("/api/orders", json=order_body(**RECIPIENT)).json()
        path = live.fallback_dir / f"{created['orderId']}.json"
        on_disk = json.loads(path.read_text())
        with live.client(live.admin_token) as http:
            during = http.get(f"/api/orders/{created['orderNumber']}").json()["order"]
            ticket = http.get(f"/api/orders/{created['orderNumber']}/ticket")
            batch = http.get("/api/tickets", params={"status": "REPORTED"})
    finally:
        pg.start()

    assert {key: on_disk[key] for key in RECIPIENT} == RECIPIENT
    assert during["storage"] == "fallback"
    assert {key: during[key] for key in RECIPIENT} == RECIPIENT
    assert ticket.status_code == 200, ticket.text
    assert decode_pages(ticket.content, 203)[0].code128 == [created["orderNumber"]]
    text = page_texts(ticket.content)[0]
    assert all(value in text for value in RECIPIENT.values())
    # A batch by status from the fallback alone would be partial: refused, not silently short.
    assert batch.status_code == 503, batch.text

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and path.exists():
        time.sleep(0.2)
    assert not path.exists(), "the fallback file was not replayed"
    with live.client(live.admin_token) as http:
        after = http.get(f"/api/orders/{created['orderId']}").json()["order"]
    assert after["storage"] == "database"
    assert {key: after[key] for key in RECIPIENT} == RECIPIENT
