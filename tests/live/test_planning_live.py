"""A planning change is an `order.updated` event on the real stream (issue 15), on SQLite and
PostgreSQL through `krafta serve`: staff see the hold and the note, the order's customer sees the
hold's reason and the status changes only."""

from __future__ import annotations

import uuid

import httpx

from tests.helpers import create_order
from tests.servers import LiveServer
from tests.sse import Subscriber


def test_a_patch_reaches_each_subscriber_in_their_view(server: LiveServer, admin: httpx.Client) -> None:
    email = f"c-{uuid.uuid4().hex[:8]}@test.krafta"
    server.make_user(email, role="CLIENTE")
    token = server.login(email)
    made = create_order(server, token)
    with Subscriber(server.url, server.admin_token) as staff, Subscriber(server.url, token) as owner:
        answer = admin.patch(
            f"/api/orders/{made['orderNumber']}",
            json={"hold": {"reason": "ADDRESS", "note": "street missing"}, "note": "called twice"},
        )
        assert answer.status_code == 200, answer.text
        (seen,) = staff.take(1)
        (theirs,) = owner.take(1)
        assert staff.quiet_for(0.5) and owner.quiet_for(0.3)

    assert seen.event == theirs.event == "order.updated"
    order = seen.json["order"]
    assert order["id"] == made["orderId"] and order["status"] == "REPORTED"
    assert order["hold"]["note"] == "street missing" and order["hold"]["by"] == "admin@test.krafta"
    assert [e["kind"] for e in order["history"]] == ["move", "hold", "note"]
    assert order["late"] is False and order["stuck"] is False
    mine = theirs.json["order"]
    assert mine["hold"] == {"reason": "ADDRESS"}
    assert [e["kind"] for e in mine["history"]] == ["move"]
    assert "street missing" not in str(mine) and "called twice" not in str(mine)
