"""The payment desk over HTTP (SQLite and PostgreSQL): an ADMIN rejects a payment with a reason, the
order goes back to PENDING, and the customer is shown why."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.helpers import create_order
from tests.servers import Server


def _customer(server: Server) -> str:
    email = f"cliente-{uuid.uuid4().hex[:8]}@test.krafta"
    server.make_user(email, role="CLIENTE")
    return server.login(email)


REASON = "the reference is not in the bank statement"


def _reject(admin: httpx.Client, order_id: str, note: Any = REASON) -> httpx.Response:
    body: dict[str, Any] = {"orderId": order_id, "status": "PENDING"}
    if note is not None:
        body["note"] = note
    return admin.put("/api/orders", json=body)


def test_a_rejected_payment_sends_the_order_back_to_pending_with_the_reason(
    server: Server, admin: httpx.Client
) -> None:
    token = _customer(server)
    created = create_order(server, token)

    answer = _reject(admin, created["orderId"])

    assert answer.status_code == 200, answer.text
    order = answer.json()["order"]
    assert order["status"] == "PENDING"
    [payment] = order["payments"]
    assert payment["status"] == "REJECTED"
    assert payment["rejectReason"] == "the reference is not in the bank statement"
    assert payment["reviewedBy"] == "admin@test.krafta"
    assert payment["reviewedAt"] is not None
    assert order["history"][-1]["fromStatus"] == "REPORTED" and order["history"][-1]["toStatus"] == "PENDING"
    with server.client(token) as customer:
        own = customer.get(f"/api/orders/{created['orderNumber']}").json()["order"]
    assert own["status"] == "PENDING"
    assert own["payments"][0]["status"] == "REJECTED"
    assert own["payments"][0]["rejectReason"] == "the reference is not in the bank statement"
    assert "reviewedBy" not in own["payments"][0]
    again = admin.get(f"/api/orders/{created['orderId']}").json()["order"]
    listed = admin.get("/api/orders", params={"status": "PENDING", "limit": 500}).json()["orders"]
    assert next(o for o in listed if o["id"] == created["orderId"])["payments"] == again["payments"]
    assert again["payments"][0]["rejectReason"] == "the reference is not in the bank statement"


def test_the_admin_is_offered_rejection_after_confirmation(server: Server, admin: httpx.Client) -> None:
    created = create_order(server)

    order = admin.get(f"/api/orders/{created['orderId']}").json()["order"]

    assert order["nextStatuses"] == ["CONFIRMED", "PENDING", "CANCELLED"]


def test_a_rejection_without_a_reason_is_a_400_naming_the_note(server: Server, admin: httpx.Client) -> None:
    created = create_order(server)

    for note in (None, "", "   "):
        answer = _reject(admin, created["orderId"], note)
        assert answer.status_code == 400, answer.text
        assert list(answer.json()["fields"]) == ["note"]
    assert admin.get(f"/api/orders/{created['orderId']}").json()["order"]["status"] == "REPORTED"


def test_only_an_admin_rejects_and_only_a_reported_order(
    server: Server, admin: httpx.Client, taller: httpx.Client
) -> None:
    created = create_order(server)

    by_taller = _reject(taller, created["orderId"])
    assert (
        admin.put("/api/orders", json={"orderId": created["orderId"], "status": "CONFIRMED"}).status_code
        == 200
    )
    confirmed = _reject(admin, created["orderId"])

    assert by_taller.status_code == 403, by_taller.text
    assert confirmed.status_code == 409, confirmed.text
    assert confirmed.json()["currentStatus"] == "CONFIRMED"
