"""The kept protocol libraries (issue 20 item 9) against the code they replaced, in one run.

    .venv/bin/python bench/libs_ab.py --before <main before the swap> --after HEAD   # 9 rounds, ~6 min
    .venv/bin/python bench/libs_ab.py --before ... --after ... --rounds 3

Both refs are checked out (detached git worktrees in a temp dir) and run with this venv's Python and
`PYTHONPATH=<checkout>`: the installed libraries are the same, only the code differs. Every round
runs each variant once, and the order of the variants flips from round to round, so a machine
that gets busier or quieter during the run weighs on both alike; the figures to read are the
ratios after/before of the medians, never absolute times across runs.

* in process (the tightest figures): the server's frame path — one `EventStream` fed by its hub,
  frames already encoded, ASGI `send` a no-op — in CPU µs per frame; the client's reading —
  `KraftaClient.events()` over `httpx.MockTransport`, the body in 16 KiB chunks — in CPU µs per event.
* serve: `python -m krafta_cli serve` on a seeded SQLite shop, from exec to the first 200 of
  `GET /api/health` (wall, and the process's CPU by then: the imports); then, with 3 event streams
  open, SIGTERM to exit (every stream must end with the closing chunk).
* backlog: `KraftaClient.events(last_event_id="1")` reads the whole log (N events, each a full
  order) from a running server (after one untimed read), `--reads` times per figure: events/s at
  the client, the client's CPU per event and the server's CPU per 1,000 events (/proc ticks: 10 ms).
  Server before/after × client before/after.
* live: 20 subscribers (the product client, one thread each, in one process) on one server while
  200 orders are created: wall time until every subscriber has all 200, and the server's CPU per
  1,000 deliveries (the creates included). Whole before (server and client) against whole after.

Writes `bench/results/libs-ab.{md,json}`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from procs import free_port  # noqa: E402
from results import write_section  # noqa: E402

__all__ = ["main"]

SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
PASSWORD = "bench-password-1"
ORDER = json.loads((ROOT / "examples" / "order.json").read_text())

BACKLOG_READER = """
import json, sys, time
from krafta_cli.client import KraftaClient
url, token, first, want = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
wall, cpu, n = time.perf_counter(), time.process_time(), 0
with KraftaClient(url, token) as client, client.events(last_event_id=first) as stream:
    for event in stream:
        assert event.order is not None, "the backlog was not resumed (resync)"
        n += 1
        if n == want:
            break
import krafta_cli
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "n": n,
                  "src": krafta_cli.__file__}))
"""

LIVE_READERS = """
import json, sys, threading, time
from krafta_cli.client import KraftaClient
url, token, subs, want = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
client = KraftaClient(url, token)
streams = [client.events() for _ in range(subs)]
done = []
def read(stream):
    n = 0
    for event in stream:
        n += event.type == "order.created"
        if n == want:
            done.append(time.time())
            return
threads = [threading.Thread(target=read, args=(s,)) for s in streams]
for t in threads:
    t.start()
print("ready", flush=True)
for t in threads:
    t.join(120)
print(json.dumps({"last": max(done) if len(done) == subs else None, "complete": len(done)}), flush=True)
"""


# The server's frame path alone, in process: one EventStream (ASGI) fed by its hub, frames already
# encoded (as for every subscriber after the first of a role), `send` a no-op.
FRAMES = """
import asyncio, inspect, json, sys, time
from datetime import UTC, datetime
from server.api.routes.events import EventStream
from server.domain.principal import Principal
from server.live import log as live_log
from server.live.hub import Hub
Logged = getattr(live_log, "LoggedChange", None) or live_log.LoggedEvent
n, frame = int(sys.argv[1]), sys.argv[2].encode()

class Live:
    heartbeat_seconds, db = 15.0, None
    def __init__(self):
        self.hub = Hub(capacity=1000)
    def shown_to(self, order, viewer):
        return order

