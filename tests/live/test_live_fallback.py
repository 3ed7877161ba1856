"""Live events while PostgreSQL is down: changes taken into the fallback are published by the server
that took them, to its own subscribers; the replay tells the other servers, and nobody twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import order_body
from tests.pgcluster import OwnPostgres
from tests.servers import LiveServer
from tests.sse import Subscriber


@pytest.fixture(scope="module")
def pair(
    pg: OwnPostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, LiveServer]]:
    a = LiveServer(pg.url, Path(tmp_path_factory.mktemp("fallback-a")))
    b = LiveServer(pg.url, Path(tmp_path_factory.mktemp("fallback-b")))
    a.start()
    a.bootstrap()
    b.start()
    yield a, b
    a.stop()
    b.stop()


def test_fallback_changes_reach_local_subscribers_and_the_replay_reaches_the_others_once(
    pair: tuple[LiveServer, LiveServer], pg: OwnPostgres
) -> None:
    a, b = pair
    with Subscriber(a.url, a.admin_token) as on_a, Subscriber(b.url, a.admin_token) as on_b:
        pg.stop()
        try:
            with a.client(a.admin_token) as http:
                made = http.post("/api/orders", json=order_body())
                assert made.status_code == 201
                order_id = made.json()["orderId"]
                created = on_a.next(timeout=2)
                assert created.event == "order.created"
                assert created.json["order"]["storage"] == "fallback"
                assert created.json["order"]["nextStatuses"] == ["CONFIRMED", "PENDING", "CANCELLED"]
                moved = http.put("/api/orders", json={"orderId": order_id, "status": "CONFIRMED"})
                assert moved.status_code == 200, moved.text
                changed = on_a.next(timeout=2)
                assert changed.event == "order.status_changed"
                assert changed.json["order"]["status"] == "CONFIRMED"
                # Not a database id: a resume from it asks the client to reload.
                assert "-" in changed.id
            # B has its own fallback directory and no database: it cannot know yet.
            assert on_b.quiet_for(0.5)
        finally:
            pg.start()
        # A's replay loop imports the order: B's subscribers hear of it now, A's do not hear it twice.
        imported = on_b.next(timeout=20)
        assert imported.event == "order.created"
        assert imported.json["order"]["id"] == order_id
        assert imported.json["order"]["status"] == "CONFIRMED"
        assert imported.json["order"]["storage"] == "database"
        assert on_a.quiet_for(1.5), "A's subscriber was told about the replayed order again"
        # Afterwards, both follow the database as usual.
        with a.client(a.admin_token) as http:
            r = http.put("/api/orders", json={"orderId": order_id, "status": "IN_PRODUCTION"})
            assert r.status_code == 200
        assert on_a.next(timeout=3).json["order"]["status"] == "IN_PRODUCTION"
        assert on_b.next(timeout=3).json["order"]["status"] == "IN_PRODUCTION"
