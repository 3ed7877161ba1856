"""Server benchmark: krafta against the straightforward build and the framework floor, with wrk.

    pip install -e '.[bench]'                      # once: reference deps, py-spy; wrk comes from Debian
    .venv/bin/python bench/server_bench.py         # full run, SQLite and PostgreSQL (~10 min)
    .venv/bin/python bench/server_bench.py --quick --db sqlite    # ~1 min, for a busy machine

In ONE run, on the same machine, with wrk (-t1; installed with apt-get when missing):

* the floor: ../shared/bench/reference/hello_fastapi.py (`GET /`, -c16);
* the reference (../shared/bench/reference/orders_app.py, seeded by its own seed.py) and krafta
  (`krafta serve` from this checkout, rate limits off, seeded by cloning an order it created), each
  on SQLite and on fresh PostgreSQL databases (127.0.0.1:5432, user root; dropped after):
  - POST create, -c16 (krafta: examples/order.json; the reference: its post_order.lua);
  - GET newest 50 (`limit=50`), -c16, with 10k orders;
  - GET every order in one response, -c1, with 10k orders (orders/s);
  - 100k orders in one response: wall time (curl) and the server's RSS growth (VmHWM after the
    request minus VmRSS before it, peak reset with /proc/<pid>/clear_refs).

Ratios are krafta / reference from the same run; the figures of reference and krafta are taken
back to back, so a busy neighbour hits both. A full run writes bench/results/server.{md,json} and
assembles bench/RESULTS.md (bench/results.py); `--quick` writes bench/results/server-quick.* (not
committed) and leaves RESULTS.md alone. `--profile DIR` also records py-spy profiles of krafta under
the create and full-list loads. Loopback only; every load is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # `server` from this checkout, for seeding
REF_ENV = "KRAFTA_BENCH_REFERENCE"

ADMIN_EMAIL = "bench@krafta.test"
ADMIN_PASSWORD = "bench-password-1"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/server_bench.py",
        description="krafta vs the straightforward reference build and the FastAPI hello floor, with wrk.",
        epilog="Writes bench/results/server.{md,json} and bench/RESULTS.md (full runs only).",
    )
    p.add_argument("--quick", action="store_true", help="short runs, 2k orders, no 100k list (~1-2 min)")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument(
        "--reference",
        type=Path,
        default=None,
        help=f"the reference build's folder (default: ${REF_ENV}, else <repo>/../shared/bench/reference)",
    )
    p.add_argument("--orders", type=int, default=None, help="orders for the list figures (10000; quick 2000)")
    p.add_argument("--big", type=int, default=100_000, help="orders in the big list (0 skips it)")
    p.add_argument("--seconds", type=float, default=None, help="seconds per wrk run (10; quick 3)")
    p.add_argument(
        "--rounds", type=int, default=None, help="alternating reference/krafta rounds per figure (2; quick 1)"
    )
    p.add_argument("--profile", type=Path, default=None, metavar="DIR", help="py-spy profiles of krafta here")
    p.add_argument("--profile-label", default="profile", help="file prefix for --profile (e.g. before)")
    p.add_argument("--no-reference-big", action="store_true", help="skip the reference's 100k list")
    p.add_argument(
        "--rerender", action="store_true", help="only rewrite server.md and RESULTS.md from server.json"
    )
    p.add_argument("--out", type=Path, default=None, help="results folder (default bench/results)")
    args = p.parse_args(argv)
    if args.orders is None:
        args.orders = 2000 if args.quick else 10_000
    if args.seconds is None:
        args.seconds = 3.0 if args.quick else 10.0
    if args.rounds is None:
        args.rounds = 1 if args.quick else 2
    args.rounds = max(1, args.rounds)
    if args.quick:
        args.big = 0
    return args


def _default_reference() -> Path:
    """<repo>/../shared/bench/reference — for a git worktree, also next to the main checkout."""
    candidates = [ROOT.parent / "shared" / "bench" / "reference"]
    common = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--path-format=absolute", "--git-common-dir"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if common:
        candidates.append(Path(common).parent.parent / "shared" / "bench" / "reference")
    return next((c for c in candidates if c.is_dir()), candidates[0])


def reference_dir(arg: Path | None) -> Path:
    ref = arg or (Path(os.environ[REF_ENV]) if os.environ.get(REF_ENV) else _default_reference())
    missing = [
        f
        for f in ("orders_app.py", "seed.py", "hello_fastapi.py", "post_order.lua")
        if not (ref / f).exists()
    ]
    if missing:
        raise SystemExit(
            f"the reference build is not at {ref} (missing {', '.join(missing)}): "
            f"point --reference or ${REF_ENV} at the folder holding orders_app.py"
        )
    return ref.resolve()


def machine() -> dict[str, Any]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {"nproc": os.cpu_count(), "cpu": model, "load_at_start": [round(x, 2) for x in os.getloadavg()]}


def versions(wrk: str) -> dict[str, str]:
    from importlib.metadata import version

    from loadgen import wrk_version

    out = {"python": platform.python_version()}
    for pkg in ("fastapi", "uvicorn", "sqlalchemy", "pydantic", "starlette", "psycopg"):
        try:
            out[pkg] = version(pkg)
        except Exception:
            out[pkg] = "missing"
    out["wrk"] = wrk_version(wrk)
    import sqlite3

    out["sqlite"] = sqlite3.sqlite_version
    return out


def commit() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
        )
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Bench:
    def __init__(self, args: argparse.Namespace, ref: Path, tmp: Path) -> None:
        from loadgen import ensure_wrk

        self.args = args
        self.ref = ref
        self.tmp = tmp
        self.wrk = ensure_wrk()
        self.warm = 1.0 if args.quick else 2.0

    # -- load ------------------------------------------------------------------------------
    def wrk_run(
        self, url: str, script: Path, *, connections: int, warm: bool = True, timeout_s: float = 10
    ) -> dict[str, Any]:
        from loadgen import run_wrk

        if warm:
            run_wrk(self.wrk, url, script, seconds=self.warm, connections=connections, timeout_s=timeout_s)
        return run_wrk(
            self.wrk, url, script, seconds=self.args.seconds, connections=connections, timeout_s=timeout_s
        ).as_dict()

    def pair(self, ref: tuple[str, Path], kra: tuple[str, Path], *, connections: int) -> dict[str, Any]:
        """Reference and krafta in alternating rounds (--rounds), so a busy neighbour hits both alike."""
        from loadgen import combine, run_wrk

        for url, script in (ref, kra):
            run_wrk(self.wrk, url, script, seconds=self.warm, connections=connections)
        rounds: dict[str, list[Any]] = {"reference": [], "krafta": []}
        each = self.args.seconds / self.args.rounds
        for _ in range(self.args.rounds):
            for who, (url, script) in (("reference", ref), ("krafta", kra)):
                rounds[who].append(run_wrk(self.wrk, url, script, seconds=each, connections=connections))
        return {who: combine(runs) for who, runs in rounds.items()}

    def list_all(self, url: str, script: Path, headers: dict[str, str]) -> dict[str, Any]:
        """The full list, -c1, long enough for at least 5 answers (at most 60 s)."""
        import httpx

        start = time.perf_counter()
        with httpx.stream("GET", url, headers=headers, timeout=120) as resp:
            for _ in resp.iter_raw(1 << 20):
                pass
        each = time.perf_counter() - start
        seconds = min(60.0, max(self.args.seconds, 6 * each))
        from loadgen import run_wrk

        return run_wrk(self.wrk, url, script, seconds=seconds, connections=1, timeout_s=60).as_dict()

    def script(self, name: str, **kw: Any) -> Path:
        from loadgen import lua_script

        return lua_script(self.tmp / f"{name}.lua", **kw)

    # -- the floor -------------------------------------------------------------------------
    def hello(self) -> dict[str, Any]:
        from procs import uvicorn_server

        say("hello floor: GET / -c16")
        with uvicorn_server("hello_fastapi:app", self.ref, self.tmp / "hello.log") as srv:
            return self.wrk_run(srv.url + "/", self.script("hello"), connections=16)

    # -- one database ------------------------------------------------------------------------
    def database(self, db: Any) -> dict[str, Any]:
        from procs import krafta_server, reference_server
        from seeding import seed_krafta, seed_reference

        n = self.args.orders
        out: dict[str, Any] = {"orders": n}
        data = self.tmp / f"krafta-{db.kind}"
        token, template = self.krafta_setup(db, data)
        say(f"{db.kind}: seeding {n} orders into each")
        out["seed_seconds"] = {
            "reference": round(seed_reference(self.ref, db.ref_url, n), 1),
            "krafta": round(seed_krafta(db.krafta_url, template, n), 1),
        }
        auth = {"Authorization": f"Bearer {token}"}
        body = json.dumps(json.loads((ROOT / "examples" / "order.json").read_text()), ensure_ascii=False)
        k_post = self.script(
            f"k-post-{db.kind}", method="POST", body=body, headers={"Content-Type": "application/json"}
        )
        r_post = self.script("r-post", prelude=(self.ref / "post_order.lua").read_text(), method="POST")
        k_get = self.script("k-get", headers=auth)
        r_get = self.script("r-get")
        with (
            reference_server(self.ref, db.ref_url, self.tmp / f"ref-{db.kind}.log") as ref,
            krafta_server(data, db.krafta_url, self.tmp / f"krafta-{db.kind}.log") as kra,
        ):
            say(f"{db.kind}: GET newest 50 of {n}, -c16")
            out["newest50"] = self.pair(
                (ref.url + "/orders?limit=50", r_get),
                (kra.url + "/api/orders?limit=50", k_get),
                connections=16,
            )
            say(f"{db.kind}: GET all {n} orders in one response, -c1")
            out["all"] = {
                "reference": self.list_all(ref.url + "/orders/all", r_get, {}),
                "reference_lean": self.list_all(ref.url + "/orders/all_lean", r_get, {}),
                "krafta": self.list_all(kra.url + "/api/orders", k_get, auth),
            }
            for fig in out["all"].values():
                # One connection: requests run back to back, so the mean latency is the time per list
                # (requests / duration would lose the request cut off at the end of the run).
                fig["orders_per_s"] = round(n / (fig["mean_ms"] / 1000)) if fig["mean_ms"] else 0
            say(f"{db.kind}: POST create, -c16")
            out["create"] = self.pair(
                (ref.url + "/orders", r_post), (kra.url + "/api/orders", k_post), connections=16
            )
            if self.args.profile is not None:
                # Extra runs under py-spy, after the figures: the sampler's CPU must not cost krafta's.
                suffix = "" if db.kind == "sqlite" else "-postgres"
                say(f"{db.kind}: profiling krafta under the newest-50, full list and create loads")
                self.profiled(
                    f"newest50{suffix}",
                    kra,
                    lambda: self.wrk_run(kra.url + "/api/orders?limit=50", k_get, connections=16, warm=False),
                )
                self.profiled(
                    f"list{suffix}",
                    kra,
                    lambda: self.wrk_run(
                        kra.url + "/api/orders", k_get, connections=1, warm=False, timeout_s=60
                    ),
                )
                self.profiled(
                    f"create{suffix}",
                    kra,
                    lambda: self.wrk_run(kra.url + "/api/orders", k_post, connections=16, warm=False),
                )
        if self.args.big:
            out["big"] = self.big(db, data, template, token)
        return out

    def krafta_setup(self, db: Any, data: Path) -> tuple[str, str]:
        """A fresh, migrated krafta database with an admin, a login token and one order made over HTTP."""
        import httpx
        from procs import krafta_server

        with krafta_server(data, db.krafta_url, self.tmp / f"krafta-{db.kind}.log") as kra:
            exe = Path(sys.executable).parent / "krafta"
            env = {**os.environ, "KRAFTA_DATA_DIR": str(data), "KRAFTA_DATABASE_URL": db.krafta_url}
            made = subprocess.run(
                [str(exe), "admin", "create", ADMIN_EMAIL, "--role", "ADMIN", "--password-stdin"],
                input=ADMIN_PASSWORD + "\n",
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            if made.returncode != 0:
                raise SystemExit(f"krafta admin create failed: {made.stderr.strip()}")
            with httpx.Client(base_url=kra.url, timeout=30) as http:
                login = http.post("/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
                login.raise_for_status()
                token = login.cookies["krafta-token"]
                body = json.loads((ROOT / "examples" / "order.json").read_text())
                created = http.post("/api/orders", json=body)
                if created.status_code != 201:
                    raise SystemExit(
                        f"krafta refused the bench's order: {created.status_code} {created.text[:300]}"
                    )
                answer = created.json()
                template = answer["orderId"]
        return token, template

    def big(self, db: Any, data: Path, template: str, token: str) -> dict[str, Any]:
        from procs import krafta_server, reference_server
        from seeding import seed_krafta, seed_reference

        n = self.args.big
        out: dict[str, Any] = {"orders": n}
        say(f"{db.kind}: seeding {n} orders")
        out["seed_seconds"] = {"krafta": round(seed_krafta(db.krafta_url, template, n), 1)}
        with krafta_server(data, db.krafta_url, self.tmp / f"krafta-{db.kind}.log") as kra:
            say(f"{db.kind}: krafta, all {n} orders in one response")
            auth = {"Authorization": f"Bearer {token}"}
            runs = [self.one_big(kra, "/api/orders", auth) for _ in range(2)]
            out["krafta"] = {
                "seconds": min(r["seconds"] for r in runs),
                "rss_before_mb": runs[0]["rss_before_mb"],
                "peak_mb": max(r["peak_mb"] for r in runs),
                "growth_mb": max(r["growth_mb"] for r in runs),
                "status": max(r["status"] for r in runs),
                "runs": runs,
            }
        if not self.args.no_reference_big:
            out["seed_seconds"]["reference"] = round(seed_reference(self.ref, db.ref_url, n), 1)
            with reference_server(self.ref, db.ref_url, self.tmp / f"ref-{db.kind}.log") as ref:
                say(f"{db.kind}: reference, all {n} orders in one response")
                out["reference"] = self.one_big(ref, "/orders/all", {})
        return out

    def one_big(self, srv: Any, path: str, headers: dict[str, str]) -> dict[str, Any]:
        """One timed full-list request (curl discards the body), with the server's memory around it."""
        import httpx

        warm = "/api/orders?limit=50" if path.startswith("/api") else "/orders?limit=50"
        httpx.get(srv.url + warm, headers=headers, timeout=30)
        peak_reset = srv.reset_peak_rss()
        before = srv.status_kb("VmRSS")
        cmd = [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "--max-time",
            "600",
            "-w",
            "%{http_code} %{time_total} %{size_download}",
        ]
        for k, v in headers.items():
            cmd += ["-H", f"{k}: {v}"]
        res = subprocess.run([*cmd, srv.url + path], capture_output=True, text=True, timeout=660)
        code, secs, size = res.stdout.split()
        peak = srv.status_kb("VmHWM")
        return {
            "status": int(code),
            "seconds": round(float(secs), 3),
            "bytes": int(size),
            "rss_before_mb": round(before / 1024, 1),
            "peak_mb": round(peak / 1024, 1),
            "growth_mb": round((peak - before) / 1024, 1),
            "peak_reset": peak_reset,
        }

    # -- profiles ------------------------------------------------------------------------------
    def profiled(self, what: str, srv: Any, run: Any) -> dict[str, Any]:
        from profiles import py_spy

        note = f"under the {what} load ({self.args.seconds:g} s of wrk), commit {commit()}"
        return py_spy(srv.proc.pid, self.args.profile / f"{self.args.profile_label}-{what}", run, note=note)