async def main():
    live = Live()
    live.hub.bind(asyncio.get_running_loop())
    viewer = Principal(id="u", email="u@x", role="ADMIN", expires_at=datetime.now(UTC))
    if "sub" in inspect.signature(EventStream).parameters:  # since the stream caps (route subscribes)
        sub = live.hub.subscribe(viewer)
        stream = EventStream(live, viewer, sub, resume=None, still_allowed=lambda: True)
    else:
        stream = EventStream(live, viewer, statuses=frozenset(), resume=None, still_allowed=lambda: True)
    sent, target, reached = 0, 1, asyncio.Event()
    async def send(message):
        nonlocal sent
        if message.get("body"):
            sent += 1
            if sent >= target:
                reached.set()
    async def receive():
        await asyncio.Event().wait()
    scope = {"type": "http", "method": "GET", "path": "/api/orders/events", "headers": []}
    task = asyncio.create_task(stream(scope, receive, send))
    await reached.wait()  # the hello frame: subscribed
    events = []
    for i in range(1, n + 1):
        event = Logged(cursor=str(i), seq=i, kind="order.status_changed", order={}, owner_id=None,
                       from_status="REPORTED", to_status="CONFIRMED")
        event.frames["ADMIN"] = frame
        events.append(event)
    cpu, wall = time.process_time(), time.perf_counter()
    for start in range(0, n, 500):
        target = 1 + min(n, start + 500)
        reached.clear()
        live.hub.dispatch(events[start : start + 500])
        await reached.wait()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    live.hub.close()
    await task
    import server
    print(json.dumps({"cpu": cpu, "wall": wall, "n": sent - 1, "src": server.__file__}))

asyncio.run(main())
"""

# The client's reading alone, in process: `KraftaClient.events()` over httpx.MockTransport, the body
# in 16 KiB chunks as a socket would give it.
PARSE = """
import json, sys, time
import httpx
from krafta_cli.client import KraftaClient
n, frame = int(sys.argv[1]), sys.argv[2].encode()
body = b"retry: 2000\\n: connected\\n\\n" + frame * n
chunks = [body[i : i + 16384] for i in range(0, len(body), 16384)]
def handler(request):
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(chunks))
got = 0
cpu, wall = time.process_time(), time.perf_counter()
with KraftaClient("http://krafta.test", "t", transport=httpx.MockTransport(handler)) as client:
    with client.events() as stream:
        for event in stream:
            got += 1
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
assert got == n, got
import krafta_cli
print(json.dumps({"cpu": cpu, "wall": wall, "n": got, "src": krafta_cli.__file__}))
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def checkout(ref: str, where: Path) -> Path:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), ref],
        check=True,
        capture_output=True,
    )
    return where


