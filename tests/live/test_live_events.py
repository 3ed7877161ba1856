"""`GET /api/orders/events` on one server, SQLite and PostgreSQL: format, access, resume, slow readers."""

from __future__ import annotations

import json
import queue
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from server.live.log import prune
from server.storage.db import Database
from server.storage.models import change_log_t
from tests.helpers import create_order
from tests.servers import LiveServer
from tests.sse import SSEEvent, Subscriber


def move(http: httpx.Client, order_id: str, status: str) -> dict:
    r = http.put("/api/orders", json={"orderId": order_id, "status": status})
    assert r.status_code == 200, r.text
    return r.json()["order"]


def customer(server: LiveServer) -> str:
    email = f"c-{uuid.uuid4().hex[:8]}@test.krafta"
    server.make_user(email, role="CLIENTE")
    return server.login(email)


def test_no_session_is_401_and_an_order_named_events_is_not_asked_for(server: LiveServer) -> None:
    r = httpx.get(f"{server.url}/api/orders/events", timeout=10)
    assert r.status_code == 401
    assert r.json()["success"] is False
    bad = httpx.get(
        f"{server.url}/api/orders/events",
        params={"status": "NOPE"},
        timeout=10,
        headers={"Authorization": f"Bearer {server.admin_token}"},
    )
    assert bad.status_code == 400 and "status" in bad.json()["fields"]


def test_staff_get_created_and_moved_in_their_own_view(server: LiveServer, admin: httpx.Client) -> None:
    with (
        Subscriber(server.url, server.admin_token) as boss,
        Subscriber(server.url, server.taller_token) as shop,
    ):
        assert boss.status == 200 and boss.content_type.startswith("text/event-stream")
        assert boss.retry and boss.retry > 0
        created = create_order(server)
        for sub, allowed in ((boss, ["CONFIRMED", "PENDING", "CANCELLED"]), (shop, [])):
            e = sub.next()
            assert e.event == "order.created"
            body = e.json
            assert body["type"] == "order.created"
            assert body["order"]["id"] == created["orderId"]
            assert body["order"]["orderNumber"] == created["orderNumber"]
            assert body["order"]["status"] == "REPORTED"
            assert body["order"]["nextStatuses"] == allowed
            # Staff frames say `stuck` like every staff view (by the default rules: not yet).
            assert body["order"]["stuck"] is False
            assert body["order"]["enteredStatusAt"] == body["order"]["createdAt"]
        move(admin, created["orderId"], "CONFIRMED")
        for sub, allowed in ((boss, ["IN_PRODUCTION", "CANCELLED"]), (shop, ["IN_PRODUCTION"])):
            e = sub.next()
            assert e.event == "order.status_changed"
            assert e.json["order"]["status"] == "CONFIRMED"
            assert e.json["order"]["nextStatuses"] == allowed
            assert e.json["order"]["history"][-1]["fromStatus"] == "REPORTED"
            assert e.json["order"]["enteredStatusAt"] == e.json["order"]["history"][-1]["at"]
            assert e.json["order"]["stuck"] is False
        assert boss.events.qsize() == 0
        # Ids increase in commit order, the same ids on every subscriber.
        again = create_order(server)
        a, b = boss.next(), shop.next()
        assert a.id == b.id and a.json["order"]["id"] == again["orderId"]
        assert int(a.id) > 0


def test_status_filter_matches_moves_into_and_out_of_the_statuses(
    server: LiveServer, admin: httpx.Client
) -> None:
    order = create_order(server)
    with Subscriber(server.url, server.admin_token, params={"status": ["IN_PRODUCTION"]}) as sub:
        move(admin, order["orderId"], "CONFIRMED")  # neither side is IN_PRODUCTION
        move(admin, order["orderId"], "IN_PRODUCTION")  # into
        move(admin, order["orderId"], "READY")  # out of
        into, out = sub.take(2)
        assert [into.json["order"]["status"], out.json["order"]["status"]] == ["IN_PRODUCTION", "READY"]
        assert sub.quiet_for(0.5)


def test_resume_after_a_disconnect_gets_exactly_the_missed_events_in_order(
    server: LiveServer, admin: httpx.Client
) -> None:
    order = create_order(server)
    with Subscriber(server.url, server.admin_token) as sub:
        move(admin, order["orderId"], "CONFIRMED")
        seen = sub.next()
        assert seen.json["order"]["status"] == "CONFIRMED"
    for status in ("IN_PRODUCTION", "READY", "HANDED_TO_DELIVERY"):
        move(admin, order["orderId"], status)
    with Subscriber(server.url, server.admin_token, last_event_id=seen.id) as back:
        missed = back.take(3)
        assert [e.json["order"]["status"] for e in missed] == ["IN_PRODUCTION", "READY", "HANDED_TO_DELIVERY"]
        assert [e.event for e in missed] == ["order.status_changed"] * 3
        ids = [int(e.id) for e in missed]
        assert ids == sorted(ids) and ids[0] > int(seen.id)
        # ... and nothing else, then live events follow on the same stream.
        assert back.quiet_for(0.5)
        move(admin, order["orderId"], "COMPLETED")
        assert back.next().json["order"]["status"] == "COMPLETED"
        assert back.quiet_for(0.3)


