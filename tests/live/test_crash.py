"""Kill the server (SIGKILL) in the middle of a burst of writes, restart it, count what survived.

Every order the server answered 201 for must be there after the restart, exactly once.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.helpers import order_body
from tests.servers import LiveServer


def test_every_acknowledged_order_survives_a_kill_mid_write(server: LiveServer) -> None:
    acknowledged: list[str] = []
    failed = 0
    lock = threading.Lock()
    enough = threading.Event()

    def post(i: int) -> None:
        nonlocal failed
        try:
            with server.client(timeout=10) as http:
                r = http.post("/api/orders", json=order_body(shippingCity=f"Maracay {i}"))
        except httpx.HTTPError:
            with lock:
                failed += 1
            return
        with lock:
            if r.status_code == 201:
                acknowledged.append(r.json()["orderId"])
                if len(acknowledged) >= 40:
                    enough.set()
            else:
                failed += 1

    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(post, i) for i in range(300)]
        enough.wait(timeout=60)
        server.kill()
        for f in futures:
            f.result()
    assert len(acknowledged) >= 40
    assert failed > 0, "the kill happened after every request had finished; nothing was tested"

    server.start()
    with server.client(server.admin_token) as http:
        stored = http.get("/api/orders", params={"q": "Maracay "}).json()["orders"]
    stored_ids = [o["id"] for o in stored]
    missing = set(acknowledged) - set(stored_ids)
    assert missing == set(), f"{len(missing)} acknowledged orders lost"
    assert len(stored_ids) == len(set(stored_ids))
    assert len(acknowledged) <= len(stored_ids) <= 300
