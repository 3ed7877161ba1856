"""The order core over HTTP against `krafta serve`: stray fallback files, hostile bodies, keys, views."""

from __future__ import annotations

import json
import threading
import time
import uuid

import httpx

from tests.helpers import create_order, order_body
from tests.servers import Server


def test_bad_fallback_files_never_break_the_list_nor_a_move(server: Server, admin: httpx.Client) -> None:
    good = create_order(server)
    directory = server.fallback_dir
    directory.mkdir(parents=True, exist_ok=True)
    record = admin.get(f"/api/orders/{good['orderId']}").json()["order"]
    record.pop("nextStatuses")
    planted = {}
    for why, change in {
        "status": {"status": "BOGUS"},
        "type": {"total": "15.00"},
        "missing": {"payments": None},
    }.items():
        name = str(uuid.uuid4())
        body = {**record, **change, "id": name}
        if change.get("payments", 1) is None:
            del body["payments"]
        (directory / f"{name}.json").write_text(json.dumps(body))
        planted[why] = name
    link = str(uuid.uuid4())
    (server.base_dir / "outside.json").write_text(json.dumps({**record, "id": link}))
    (directory / f"{link}.json").symlink_to(server.base_dir / "outside.json")
    planted["symlink"] = link

    full = admin.get("/api/orders")
    assert full.status_code == 200, full.text
    paged = admin.get("/api/orders", params={"limit": 5})
    assert paged.status_code == 200, paged.text
    listed = {o["id"] for o in full.json()["orders"]} | {o["id"] for o in paged.json()["orders"]}
    assert not listed & set(planted.values())
    for name in planted.values():
        assert admin.get(f"/api/orders/{name}").status_code == 404
        moved = admin.put("/api/orders", json={"orderId": name, "status": "CONFIRMED"})
        assert moved.status_code == 404, moved.text
    assert {f"{n}.json" for n in planted.values()} <= {p.name for p in (directory / "invalid").iterdir()}
    assert admin.get("/api/health").json()["fallbackPending"] == 0
    moved = admin.put("/api/orders", json={"orderId": good["orderId"], "status": "CONFIRMED"})
    assert moved.status_code == 200, moved.text


def test_flat_array_bodies_are_refused_while_health_keeps_answering(server: Server) -> None:
    body = b'{"x":[' + b",".join([b"[]"] * 1_500_000) + b"]}"
    assert 4_000_000 < len(body) < 5_000_000
    statuses: list[int] = []
    slowest = [0.0]
    done = threading.Event()

    def post() -> None:
        with server.client(timeout=60) as http:
            statuses.append(
                http.post(
                    "/api/orders", content=body, headers={"Content-Type": "application/json"}
                ).status_code
            )

    def watch() -> None:
        with server.client(timeout=10) as http:
            while not done.is_set():
                started = time.monotonic()
                assert http.get("/api/health").status_code == 200
                slowest[0] = max(slowest[0], time.monotonic() - started)
                time.sleep(0.05)

    posts = [threading.Thread(target=post) for _ in range(4)]
    watcher = threading.Thread(target=watch)
    watcher.start()
    for t in posts:
        t.start()
    for t in posts:
        t.join(timeout=60)
    done.set()
    watcher.join(timeout=15)
    assert len(statuses) == 4 and all(400 <= s < 500 for s in statuses), statuses
    assert slowest[0] < 1.0, slowest


def test_an_idempotency_key_belongs_to_its_caller(server: Server) -> None:
    server.make_user("alice@test.krafta")
    server.make_user("bob@test.krafta")
    alice, bob = server.login("alice@test.krafta"), server.login("bob@test.krafta")
    key = {"Idempotency-Key": f"shared-{uuid.uuid4()}"}
    made = {}
    body = order_body()
    for who, token in (("alice", alice), ("bob", bob), ("anonymous", None)):
        with server.client(token) as http:
            first = http.post("/api/orders", json=body, headers=key)
            again = http.post("/api/orders", json=body, headers=key)
        assert first.status_code == again.status_code == 201
        assert again.json() == {k: v for k, v in first.json().items() if k != "orderToken"}
        made[who] = first.json()["orderId"]
    assert len(set(made.values())) == 3
    with server.client(bob) as http:
        mine = http.get("/api/orders").json()["orders"]
    assert [o["id"] for o in mine] == [made["bob"]]


def test_customers_see_their_order_without_staff_details(server: Server, admin: httpx.Client) -> None:
    server.make_user("carla@test.krafta")
    carla = server.login("carla@test.krafta")
    made = create_order(server, carla)
    moved = admin.put(
        "/api/orders",
        json={"orderId": made["orderId"], "status": "CONFIRMED", "note": "internal: checked twice"},
    )
    assert moved.status_code == 200
    staff_view = moved.json()["order"]
    assert staff_view["history"][-1]["userEmail"] == "admin@test.krafta"
    assert staff_view["payments"][0]["reviewedBy"] == "admin@test.krafta"
    with server.client(carla) as http:
        one = http.get(f"/api/orders/{made['orderId']}").json()["order"]
        listed = http.get("/api/orders").json()["orders"]
        paged = http.get("/api/orders", params={"limit": 10}).json()["orders"]
    for order in (one, *listed, *paged):
        assert [set(e) for e in order["history"]] == [{"fromStatus", "toStatus", "at", "kind"}] * 2
        assert [e["kind"] for e in order["history"]] == ["move", "move"]
        assert order["history"][-1]["toStatus"] == "CONFIRMED"
        assert all("reviewedBy" not in p for p in order["payments"])
        assert "internal" not in json.dumps(order)
        assert order["nextStatuses"] == []
