"""`GET /api/orders?updatedSince=…`: what changed since a board's last look, on both databases."""

from __future__ import annotations

import httpx

from tests.helpers import create_order
from tests.servers import Server


def test_only_orders_changed_after_the_instant_are_returned(server: Server, admin: httpx.Client) -> None:
    moved = create_order(server)
    untouched = create_order(server)
    since = admin.get(f"/api/orders/{untouched['orderId']}").json()["order"]["updatedAt"]
    r = admin.put("/api/orders", json={"orderId": moved["orderId"], "status": "CONFIRMED"})
    assert r.status_code == 200
    changed_at = r.json()["order"]["updatedAt"]
    assert changed_at > since

    for params in ({"updatedSince": since}, {"updatedSince": since, "limit": 1}):
        body = admin.get("/api/orders", params=params).json()
        ids = [o["id"] for o in body["orders"]]
        assert ids == [moved["orderId"]], params
    assert admin.get("/api/orders", params={"updatedSince": changed_at}).json()["orders"] == []
    # Combined with the other filters, as the board asks for its columns.
    assert [
        o["id"]
        for o in admin.get("/api/orders", params={"updatedSince": since, "status": "CONFIRMED"}).json()[
            "orders"
        ]
    ] == [moved["orderId"]]
    assert admin.get("/api/orders", params={"updatedSince": since, "status": "READY"}).json()["orders"] == []


def test_bad_instants_are_a_400_naming_the_parameter(admin: httpx.Client) -> None:
    for bad in ["yesterday", "2026-11-26T06:20:05", "2026-13-40T00:00:00+00:00", "9999-12-31T23:59:59-14:00"]:
        r = admin.get("/api/orders", params={"updatedSince": bad})
        assert r.status_code == 400, (bad, r.text)
        assert "updatedSince" in r.json()["fields"]
