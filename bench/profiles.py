"""py-spy profiles of a running server under load, reduced to the top lines people read.

`py_spy(pid, prefix, run)` samples the server while `run()` drives the load, keeps the collapsed
stacks (`prefix-cpu.raw`, `prefix.raw`) and writes `prefix.txt`: the top frames on the CPU by own
and inclusive samples, then — counting every thread — where requests wait (idle pool threads and
the event loop inside C are counted apart, not as "busy").

    .venv/bin/python bench/profiles.py bench/profiles/x.raw     # re-read kept stacks
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["py_spy", "summarize"]

RATE = 100
TOP = 25
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


# Frames under every pool thread: they tell nothing about where the time goes.
_PLUMBING = {"Thread._bootstrap", "Thread._bootstrap_inner", "Thread.run", "WorkerThread.run", "<module>"}
# ... and under the event loop's thread: the CLI that started the server, uvicorn's run loop.
_PLUMBING_FILES = (
    "typer/",
    "click/",
    "krafta_cli/main.py",
    "krafta_cli/commands/server_admin.py",
    "uvicorn/server.py",
    "uvicorn/_compat.py",
    "uvicorn/main.py",
    "asyncio/runners.py",
    "asyncio/base_events.py",
    "asyncio/events.py",
    # ASGI layers every request passes through: as inclusive lines they only restate the total.
    "uvicorn/middleware/",
    "uvicorn/protocols/http/",
    "starlette/middleware/",
    "starlette/applications.py",
    "starlette/_exception_handler.py",
    "starlette/routing.py",
    "fastapi/middleware/",
    "fastapi/applications.py",
    "fastapi/_body_limit.py",
    "fastapi/telemetry/",
)


def _kind(short: list[tuple[str, str]]) -> str:
    """'idle' (a thread with nothing to do), 'loop' (event loop in C code), or 'busy'."""
    funcs = [f for f, _ in short]
    leaf = funcs[-1]
    if "Queue.get" in funcs and leaf.startswith("Condition.wait"):
        return "idle"  # a pool thread waiting for a job
    if "ReplayLoop._run" in funcs and leaf.endswith(".wait"):
        return "idle"  # the replay loop between rounds
    if leaf in ("Runner.run", "BaseEventLoop.run_forever", "BaseEventLoop._run_once", "EpollSelector.select"):
        return "loop"  # uvloop/httptools C code or epoll: Python sees only the loop's entry frame
    return "busy"


def _py_spy() -> str:
    here = Path(sys.executable).parent / "py-spy"
    found = str(here) if here.exists() else shutil.which("py-spy")
    if not found:
        raise SystemExit("--profile needs py-spy: pip install -e '.[bench]'")
    return found


def py_spy(pid: int, prefix: Path, run: Callable[[], Any], *, note: str = "") -> Any:
    """Run `run()` while py-spy records `pid`; write prefix.txt (+ the raw stacks); return run()'s value.

    Two samplers at once: one sees only threads on the CPU (where the work is), the other every
    thread (`--idle`: where requests wait — a lock, the database, a full pool).
    """
    prefix.parent.mkdir(parents=True, exist_ok=True)
    raws = {"cpu": prefix.with_name(prefix.name + "-cpu.raw"), "all": prefix.with_suffix(".raw")}
    spies = []
    for kind, raw in raws.items():
        cmd = [_py_spy(), "record", "--pid", str(pid), "--rate", str(RATE), "--threads", "--nonblocking"]
        cmd += ["--format", "raw", "--output", str(raw)] + (["--idle"] if kind == "all" else [])
        spies.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    time.sleep(0.5)
    try:
        value = run()
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            try:
                spy.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.communicate()
    if not all(raw.exists() for raw in raws.values()):
        print("py-spy wrote nothing (is ptrace allowed here?)", file=sys.stderr)
        return value
    title = f"py-spy record --threads at {RATE} Hz on the server (pid {pid}) {note}".strip()
    text = summarize(raws["cpu"].read_text(), title=title + " — on CPU (without --idle)")
    text += "\n" + summarize(
        raws["all"].read_text(), title="every thread (--idle): where requests wait", top=12
    )
    prefix.with_suffix(".txt").write_text(text)
    return value


def _short(frame: str) -> tuple[str, str]:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip(), ""
    path = m["file"]
    for cut in ("site-packages/", "lib/python3."):
        if cut in path:
            path = path.split(cut, 1)[1]
            path = path.split("/", 1)[1] if cut == "lib/python3." else path
    root = str(Path(__file__).resolve().parent.parent) + os.sep
    path = path.removeprefix(root)
    return m["func"], path + (f":{m['line']}" if m["line"] else "")


def summarize(raw_text: str, *, title: str = "", top: int = TOP) -> str:
    """Collapsed stacks (py-spy --format raw) → the top-lines text kept in bench/profiles/."""
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    idle = loop = busy = 0
    for line in raw_text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if "(" in f and not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        short = [_short(f) for f in frames]
        kind = _kind(short)
        if kind != "busy":
            idle += n if kind == "idle" else 0
            loop += n if kind == "loop" else 0
            continue
        busy += n
        leaf = short[-1]
        own[f"{leaf[0]} ({leaf[1]})"] += n
        for name in {
            f"{f} ({w.rsplit(':', 1)[0]})"
            for f, w in short
            if f not in _PLUMBING and not w.startswith(_PLUMBING_FILES)
        }:
            incl[name] += n
    total = idle + loop + busy
    out = [
        title,
        f"samples (all threads): {total}; idle threads waiting for work: {idle}; event loop inside C"
        f" (epoll, uvloop, httptools): {loop}; busy = in a request (running, or waiting there on a lock,"
        f" I/O, the database): {busy}",
        "",
        f"top {top} by own samples (the innermost Python frame), % of busy samples:",
    ]
    pct = (lambda n: 100 * n / busy) if busy else (lambda n: 0.0)
    out += [f"  {pct(n):5.1f}%  {name}" for name, n in own.most_common(top)]
    out += ["", f"top {top} by inclusive samples (a frame anywhere in the stack), % of busy samples:"]
    out += [f"  {pct(n):5.1f}%  {name}" for name, n in incl.most_common(top + 10)[:top]]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(summarize(Path(arg).read_text(), title=arg))