def env_for(tree: Path, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRAFTA_")}
    env.update(
        PYTHONPATH=str(tree),
        KRAFTA_DATA_DIR=str(data_dir),
        KRAFTA_JWT_SECRET=SECRET,
        KRAFTA_LOG_LEVEL="warning",
        KRAFTA_RATE_LIMIT_ORDERS="0",
    )
    return env


def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/api/health")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


class Serve:
    """`python -m krafta_cli serve` from one checkout; `started` is seconds from exec to the first 200."""

    def __init__(self, tree: Path, data_dir: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "krafta_cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        began = time.perf_counter()
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                cmd, env=env_for(tree, data_dir), cwd=tree, stdout=out, stderr=subprocess.STDOUT
            )
        while not healthy(self.port):
            if self.proc.poll() is not None or time.perf_counter() - began > 60:
                raise SystemExit(f"server from {tree} did not start; see {log}")
            time.sleep(0.005)
        self.started = time.perf_counter() - began
        self.start_cpu = cpu_seconds(self.proc.pid)

    def stop(self) -> float:
        began = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        return time.perf_counter() - began


def open_stream(port: int, token: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        f"GET /api/orders/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    )
    got = b""
    while b": connected" not in got:
        got += sock.recv(65536)
    return sock


def ended_cleanly(sock: socket.socket) -> bool:
    got = b""
    sock.settimeout(10)
    try:
        while chunk := sock.recv(65536):
            got += chunk
    except OSError:
        return False
    finally:
        sock.close()
    return got.endswith(b"0\r\n\r\n")


def seed(tree: Path, data_dir: Path, log: Path, orders: int) -> tuple[str, str]:
    """A shop with an admin and `orders` orders (so as many logged events); returns (token, a frame:
    one order as an ADMIN subscriber gets it, encoded as the server does)."""
    server = Serve(tree, data_dir, log)
    try:
        from server.accounts.users import UserService
        from server.storage.db import Database

        db = Database(f"sqlite:///{data_dir / 'krafta.db'}", pool_size=1)
        UserService(db).create(email="bench@libs.krafta", password=PASSWORD, role="ADMIN")
        db.dispose()
        login = httpx.post(
            f"{server.url}/api/auth/login",
            json={"email": "bench@libs.krafta", "password": PASSWORD},
            timeout=30,
        )
        token = login.cookies["krafta-token"]
        with httpx.Client(base_url=server.url, timeout=30) as http, ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: http.post("/api/orders", json=ORDER).raise_for_status(), range(orders)))
        with httpx.Client(base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as h:
            order = h.get("/api/orders", params={"limit": 1}).json()["orders"][0]
        data = json.dumps({"type": "order.status_changed", "order": order}, separators=(",", ":"))
        return token, f"id: 1234\nevent: order.status_changed\ndata: {data}\n\n"
    finally:
        server.stop()


def run_json(tree: Path, code: str, *args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRAFTA_")}
    env["PYTHONPATH"] = str(tree)
    # cwd too: `python -c` puts the working directory ahead of PYTHONPATH on sys.path.
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    # The code measured must be the checkout's, not whatever else is on the path.
    assert Path(result["src"]).is_relative_to(tree), (result["src"], tree)
    return result


def live_round(server: Serve, client_tree: Path, token: str, subs: int, creates: int) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRAFTA_")}
    env["PYTHONPATH"] = str(client_tree)
    readers = subprocess.Popen(
        [sys.executable, "-c", LIVE_READERS, server.url, token, str(subs), str(creates)],
        env=env,
        cwd=client_tree,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert readers.stdout is not None
    assert readers.stdout.readline().strip() == "ready"
    cpu = cpu_seconds(server.proc.pid)
    began = time.time()
    with httpx.Client(base_url=server.url, timeout=30) as http, ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: http.post("/api/orders", json=ORDER).raise_for_status(), range(creates)))
    result = json.loads(readers.stdout.readline())
    readers.wait(30)
    if result["last"] is None:
        raise SystemExit(f"live: only {result['complete']} of {subs} subscribers got every event")
    deliveries = subs * creates
    return {
        "wall": result["last"] - began,
        "server_cpu_per_1k": 1000 * (cpu_seconds(server.proc.pid) - cpu) / deliveries,
    }


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", required=True)
    p.add_argument("--after", default="HEAD")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--orders", type=int, default=2000, help="events in the backlog")
    p.add_argument("--reads", type=int, default=2, help="backlog reads per figure (CPU ticks are 10 ms)")
    p.add_argument("--subscribers", type=int, default=20)
    p.add_argument("--creates", type=int, default=200)
    p.add_argument("--frames", type=int, default=20000, help="frames for the in-process figures")
    args = p.parse_args(argv)
    refs = {"before": args.before, "after": args.after}
    shas = {
        k: subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", v], capture_output=True, text=True, check=True
        ).stdout.strip()
        for k, v in refs.items()
    }
    raw: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        raw.setdefault(key, []).append(value)

    load = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="krafta-libs-ab-") as tmp:
        base = Path(tmp)
        trees = {k: checkout(v, base / f"tree-{k}") for k, v in refs.items()}
        try:
            seeded = base / "seeded"
            seeded.mkdir(mode=0o700)
            token, frame = seed(trees["after"], seeded, base / "seed.log", args.orders)
            first = "1"  # a fresh SQLite database numbers its first logged event 1
            data = {}
            for k in trees:
                data[k] = base / f"data-{k}"
                shutil.copytree(seeded, data[k])
            print(f"libs A/B: {shas}, {args.rounds} rounds, load {load}", flush=True)
            for r in range(args.rounds):
                order = ["before", "after"] if r % 2 == 0 else ["after", "before"]
                for side in order:  # in process: the server's frame path, the client's reading
                    got = run_json(trees[side], FRAMES, str(args.frames), frame)
                    add(f"frames_server_us_{side}", 1e6 * got["cpu"] / got["n"])
                    got = run_json(trees[side], PARSE, str(args.frames), frame)
                    add(f"parse_client_us_{side}", 1e6 * got["cpu"] / got["n"])
                for side in order:  # serve: start-up, and stop with 3 streams open
                    server = Serve(trees[side], data[side], base / f"{side}.log")
                    add(f"serve_start_{side}", server.started)
                    add(f"serve_start_cpu_{side}", server.start_cpu)
                    socks = [open_stream(server.port, token) for _ in range(3)]
                    add(f"serve_stop_{side}", server.stop())
                    if not all(ended_cleanly(s) for s in socks):
                        raise SystemExit(f"{side}: a stream did not end with the closing chunk")
                for side in order:  # backlog: this server, both clients
                    server = Serve(trees[side], data[side], base / f"{side}.log")
                    try:
                        # Untimed first: a server just started is still settling (replay loop, lease,
                        # feed catch-up), which would be billed to whichever client read first.
                        run_json(trees[side], BACKLOG_READER, server.url, token, first, str(args.orders - 1))
                        for client in order if r % 4 < 2 else order[::-1]:
                            cpu, wall, n, client_cpu = cpu_seconds(server.proc.pid), 0.0, 0, 0.0
                            for _ in range(args.reads):
                                got = run_json(
                                    trees[client],
                                    BACKLOG_READER,
                                    server.url,
                                    token,
                                    first,
                                    str(args.orders - 1),
                                )
                                wall, n, client_cpu = (
                                    wall + got["wall"],
                                    n + got["n"],
                                    client_cpu + got["cpu"],
                                )
                            key = f"server_{side}+client_{client}"
                            add(f"backlog_eps_{key}", n / wall)
                            add(f"backlog_client_cpu_us_{key}", 1e6 * client_cpu / n)
                            add(
                                f"backlog_server_cpu_per_1k_{key}",
                                1000 * (cpu_seconds(server.proc.pid) - cpu) / n,
                            )
                        live = live_round(server, trees[side], token, args.subscribers, args.creates)
                        add(f"live_wall_{side}", live["wall"])
                        add(f"live_server_cpu_per_1k_{side}", live["server_cpu_per_1k"])
                    finally:
                        server.stop()
                print(f"round {r + 1}/{args.rounds} done", flush=True)
        finally:
            for tree in trees.values():
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True
                )
    figures = {k: summary(v) for k, v in raw.items()}
    fig = {
        "refs": shas,
        "rounds": args.rounds,
        "load_at_start": load,
        "load_at_end": [round(x, 2) for x in os.getloadavg()],
        "figures": figures,
        "raw": raw,
    }
    markdown = report(fig, args)
    print(markdown)
    write_section("libs-ab", markdown, fig)
    return 0


