"""The payment desk live (a real `krafta serve`, SQLite and PostgreSQL): a guest follows its order's
events with the order token — the rejection with its reason, then its own new evidence — and hears
nothing of other orders; staff hear the new evidence as a status change."""

from __future__ import annotations

import httpx

from tests.helpers import order_body, reference
from tests.servers import LiveServer
from tests.sse import Subscriber

REASON = "the amount does not match the transfer"


def test_a_token_holder_follows_its_order_live(server: LiveServer, admin: httpx.Client) -> None:
    with server.client() as http:
        mine = http.post("/api/orders", json=order_body()).json()
        other = http.post("/api/orders", json=order_body()).json()
    token = {"X-Order-Token": mine["orderToken"]}
    wrong = {"X-Order-Token": other["orderToken"]}

    with (
        Subscriber(server.url, None, headers=token, params={"order": mine["orderNumber"]}) as guest,
        Subscriber(server.url, None, headers=wrong, params={"order": mine["orderNumber"]}) as stranger,
        Subscriber(server.url, None, headers=token) as unnamed,
        Subscriber(server.url, server.admin_token) as boss,
    ):
        assert guest.status == 200, guest.status
        assert stranger.status == 404 and unnamed.status == 400
        moved = admin.put("/api/orders", json={"orderId": other["orderId"], "status": "CONFIRMED"})
        assert moved.status_code == 200, moved.text
        rejected = admin.put(
            "/api/orders", json={"orderId": mine["orderId"], "status": "PENDING", "note": REASON}
        )
        assert rejected.status_code == 200, rejected.text
        with server.client() as http:
            sent = http.post(
                f"/api/orders/{mine['orderNumber']}/payments",
                json={
                    "method": "PAGO_MOVIL",
                    "reference": reference(),
                    "originBank": "BDV",
                    "payerName": "Ana",
                },
                headers=token,
            )
        assert sent.status_code == 201, sent.text

        first, second = guest.next(), guest.next()
        assert [boss.next().json["order"]["orderNumber"] for _ in range(3)] == [
            other["orderNumber"],
            mine["orderNumber"],
            mine["orderNumber"],
        ]

    assert first.event == second.event == "order.status_changed"
    assert first.json["order"]["id"] == mine["orderId"] and first.json["order"]["status"] == "PENDING"
    assert first.json["order"]["payments"][0]["rejectReason"] == REASON
    assert "reviewedBy" not in first.json["order"]["payments"][0]
    assert first.json["order"]["nextStatuses"] == []
    assert second.json["order"]["status"] == "REPORTED"
    assert [p["status"] for p in second.json["order"]["payments"]] == ["REJECTED", "REPORTED"]
    assert guest.events.qsize() == 0
