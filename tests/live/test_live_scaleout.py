"""Two `krafta serve` processes on one PostgreSQL database: a change through one reaches the other's
subscribers within a second (LISTEN/NOTIFY), in commit order, and resumes work on either server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import create_order, order_body
from tests.servers import LiveServer
from tests.sse import Subscriber


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, pg_url_factory: Callable[[], str]
) -> Iterator[tuple[LiveServer, LiveServer]]:
    url = pg_url_factory()
    a = LiveServer(url, Path(tmp_path_factory.mktemp("instance-a")))
    b = LiveServer(url, Path(tmp_path_factory.mktemp("instance-b")))
    a.start()
    a.bootstrap()
    b.start()
    # Same database, same KRAFTA_JWT_SECRET: a session from one server is good on the other.
    b.admin_token, b.taller_token = a.admin_token, a.taller_token
    yield a, b
    a.stop()
    b.stop()


def test_a_move_through_one_server_reaches_the_others_subscribers_within_a_second(
    pair: tuple[LiveServer, LiveServer],
) -> None:
    a, b = pair
    with (
        Subscriber(b.url, b.taller_token) as shop_b,
        Subscriber(b.url, b.admin_token) as boss_b,
        Subscriber(a.url, a.admin_token) as boss_a,
        a.client(a.admin_token) as admin_a,
    ):
        sent = time.monotonic()
        made = create_order(a)
        created = shop_b.next(timeout=2)
        assert created.received_at - sent < 1.0 + 0.5  # the POST itself is in the interval
        assert created.event == "order.created"
        assert created.json["order"]["orderNumber"] == made["orderNumber"]
        # nextStatuses are the subscriber's, computed on B: a TALLER may not confirm a payment.
        assert created.json["order"]["nextStatuses"] == []
        assert boss_b.next(timeout=2).json["order"]["nextStatuses"] == ["CONFIRMED", "PENDING", "CANCELLED"]
        assert boss_a.next(timeout=2).id == created.id

        started = time.monotonic()
        r = admin_a.put("/api/orders", json={"orderId": made["orderId"], "status": "CONFIRMED"})
        assert r.status_code == 200
        moved = shop_b.next(timeout=2)
        assert moved.event == "order.status_changed"
        assert moved.json["order"]["status"] == "CONFIRMED"
        assert moved.json["order"]["nextStatuses"] == ["IN_PRODUCTION"]
        assert moved.received_at - started < 1.0, f"{moved.received_at - started:.3f}s"
        assert boss_b.next(timeout=2).id == moved.id == boss_a.next(timeout=2).id


def test_concurrent_writers_on_both_servers_give_every_subscriber_one_order(
    pair: tuple[LiveServer, LiveServer],
) -> None:
    """Ids follow commit order across servers: every subscriber sees the same increasing sequence."""
    a, b = pair
    subs = [Subscriber(s.url, s.taller_token).start() for s in (a, b, a, b)]
    made: list[str] = []
    lock = threading.Lock()

    def write(server: LiveServer) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for _ in range(15):
                r = http.post("/api/orders", json=order_body())
                assert r.status_code == 201
                with lock:
                    made.append(r.json()["orderId"])

    try:
        writers = [threading.Thread(target=write, args=(s,)) for s in (a, b, a, b)]
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        streams = [[(e.id, e.json["order"]["id"]) for e in sub.take(len(made), timeout=10)] for sub in subs]
        assert all(s == streams[0] for s in streams)
        ids = [int(i) for i, _ in streams[0]]
        assert ids == sorted(ids)
        assert sorted(o for _, o in streams[0]) == sorted(made)
        assert all(sub.quiet_for(0.3) for sub in subs)
    finally:
        for sub in subs:
            sub.close()


def test_resume_on_the_other_server(pair: tuple[LiveServer, LiveServer]) -> None:
    a, b = pair
    with Subscriber(a.url, a.admin_token) as sub:
        made = create_order(a)
        seen = sub.next(timeout=2)
    with a.client(a.admin_token) as admin_a:
        for status in ("CONFIRMED", "IN_PRODUCTION", "READY"):
            assert (
                admin_a.put("/api/orders", json={"orderId": made["orderId"], "status": status}).status_code
                == 200
            )
    with Subscriber(b.url, b.admin_token, last_event_id=seen.id) as back:
        got = back.take(3, timeout=3)
        assert [e.json["order"]["status"] for e in got] == ["CONFIRMED", "IN_PRODUCTION", "READY"]
        assert back.quiet_for(0.3)
