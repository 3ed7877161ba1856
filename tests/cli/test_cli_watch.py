"""`krafta orders watch`: live events as lines or JSON lines, run as a real command against a live
server — ended by its reader (`| head -n 2`), by Ctrl-C, and resuming by itself after a restart."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from typing import IO

import pytest

from tests.cli.conftest import Krafta
from tests.helpers import create_order
from tests.servers import Server, ThreadedServer, krafta_exe


def _lines(stream: IO[str]) -> queue.Queue[str]:
    """Lines of a child's output as they come."""
    got: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            got.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return got


# A child started from a background job (`nohup pytest &`, a CI runner) inherits SIGINT ignored, and
# a Python child then keeps ignoring it: the Ctrl-C these tests send would never arrive. The user
# presses Ctrl-C on a foreground program, so the child starts as one: SIGINT back to its default,
# then exec (which keeps a default disposition). Not preexec_fn: unsafe with the server's threads.
_FOREGROUND = "; ".join(
    [
        "import os, signal, sys",
        "signal.signal(signal.SIGINT, signal.SIG_DFL)",
        "os.execvp(sys.argv[1], sys.argv[1:])",
    ]
)


def foreground(command: list[str]) -> list[str]:
    """`command` as a program started in the foreground of a terminal: Ctrl-C (SIGINT) reaches it."""
    return [sys.executable, "-c", _FOREGROUND, *command]


def _watch(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    """`krafta orders watch` (or a pipeline around it) as a foreground child, with its lines as they come."""
    proc = subprocess.Popen(
        foreground(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    return proc, _lines(proc.stdout)


def _move(server: Server, order_id: str, status: str) -> None:
    with server.client(server.admin_token) as http:
        assert http.put("/api/orders", json={"orderId": order_id, "status": status}).status_code == 200


def _first_line_while_ordering(server: Server, lines: queue.Queue[str], timeout: float = 20) -> str:
    """Make orders until the watch prints something (it has then surely subscribed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        create_order(server)
        try:
            return lines.get(timeout=0.4)
        except queue.Empty:
            continue
    raise AssertionError("the watch printed nothing")


def test_json_lines_into_head_print_two_events_and_exit_0(admin: Krafta, sqlite_server: Server) -> None:
    proc, lines = _watch(
        ["bash", "-c", f"set -o pipefail; '{krafta_exe()}' orders watch --json | head -n 2"], admin.env()
    )
    try:
        first = _first_line_while_ordering(sqlite_server, lines)
        create_order(sqlite_server)  # the second; nothing after it
        code = proc.wait(timeout=10)
    finally:
        proc.kill()
    second = lines.get(timeout=2)
    assert code == 0, proc.stderr.read() if proc.stderr else ""
    assert lines.empty()
    events = [json.loads(first), json.loads(second)]
    for event in events:
        assert event["type"] == "order.created"
        assert event["order"]["status"] == "REPORTED"
        assert event["order"]["nextStatuses"] == ["CONFIRMED", "PENDING", "CANCELLED"]
        assert event["id"]
    assert int(events[1]["id"]) > int(events[0]["id"])


def test_lines_say_time_number_move_and_who_and_ctrl_c_ends_cleanly(
    admin: Krafta, sqlite_server: Server
) -> None:
    proc, lines = _watch([krafta_exe(), "orders", "watch"], admin.env())
    try:
        _first_line_while_ordering(sqlite_server, lines)
        while not lines.empty():
            lines.get()
        made = create_order(sqlite_server)
        created = lines.get(timeout=5)
        _move(sqlite_server, made["orderId"], "CONFIRMED")
        moved = lines.get(timeout=5)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=5)
    finally:
        proc.kill()
    assert created.split()[1:] == [made["orderNumber"], "new", "→", "REPORTED"]
    clock, number, *rest = moved.split("  ")
    assert len(clock) == 8 and clock.count(":") == 2
    assert number == made["orderNumber"]
    assert rest == ["REPORTED → CONFIRMED", "admin@test.krafta (ADMIN)"]
    assert code == 0
    assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")


def test_a_customer_watch_shows_only_their_orders_and_not_who(krafta: Krafta, sqlite_server: Server) -> None:
    sqlite_server.make_user("watcher@test.krafta", role="CLIENTE")
    krafta.login("watcher@test.krafta")
    token = sqlite_server.login("watcher@test.krafta")
    proc, lines = _watch([krafta_exe(), "orders", "watch"], krafta.env())
    try:
        deadline, mine = time.monotonic() + 20, None
        while mine is None and time.monotonic() < deadline:
            create_order(sqlite_server)  # someone else's: never shown
            own = create_order(sqlite_server, token)
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            mine = own if own["orderNumber"] in line else None
            assert own["orderNumber"] in line, line
        assert mine is not None
        _move(sqlite_server, mine["orderId"], "CONFIRMED")
        moved = lines.get(timeout=5)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=5)
    # A customer's view says what happened, not who did it.
    assert moved.split("  ")[1:] == [mine["orderNumber"], "REPORTED → CONFIRMED"]


def test_watch_reconnects_after_a_server_restart_and_misses_nothing(
    admin: Krafta, tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = tmp_path_factory.mktemp("watch-restart")
    server = ThreadedServer(f"sqlite:///{base / 'krafta.db'}", base)
    server.start()
    server.bootstrap()
    try:
        proc, lines = _watch(
            [krafta_exe(), "orders", "watch", "--json"],
            admin.env(KRAFTA_URL=server.url, KRAFTA_TOKEN=server.admin_token),
        )
        _first_line_while_ordering(server, lines)
        while not lines.empty():
            lines.get()
        made = create_order(server)
        assert json.loads(lines.get(timeout=5))["order"]["id"] == made["orderId"]
        server.stop()
        server.start()
        for status in ("CONFIRMED", "IN_PRODUCTION", "READY"):
            _move(server, made["orderId"], status)
        got = [json.loads(lines.get(timeout=30)) for _ in range(3)]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0
        err = proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()
        server.stop()
    assert [e["order"]["status"] for e in got] == ["CONFIRMED", "IN_PRODUCTION", "READY"]
    assert lines.empty()
    assert "event stream lost" in err and "Traceback" not in err


def test_a_child_gets_ctrl_c_even_when_the_suite_runs_in_the_background() -> None:
    # As under `nohup pytest &`: this process ignores SIGINT; the watch tests' children must not.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        probe = "import signal, sys; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
        inherited = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
        started = subprocess.run(
            foreground([sys.executable, "-c", probe]), capture_output=True, text=True, check=True
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    assert inherited.stdout.strip() == "False"  # the trap the watch tests fell into
    assert started.stdout.strip() == "True"