def test_an_unknown_or_pruned_last_event_id_gets_resync_then_live_events(
    server: LiveServer, admin: httpx.Client
) -> None:
    order = create_order(server)
    with Subscriber(server.url, server.admin_token) as sub:
        move(admin, order["orderId"], "CONFIRMED")
        old = sub.next()
    # Events older than the retention are pruned (the server does it every few minutes).
    db = Database(server.db_url, pool_size=1)
    try:
        assert prune(db, keep=timedelta(0)) >= 1
    finally:
        db.dispose()
    for stale in (old.id, "999999999", "12-3", "not-an-id"):
        with Subscriber(server.url, server.admin_token, last_event_id=stale) as back:
            e = back.next()
            assert e.event == "resync", stale
            assert e.json == {"type": "resync"}
            # "Reload, then carry on": the stream stays open and live events follow.
            made = create_order(server)
            live = back.next()
            assert live.event == "order.created" and live.json["order"]["id"] == made["orderId"]
            if e.id is not None:
                assert int(live.id) > int(e.id)


def test_a_customer_gets_their_own_orders_and_never_anothers(server: LiveServer, admin: httpx.Client) -> None:
    mine, theirs = customer(server), customer(server)
    with Subscriber(server.url, mine) as sub:
        other = create_order(server, theirs)
        guest = create_order(server)
        own = create_order(server, mine)
        move(admin, other["orderId"], "CONFIRMED")
        move(admin, guest["orderId"], "CONFIRMED")
        move(admin, own["orderId"], "CONFIRMED")
        created, confirmed = sub.take(2)
        assert created.event == "order.created" and created.json["order"]["id"] == own["orderId"]
        assert confirmed.event == "order.status_changed" and confirmed.json["order"]["id"] == own["orderId"]
        assert confirmed.json["order"]["nextStatuses"] == []
        assert "stuck" not in confirmed.json["order"]
        assert confirmed.json["order"]["enteredStatusAt"] == confirmed.json["order"]["updatedAt"]
        assert sub.quiet_for(0.5)
    # Nor on resume: the backlog is filtered the same way.
    with Subscriber(server.url, mine, last_event_id=created.id) as back:
        assert back.next().id == confirmed.id
        assert back.quiet_for(0.5)


def test_a_staff_frame_says_stuck_as_of_when_it_is_sent(server: LiveServer, admin: httpx.Client) -> None:
    """A change logged long ago and read on resume is rendered with the stuck rules at sending time
    (here the default REPORTED=1d, against an entry time moved three days back in the log)."""
    with Subscriber(server.url, server.admin_token) as sub:
        mark = create_order(server)
        first = sub.next()
        assert first.json["order"]["id"] == mark["orderId"]
        order = create_order(server)
        logged = sub.next()
        assert logged.json["order"]["stuck"] is False
    long_ago = (datetime.now(UTC) - timedelta(days=3)).isoformat(timespec="microseconds")
    db = Database(server.db_url, pool_size=1)
    try:
        with db.write() as session:
            row = session.execute(
                select(change_log_t.c.order_json).where(change_log_t.c.id == int(logged.id))
            ).scalar_one()
            session.execute(
                update(change_log_t)
                .where(change_log_t.c.id == int(logged.id))
                .values(order_json=json.dumps({**json.loads(row), "enteredStatusAt": long_ago}))
            )
    finally:
        db.dispose()
    with Subscriber(server.url, server.admin_token, last_event_id=first.id) as back:
        again = back.next()
        assert again.id == logged.id and again.json["order"]["id"] == order["orderId"]
        assert again.json["order"]["stuck"] is True


def _stalled(server: LiveServer, token: str) -> socket.socket:
    """A client that subscribes and never reads a byte, with the smallest receive buffer it may have."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    request = f"GET /api/orders/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
    sock.sendall(request.encode())
    return sock


def test_a_stalled_subscriber_does_not_delay_another(server: LiveServer, admin: httpx.Client) -> None:
    stalled = [_stalled(server, server.admin_token) for _ in range(3)]
    try:
        time.sleep(0.3)
        # Large orders (a 1.5 MB preview each) fill the stalled clients' buffers after a few events.
        big = "data:image/png;base64," + "A" * 2_000_000
        with Subscriber(server.url, server.taller_token) as reader:
            worst = 0.0
            for _ in range(8):
                made = create_order(server, previewUrl=big)
                # From the 201 on (the upload of a 2 MB body is not the stream's doing).
                answered = time.monotonic()
                e: SSEEvent = reader.next(timeout=5)
                assert e.json["order"]["id"] == made["orderId"]
                worst = max(worst, e.received_at - answered)
                move(admin, made["orderId"], "CONFIRMED")
                answered = time.monotonic()
                e = reader.next(timeout=5)
                assert e.json["order"]["status"] == "CONFIRMED"
                worst = max(worst, e.received_at - answered)
            assert worst < 1.0, f"worst delivery {worst:.2f}s"
    finally:
        for sock in stalled:
            sock.close()


def test_many_subscribers_each_get_every_event_once(server: LiveServer, admin: httpx.Client) -> None:
    subs = [Subscriber(server.url, server.taller_token).start() for _ in range(10)]
    try:
        made = [create_order(server)["orderId"] for _ in range(5)]
        for sub in subs:
            got = [sub.next().json["order"]["id"] for _ in range(5)]
            assert got == made
            with pytest.raises(queue.Empty):
                sub.events.get(timeout=0.05)
    finally:
        for sub in subs:
            sub.close()