def _notes() -> str:
    """Hand-written reading of the last full run's profiles (kept with the code, shown in the section)."""
    path = HERE / "server_notes.md"
    return path.read_text() if path.exists() else ""


def rerender(out_dir: Path) -> int:
    from report_server import render
    from results import assemble, write_section

    report = json.loads((out_dir / "server.json").read_text())
    write_section("server", render(report, _notes()), report, results_dir=out_dir)
    print(assemble())
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.rerender:
        return rerender(args.out or HERE / "results")
    if shutil.which("curl") is None and args.big:
        raise SystemExit("bench needs curl for the big list: `apt-get install curl`")
    ref = reference_dir(args.reference)
    out_dir = args.out or HERE / "results"
    name = "server-quick" if args.quick else "server"
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="krafta-bench-") as tmp:
        bench = Bench(args, ref, Path(tmp))
        report: dict[str, Any] = {
            "mode": "quick" if args.quick else "full",
            "started": started.isoformat(timespec="seconds"),
            "commit": commit(),
            "machine": machine(),
            "versions": versions(bench.wrk),
            "seconds_per_run": args.seconds,
            "rounds": args.rounds,
        }
        say(f"bench {report['mode']} on {report['commit']}; load {report['machine']['load_at_start']}")
        report["hello"] = bench.hello()
        report["databases"] = {}
        from procs import postgres_database, sqlite_database

        kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
        for kind in kinds:
            ctx = sqlite_database(Path(tmp)) if kind == "sqlite" else postgres_database(f"{os.getpid()}")
            with ctx as db:
                report["databases"][kind] = bench.database(db)
        report["minutes"] = round((datetime.now(UTC) - started).total_seconds() / 60, 1)

    from report_server import render
    from results import assemble, write_section

    md = render(report, _notes())
    write_section(name, md, report, results_dir=out_dir)
    print(md)
    if not args.quick and args.out is None:
        path = assemble()
        say(f"wrote {out_dir / (name + '.md')} and {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
