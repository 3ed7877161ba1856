"""The living demo (issue 19, finding 8): each beat places an order and moves one a step, through the
order service as requests do; a demo database started again gets a password that works.

In process, on SQLite and PostgreSQL. On main there was no `DemoLife`: the demo shop stood still, and
its password was printed only the first time (the test below logs in with the second one).
"""

from __future__ import annotations

from typing import Any

from server.demo import DEMO_ADMIN, DEMO_TALLER, DemoLife, seed_demo
from server.domain.lifecycle import PIPELINE
from tests.servers import Server

PASSWORD = "demo-password-1"


def _all_orders(server: Server) -> dict[str, dict[str, Any]]:
    with server.client(server.admin_token) as http:
        answer = http.get("/api/orders", params={"limit": 200})
    assert answer.status_code == 200, answer.text
    return {o["id"]: o for o in answer.json()["orders"]}


def _login(server: Server, email: str, password: str) -> int:
    with server.client() as http:
        return http.post("/api/auth/login", json={"email": email, "password": password}).status_code


def test_each_beat_places_an_order_and_moves_one_a_step(server: Server) -> None:
    services = server.app.state.services
    seed_demo(services.db, password=PASSWORD)
    before = _all_orders(server)
    life = DemoLife(services, rng_seed=3)
    moved: list[dict[str, Any]] = []
    for _ in range(8):
        created, order = life.beat()
        assert created["orderNumber"].startswith("KRFT-")
        if order is not None:
            moved.append(order)
    after = _all_orders(server)
    new = [o for id_, o in after.items() if id_ not in before]
    assert len(new) == 8
    assert all(o["status"] == "REPORTED" for o in new if o["id"] not in {m["id"] for m in moved})
    assert len(moved) >= 6, "a beat moves an order unless someone moved it meanwhile"
    for order in moved:
        last = order["history"][-1]
        # One step along the pipeline, by a demo account, never a cancellation.
        assert PIPELINE.index(last["toStatus"]) == PIPELINE.index(last["fromStatus"]) + 1, last
        assert last["userEmail"] in (DEMO_ADMIN, DEMO_TALLER)
        if last["toStatus"] == "CONFIRMED":
            assert last["userEmail"] == DEMO_ADMIN
        if last["toStatus"] == "HANDED_TO_DELIVERY":
            assert order["delivery"]["courier"] and order["delivery"]["trackingNumber"]


def test_a_demo_started_again_gets_a_password_that_works(server: Server) -> None:
    services = server.app.state.services
    seed_demo(services.db, password=PASSWORD)
    again = seed_demo(services.db, password="second-password")
    assert (again.created, again.password) == (False, "second-password")
    assert _login(server, DEMO_ADMIN, "second-password") == 200
    assert _login(server, DEMO_TALLER, "second-password") == 200
    assert _login(server, DEMO_ADMIN, PASSWORD) == 401
    # Without a password asked for, a fresh one: printed on this start, and it logs in.
    fresh = seed_demo(services.db)
    assert fresh.password and fresh.password != "second-password"
    assert _login(server, DEMO_ADMIN, fresh.password) == 200