def _ratio(figures: dict[str, dict[str, float]], after: str, before: str) -> str:
    return f"{figures[after]['median'] / figures[before]['median']:.2f}x"


def _cell(figures: dict[str, dict[str, float]], key: str, scale: float = 1.0, digits: int = 2) -> str:
    f = figures[key]
    return f"{f['median'] * scale:.{digits}f} ({f['min'] * scale:.{digits}f}–{f['max'] * scale:.{digits}f})"


def report(fig: dict[str, Any], args: argparse.Namespace) -> str:
    f = fig["figures"]
    b, a = fig["refs"]["before"], fig["refs"]["after"]

    def row(label: str, key: str, scale: float = 1.0, digits: int = 2) -> str:
        before, after = f"{key}_before", f"{key}_after"
        return (
            f"| {label} | {_cell(f, before, scale, digits)} | {_cell(f, after, scale, digits)} | "
            f"{_ratio(f, after, before)} |"
        )

    lines = [
        "## Kept protocol libraries: before/after in one run",
        "",
        f"`bench/libs_ab.py --before {b} --after {a}`: {fig['rounds']} rounds, alternating order; load "
        f"{fig['load_at_start']} at start, {fig['load_at_end']} at end (2 cores). Median (min–max) per "
        "variant; the ratio is after ÷ before of the medians.",
        "",
        "| figure | before | after | after/before |",
        "|---|---|---|---|",
        row(f"server frame path in process, CPU µs per frame ({args.frames:,} frames)", "frames_server_us"),
        row(f"client reading in process, CPU µs per event ({args.frames:,} events)", "parse_client_us"),
        row("`krafta serve` exec → first 200, ms", "serve_start", 1000, 0),
        row("`krafta serve` CPU until the first 200, ms", "serve_start_cpu", 1000, 0),
        row("SIGTERM → exit with 3 streams open, ms", "serve_stop", 1000, 0),
        row(f"live: {args.subscribers} subscribers × {args.creates} creates, wall s", "live_wall"),
        row("live: server CPU ms per 1,000 deliveries", "live_server_cpu_per_1k", 1000, 0),
        "",
        f"Backlog of {args.orders - 1} events read by one client, {args.reads}× per figure "
        "(server × client):",
        "",
        "| server | client | events/s | client CPU µs/event | server CPU ms/1,000 events |",
        "|---|---|---|---|---|",
    ]
    for server in ("before", "after"):
        for client in ("before", "after"):
            key = f"server_{server}+client_{client}"
            lines.append(
                f"| {server} | {client} | {_cell(f, 'backlog_eps_' + key, 1, 0)} | "
                f"{_cell(f, 'backlog_client_cpu_us_' + key, 1, 0)} | "
                f"{_cell(f, 'backlog_server_cpu_per_1k_' + key, 1000, 0)} |"
            )

    def swap(metric: str, after: str, before: str) -> str:
        return _ratio(f, f"{metric}_{after}", f"{metric}_{before}")

    old_old, new_old, new_new = (
        "server_before+client_before",
        "server_after+client_before",
        "server_after+client_after",
    )
    lines += [
        "",
        f"Server swap (same old client): events/s {swap('backlog_eps', new_old, old_old)}, server CPU per "
        f"event {swap('backlog_server_cpu_per_1k', new_old, old_old)}. Client swap (same new server): "
        f"events/s {swap('backlog_eps', new_new, new_old)}, client CPU per event "
        f"{swap('backlog_client_cpu_us', new_new, new_old)}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
