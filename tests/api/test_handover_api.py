"""Hand-over with tracking over HTTP (SQLite and PostgreSQL): `PUT /api/orders` with `courier` and
`trackingNumber`, the `delivery` object in every view (customers' included), and bad values as 400s."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.helpers import create_order
from tests.servers import Server

TO_READY = ("CONFIRMED", "IN_PRODUCTION", "READY")


def _move(http: httpx.Client, order_id: str, status: str, **extra: Any) -> httpx.Response:
    return http.put("/api/orders", json={"orderId": order_id, "status": status, **extra})


def _ready_order(server: Server, admin: httpx.Client, token: str | None = None) -> dict[str, Any]:
    created = create_order(server, token)
    for status in TO_READY:
        assert _move(admin, created["orderId"], status).status_code == 200
    return created


def test_handover_with_courier_and_tracking_is_stored_and_shown_everywhere(
    server: Server, admin: httpx.Client, taller: httpx.Client
) -> None:
    email = f"cliente-{uuid.uuid4().hex[:8]}@test.krafta"
    server.make_user(email, role="CLIENTE")
    customer_token = server.login(email)
    created = _ready_order(server, admin, customer_token)

    before = admin.get(f"/api/orders/{created['orderId']}").json()["order"]
    assert before["delivery"] is None

    moved = _move(
        taller,
        created["orderId"],
        "HANDED_TO_DELIVERY",
        expectedStatus="READY",
        courier="  MRW ",
        trackingNumber="MRW-0012345678",
    )
    assert moved.status_code == 200, moved.text
    delivery = moved.json()["order"]["delivery"]
    assert delivery["courier"] == "MRW" and delivery["trackingNumber"] == "MRW-0012345678"
    handed = datetime.fromisoformat(delivery["handedAt"])
    assert handed.tzinfo is not None
    assert abs(handed - datetime.fromisoformat(moved.json()["order"]["updatedAt"])) < timedelta(seconds=1)

    # Stored: read back by id, by number, in the list; and the customer sees it on their own order.
    by_number = admin.get(f"/api/orders/{created['orderNumber']}").json()["order"]
    assert by_number["delivery"] == delivery
    listed = admin.get("/api/orders", params={"status": "HANDED_TO_DELIVERY", "limit": 500}).json()["orders"]
    assert next(o for o in listed if o["id"] == created["orderId"])["delivery"] == delivery
    with server.client(customer_token) as http:
        own = http.get(f"/api/orders/{created['orderNumber']}").json()["order"]
        assert own["delivery"] == delivery
        assert "stuck" not in own  # the workshop's flag, not the customer's
        assert [o["delivery"] for o in http.get("/api/orders").json()["orders"]] == [delivery]

    # Completing the order keeps what the customer waits for.
    done = _move(taller, created["orderId"], "COMPLETED", expectedStatus="HANDED_TO_DELIVERY")
    assert done.status_code == 200 and done.json()["order"]["delivery"] == delivery


def test_handover_without_courier_or_tracking_stays_allowed(server: Server, admin: httpx.Client) -> None:
    created = _ready_order(server, admin)
    moved = _move(admin, created["orderId"], "HANDED_TO_DELIVERY")  # the seed's PUT: neither field
    assert moved.status_code == 200, moved.text
    delivery = moved.json()["order"]["delivery"]
    assert delivery["courier"] is None and delivery["trackingNumber"] is None
    assert delivery["handedAt"]

    other = _ready_order(server, admin)
    only_courier = _move(admin, other["orderId"], "HANDED_TO_DELIVERY", courier="Zoom")
    assert only_courier.status_code == 200
    assert only_courier.json()["order"]["delivery"]["courier"] == "Zoom"
    assert only_courier.json()["order"]["delivery"]["trackingNumber"] is None


@pytest.mark.parametrize(
    ("extra", "field", "says"),
    [
        ({"courier": "x" * 41}, "courier", "at most 40"),
        ({"trackingNumber": "9" * 65}, "trackingNumber", "at most 64"),
        ({"courier": "MRW\x1b[2J"}, "courier", "control characters"),
        ({"trackingNumber": "123\n456"}, "trackingNumber", "control characters"),
        ({"trackingNumber": "123\u202e456"}, "trackingNumber", "control characters"),
        ({"courier": ""}, "courier", "at least 1"),
        ({"courier": 7}, "courier", "string"),
        ({"trackingNumber": ["1"]}, "trackingNumber", "string"),
    ],
)
def test_bad_courier_or_tracking_is_a_400_naming_the_field_and_changes_nothing(
    server: Server, admin: httpx.Client, extra: dict[str, Any], field: str, says: str
) -> None:
    created = _ready_order(server, admin)
    response = _move(admin, created["orderId"], "HANDED_TO_DELIVERY", **extra)
    assert response.status_code == 400, response.text
    body = response.json()
    assert list(body["fields"]) == [field] and says in body["fields"][field], body
    after = admin.get(f"/api/orders/{created['orderId']}").json()["order"]
    assert after["status"] == "READY" and after["delivery"] is None


def test_courier_with_another_move_is_a_400(server: Server, admin: httpx.Client) -> None:
    created = create_order(server)
    response = _move(admin, created["orderId"], "CONFIRMED", courier="MRW", trackingNumber="1")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"courier", "trackingNumber"}
    after = admin.get(f"/api/orders/{created['orderId']}").json()["order"]
    assert after["status"] == "REPORTED"


def test_a_refused_handover_stores_no_delivery(server: Server, admin: httpx.Client) -> None:
    created = create_order(server)  # REPORTED: cannot be handed over yet
    response = _move(admin, created["orderId"], "HANDED_TO_DELIVERY", courier="MRW", trackingNumber="1")
    assert response.status_code == 409
    assert admin.get(f"/api/orders/{created['orderId']}").json()["order"]["delivery"] is None
