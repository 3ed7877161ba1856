"""Concurrent clients against the live server, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.helpers import create_order, order_body
from tests.servers import LiveServer


def _confirmed_order(server: LiveServer) -> str:
    order_id = create_order(server)["orderId"]
    with server.client(server.admin_token) as http:
        r = http.put(
            "/api/orders", json={"orderId": order_id, "status": "CONFIRMED", "expectedStatus": "REPORTED"}
        )
    assert r.status_code == 200, r.text
    return order_id


def test_eight_simultaneous_advances_make_exactly_one_change(server: LiveServer) -> None:
    order_id = _confirmed_order(server)
    body = {"orderId": order_id, "status": "IN_PRODUCTION", "expectedStatus": "CONFIRMED"}

    def advance(token: str) -> httpx.Response:
        with server.client(token) as http:
            return http.put("/api/orders", json=body)

    tokens = [server.admin_token, server.taller_token] * 4
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(advance, tokens))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 7, [r.text for r in responses]
    assert all(r.json()["currentStatus"] == "IN_PRODUCTION" for r in responses if r.status_code == 409)
    with server.client(server.admin_token) as http:
        order = http.get(f"/api/orders/{order_id}").json()["order"]
    moves = [e for e in order["history"] if e["toStatus"] == "IN_PRODUCTION"]
    assert order["status"] == "IN_PRODUCTION" and len(moves) == 1


def test_eight_simultaneous_advances_without_expected_status_still_make_one_change(
    server: LiveServer,
) -> None:
    order_id = _confirmed_order(server)

    def advance(_: int) -> int:
        with server.client(server.taller_token) as http:
            return http.put("/api/orders", json={"orderId": order_id, "status": "IN_PRODUCTION"}).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(advance, range(8)))
    assert codes == [200] + [409] * 7


def test_two_hundred_concurrent_posts_get_two_hundred_distinct_numbers(server: LiveServer) -> None:
    def post(i: int) -> httpx.Response:
        with server.client() as http:
            return http.post("/api/orders", json=order_body(shippingCity=f"Valencia {i}"))

    with ThreadPoolExecutor(32) as pool:
        responses = list(pool.map(post, range(200)))
    assert [r.status_code for r in responses] == [201] * 200
    numbers = {r.json()["orderNumber"] for r in responses}
    ids = {r.json()["orderId"] for r in responses}
    assert len(numbers) == 200 and len(ids) == 200
    with server.client(server.admin_token) as http:
        stored = http.get("/api/orders", params={"q": "Valencia "}).json()["orders"]
    assert {o["orderNumber"] for o in stored} >= numbers


def test_sixty_four_concurrent_clients_all_get_answers(server: LiveServer) -> None:
    """A thread pool / connection pool mismatch once stalled a build like this one at 16 clients."""

    def work(i: int) -> int:
        with server.client(server.admin_token, timeout=60) as http:
            if i % 2:
                return http.post("/api/orders", json=order_body()).status_code
            return http.get("/api/orders", params={"limit": 50}).status_code

    with ThreadPoolExecutor(64) as pool:
        codes = list(pool.map(work, range(256)))
    assert codes.count(201) == 128 and codes.count(200) == 128
