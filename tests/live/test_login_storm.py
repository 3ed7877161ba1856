"""Issue 8, finding 2: a storm of logins queues for a few hash slots instead of running dozens of
64 MiB Argon2 hashes at once, so the server's memory stays bounded and orders keep being taken.

The peak resident memory of the server process (VmHWM) is read from /proc before and after; the
same storm took it from ~0.1 to 2.0 GB before the fix.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.helpers import order_body
from tests.servers import LiveServer

STORM = 24


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


def test_a_login_storm_keeps_memory_bounded_and_orders_flowing(sqlite_server: LiveServer) -> None:
    assert sqlite_server.process is not None
    pid = sqlite_server.process.pid
    before = _peak_mib(pid)

    def login(i: int) -> int:
        body = {"email": f"nadie-{uuid.uuid4().hex[:8]}@test.krafta", "password": f"guess-{i}"}
        return httpx.post(f"{sqlite_server.url}/api/auth/login", json=body, timeout=120).status_code

    with ThreadPoolExecutor(STORM) as pool:
        storm = [pool.submit(login, i) for i in range(STORM)]
        time.sleep(0.3)  # the storm is under way
        started = time.monotonic()
        with sqlite_server.client() as http:
            order = http.post("/api/orders", json=order_body())
        order_seconds = time.monotonic() - started
        codes = [f.result() for f in storm]

    assert codes == [401] * STORM, codes  # unknown emails: the same answer, each after a real hash
    assert order.status_code == 201, order.text
    grown = _peak_mib(pid) - before
    # Two 64 MiB hashes at a time, plus slack for the allocator; 24 at once need ~1.5 GB.
    assert grown < 400, f"peak memory grew by {grown:.0f} MiB during {STORM} concurrent logins"
    assert order_seconds < 3, f"an order waited {order_seconds:.1f} s behind the logins"
