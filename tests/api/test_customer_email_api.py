"""`customerEmail` (issue 19, finding 7) over HTTP on SQLite and PostgreSQL: staff see the e-mail of
the account that placed an order (one order, a page of the list, the full list), null for a guest;
the customer's own view does not carry it."""

from __future__ import annotations

import uuid

import httpx

from tests.helpers import create_order
from tests.servers import Server


def test_staff_views_carry_the_customers_email_and_null_for_guests(
    server: Server, admin: httpx.Client
) -> None:
    email = f"Cliente-{uuid.uuid4().hex[:8]}@Test.Krafta"
    server.make_user(email)
    token = server.login(email)
    own = create_order(server, token)
    guest = create_order(server)

    one = admin.get(f"/api/orders/{own['orderNumber']}").json()["order"]
    page = admin.get("/api/orders", params={"limit": 500}).json()["orders"]
    streamed = admin.get("/api/orders").json()["orders"]
    guest_one = admin.get(f"/api/orders/{guest['orderId']}").json()["order"]
    with server.client(token) as customer:
        mine = customer.get(f"/api/orders/{own['orderId']}").json()["order"]
        my_list = customer.get("/api/orders").json()["orders"]

    stored = email.lower()  # accounts keep e-mails lower-case
    assert one["customerEmail"] == stored
    for listing in (page, streamed):
        assert next(o for o in listing if o["id"] == own["orderId"])["customerEmail"] == stored
        assert next(o for o in listing if o["id"] == guest["orderId"])["customerEmail"] is None
    assert guest_one["customerEmail"] is None
    assert "customerEmail" not in mine and all("customerEmail" not in o for o in my_list)
