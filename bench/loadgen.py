"""wrk, the load generator: find or install it, write its Lua scripts, run it, read its figures.

wrk rather than a Python client: a Python load generator saturates long before the server does on
this 2-core machine. Every run is bounded by `-d` (and `--timeout`); figures come back as JSON printed
by a Lua `done()` hook, so nothing depends on wrk's human-readable layout.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["WrkResult", "combine", "ensure_wrk", "lua_script", "run_wrk", "wrk_version"]

DEBIAN_PACKAGE = "wrk"
_MARK = "BENCHJSON "

# Appended to every script: prints one JSON line with what we report (latencies in microseconds).
_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"bytes":%d,"mean_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,'
    .. '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\\n',
    "MARK", summary.requests, summary.duration, summary.bytes, latency.mean, latency:percentile(50),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
""".replace("MARK", _MARK)


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    mean_ms: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # non-2xx/3xx answers, timeouts and socket errors
    connections: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def ensure_wrk() -> str:
    """Path to wrk; installs Debian's `wrk` package with apt-get when we may, else a clear error."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk not found: installing Debian's package `wrk` with apt-get", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-q", DEBIAN_PACKAGE], env=env, check=False)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-q"], env=env, check=False)
            subprocess.run(["apt-get", "install", "-y", "-q", DEBIAN_PACKAGE], env=env, check=False)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit(
        "bench needs wrk, the HTTP load generator: install Debian's package with "
        f"`sudo apt-get install {DEBIAN_PACKAGE}` (or put a wrk binary on PATH) and run again"
    )


def wrk_version(wrk: str) -> str:
    out = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0].split(" [")[0].removeprefix("wrk ") if first else "unknown"


def _lua_string(text: str) -> str:
    level = "=" * 4
    while f"]{level}]" in text:
        level += "="
    return f"[{level}[{text}]{level}]"


def lua_script(
    path: Path,
    *,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
    prelude: str = "",
) -> Path:
    """Write a wrk script: `prelude` (e.g. the reference's post_order.lua), then method/body/headers."""
    lines = [prelude.rstrip(), f'wrk.method = "{method}"'] if prelude else [f'wrk.method = "{method}"']
    for name, value in (headers or {}).items():
        # Plain ASCII: a JSON string is a valid Lua string (a long bracket after `[` would not parse).
        lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
    path.write_text("\n".join(lines) + "\n" + _DONE)
    return path


def run_wrk(
    wrk: str,
    url: str,
    script: Path,
    *,
    seconds: float,
    connections: int,
    timeout_s: float = 10.0,
) -> WrkResult:
    """One bounded wrk run (one thread: the second core is the server's)."""
    cmd = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={max(1, round(timeout_s))}s",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + timeout_s + 30, check=False)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith(_MARK)), None)
    if line is None:
        raise RuntimeError(f"wrk gave no figures for {url}: {out.stdout[-500:]} {out.stderr[-500:]}")
    raw = json.loads(line.removeprefix(_MARK))
    secs = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in raw if k.startswith("err_"))
    return WrkResult(
        requests=raw["requests"],
        seconds=round(secs, 2),
        rps=round(raw["requests"] / secs, 1) if secs else 0.0,
        mean_ms=round(raw["mean_us"] / 1000, 3),
        p50_ms=round(raw["p50_us"] / 1000, 2),
        p99_ms=round(raw["p99_us"] / 1000, 2),
        max_ms=round(raw["max_us"] / 1000, 2),
        errors=errors,
        connections=connections,
    )


def combine(runs: list[WrkResult]) -> dict[str, Any]:
    """Rounds of one figure as one: throughput over all rounds, the median round's percentiles."""
    if len(runs) == 1:
        return runs[0].as_dict()
    requests = sum(r.requests for r in runs)
    seconds = sum(r.seconds for r in runs)
    return {
        "requests": requests,
        "seconds": round(seconds, 2),
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "mean_ms": round(sum(r.mean_ms * r.requests for r in runs) / requests, 3) if requests else 0.0,
        "p50_ms": round(statistics.median(r.p50_ms for r in runs), 2),
        "p99_ms": round(statistics.median(r.p99_ms for r in runs), 2),
        "max_ms": max(r.max_ms for r in runs),
        "errors": sum(r.errors for r in runs),
        "connections": runs[0].connections,
        "rounds": [r.as_dict() for r in runs],
    }
