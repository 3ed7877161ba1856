"""The event stream's limits, on a server with a short heartbeat and a tiny subscriber queue:
heartbeats, a demoted user's stream ending, a subscriber that falls behind getting `resync` and
being dropped, and a server stop that closes open streams instead of waiting on them."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import create_order
from tests.servers import LiveServer
from tests.sse import Subscriber

SMALL = {"KRAFTA_EVENTS_HEARTBEAT": "0.3", "KRAFTA_EVENTS_QUEUE": "4"}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    base = Path(tmp_path_factory.mktemp("small-queue"))
    live = LiveServer(f"sqlite:///{base / 'krafta.db'}", base, extra_env=SMALL)
    live.start()
    live.bootstrap()
    yield live
    live.stop()


def test_heartbeat_comments_keep_an_idle_stream_alive(small: LiveServer) -> None:
    with Subscriber(small.url, small.admin_token) as sub:
        time.sleep(1.0)
        assert sub.comments.count("keepalive") >= 2
        assert not sub.ended.is_set()


def test_a_demoted_users_stream_ends(small: LiveServer) -> None:
    small.make_user("soon-cliente@test.krafta", role="TALLER")
    token = small.login("soon-cliente@test.krafta")
    with Subscriber(small.url, token) as sub:
        time.sleep(0.5)
        assert not sub.ended.is_set()
        small.set_role("soon-cliente@test.krafta", "CLIENTE")
        assert sub.ended.wait(3), "a demoted TALLER kept receiving every order's events"


def test_a_logged_out_sessions_stream_ends(small: LiveServer) -> None:
    small.make_user("leaving@test.krafta", role="TALLER")
    token = small.login("leaving@test.krafta")
    with Subscriber(small.url, token) as sub:
        time.sleep(0.5)
        assert not sub.ended.is_set()
        with small.client(token) as http:
            assert http.post("/api/auth/logout").status_code == 200
        assert sub.ended.wait(3), "a revoked token kept its event stream"


def _read_until(sock: socket.socket, marker: bytes, timeout: float) -> bytes:
    sock.settimeout(timeout)
    got = b""
    deadline = time.monotonic() + timeout
    while marker not in got and time.monotonic() < deadline:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        got += chunk
    return got


def test_a_subscriber_that_falls_behind_gets_resync_and_is_dropped(small: LiveServer) -> None:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", small.port))
    request = (
        f"GET /api/orders/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {small.admin_token}\r\n\r\n"
    )
    sock.sendall(request.encode())
    try:
        big = "data:image/png;base64," + "A" * 2_000_000
        with Subscriber(small.url, small.taller_token) as reader:
            for _ in range(12):
                made = create_order(small, previewUrl=big)
                assert reader.next(timeout=5).json["order"]["id"] == made["orderId"]
        # Now read the stalled stream: what was in flight, then resync, then the end of the response.
        got = _read_until(sock, b"\r\n0\r\n\r\n", timeout=15)
        assert b"event: resync" in got
        assert got.rstrip().endswith(b"0"), got[-200:]
        assert got.count(b"event: order.created") < 12
    finally:
        sock.close()


def test_stopping_the_server_closes_open_streams_promptly(tmp_path: Path) -> None:
    live = LiveServer(f"sqlite:///{tmp_path / 'krafta.db'}", tmp_path)
    live.start()
    live.bootstrap()
    subs = [Subscriber(live.url, live.admin_token).start() for _ in range(3)]
    try:
        started = time.monotonic()
        live.stop()
        took = time.monotonic() - started
        assert all(sub.ended.wait(2) for sub in subs), "streams were cut, not ended"
        # uvicorn's graceful timeout is 5 s: an open stream must not make every stop wait it out.
        assert took < 4.5, f"stop took {took:.1f}s"
        assert "returned without completing" not in live.log()
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{live.url}/api/health", timeout=1)
    finally:
        for sub in subs:
            sub.close()


CAPPED = {"KRAFTA_EVENTS_PER_USER": "2", "KRAFTA_EVENTS_SUBSCRIBERS": "3"}


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    base = Path(tmp_path_factory.mktemp("capped-streams"))
    live = LiveServer(f"sqlite:///{base / 'krafta.db'}", base, extra_env=CAPPED)
    live.start()
    live.bootstrap()
    yield live
    live.stop()


def _refused(live: LiveServer, token: str) -> httpx.Response:
    with live.client(token, timeout=5) as http:  # an open stream would time out here: a failure too
        return http.get("/api/orders/events")


def test_open_streams_are_capped_per_user_and_per_process(capped: LiveServer) -> None:
    # Issue 14: on main one admin token opened 3,000 streams and the next POST took 10.9 s.
    subs = [Subscriber(capped.url, capped.admin_token).start() for _ in range(2)]
    try:
        assert [sub.status for sub in subs] == [200, 200]
        mine = _refused(capped, capped.admin_token)
        assert mine.status_code == 429, mine.text
        assert mine.json()["code"] == "rate_limited" and int(mine.headers["retry-after"]) > 0
        assert "2 live event streams open" in mine.json()["error"]
        subs.append(Subscriber(capped.url, capped.taller_token).start())  # another user: the third
        assert subs[-1].status == 200
        full = _refused(capped, capped.taller_token)
        assert full.status_code == 429 and "most live event streams open (3)" in full.json()["error"]
        started = time.monotonic()
        made = create_order(capped)  # orders are still taken at once, and told to the open streams
        assert time.monotonic() - started < 2
        assert subs[0].next(timeout=5).json["order"]["id"] == made["orderId"]
        subs.pop(0).close()  # a closed stream frees its place
        deadline = time.monotonic() + 5
        while (again := Subscriber(capped.url, capped.admin_token).start()).status != 200:
            again.close()
            assert time.monotonic() < deadline, "a closed stream kept its place"
            time.sleep(0.1)
        subs.append(again)
    finally:
        for sub in subs:
            sub.close()
