"""The bench code cannot rot silently: its command parses, the assembler builds RESULTS.md, the
profile reader and the report renderer work on sample data. No timing here — speed is measured in
bench/, never asserted in tests."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import create_order
from tests.servers import Server

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


@pytest.fixture
def bench_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # The bench scripts import their siblings as `python bench/x.py` would.
    monkeypatch.syspath_prepend(str(BENCH))


def test_server_bench_help_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH / "server_bench.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    for option in ("--quick", "--db", "--reference", "--profile"):
        assert option in out.stdout


def test_missing_reference_is_one_clear_error(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH / "server_bench.py"), "--quick", "--reference", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode != 0
    assert "the reference build is not at" in out.stderr
    assert "Traceback" not in out.stderr


def test_results_assembles_sections_in_order(tmp_path: Path) -> None:
    results, profiles, out = tmp_path / "results", tmp_path / "profiles", tmp_path / "RESULTS.md"
    results.mkdir()
    profiles.mkdir()
    (results / "board.md").write_text("## Board\n\nfirst paint 0.9 s ✓\n")
    (results / "server.md").write_text("## Server\n\ncreate 5.1× ✓\n")
    (results / "aaa.md").write_text("## Something else\n")
    (results / "clients.json").write_text(json.dumps({"x": 1}))
    (results / "server-quick.md").write_text("## Server (QUICK)\n")
    (profiles / "before-create.txt").write_text("\n".join(f"line {i}" for i in range(100)) + "\n")
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "results.py"),
            "--results-dir",
            str(results),
            "--profiles-dir",
            str(profiles),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    order = [
        text.index(h) for h in ("## Server\n", "## clients", "## Board", "## Something else", "## Profiles")
    ]
    assert order == sorted(order)
    assert "QUICK" not in text
    assert "bench/results/clients.json" in text
    assert "line 39" in text and "line 40\n" not in text
    assert "60 more lines" in text


def test_write_section_writes_both_files(tmp_path: Path, bench_path: None) -> None:
    from results import write_section

    md = write_section(
        "events", "## Events\n\nfan-out 1000 clients ✓", {"clients": 1000}, results_dir=tmp_path
    )
    assert md.read_text() == "## Events\n\nfan-out 1000 clients ✓\n"
    assert json.loads((tmp_path / "events.json").read_text()) == {"clients": 1000}


def _wrk(rps: float, p99: float = 5.0) -> dict[str, float]:
    return {"rps": rps, "mean_ms": 2.0, "p50_ms": 2.0, "p99_ms": p99, "requests": 1000, "errors": 0}


def test_report_marks_met_and_unmet_goals(bench_path: None) -> None:
    from report_server import render, verdicts

    db = {
        "orders": 10_000,
        "create": {"reference": _wrk(100), "krafta": _wrk(450, p99=60)},
        "newest50": {"reference": _wrk(100), "krafta": _wrk(600)},
        "all": {
            "reference": {**_wrk(1), "orders_per_s": 10_000},
            "krafta": {**_wrk(5), "orders_per_s": 50_000},
        },
        "big": {
            "orders": 100_000,
            "krafta": {"seconds": 0.8, "rss_before_mb": 90, "peak_mb": 200, "growth_mb": 110, "status": 200},
        },
    }
    v = verdicts(db)
    assert v["create ratio"] == {"value": 4.5, "goal": "≥ 4×", "met": True}
    assert v["create p99"]["met"] is False
    assert v["newest-50 ratio"]["met"] is True
    assert v["all-orders ratio"] == {"value": 5.0, "goal": "≥ 10×", "met": False}
    assert v["100k list time"]["met"] is True
    assert v["100k list RSS growth"]["met"] is False
    report = {
        "mode": "full",
        "started": "2026-11-30T05:00:00+00:00",
        "commit": "abc1234",
        "machine": {"nproc": 2, "cpu": "Test CPU", "load_at_start": [1.0, 1.0, 1.0]},
        "versions": {"python": "3.11"},
        "seconds_per_run": 10,
        "hello": _wrk(12_000),
        "databases": {"sqlite": db},
    }
    text = render(report)
    broken = {**db, "create": {"reference": _wrk(100), "krafta": {**_wrk(900), "errors": 500}}}
    assert verdicts(broken)["create ratio"] == {
        "value": "9.0 (failed requests)",
        "goal": "≥ 4×",
        "met": False,
    }
    assert "| create ratio | 4.5 | ≥ 4× | ✓ |" in text
    assert "| all-orders ratio | 5.0 | ≥ 10× | ✗ |" in text
    assert "12,000 req/s" in text


def test_profile_summary_separates_idle_threads(bench_path: None) -> None:
    from profiles import summarize

    raw = "\n".join(
        [
            "thread (0x1);Thread._bootstrap (threading.py:1002);WorkerThread.run (anyio/_asyncio.py:1)"
            ";Queue.get (queue.py:171);Condition.wait (threading.py:327) 70",
            "thread (0x2);Thread._bootstrap (threading.py:1002);OrderService.create (server/orders.py:60)"
            ";Database.write (server/db.py:87) 20",
            "thread (0x3);main (krafta_cli/main.py:1);Runner.run (asyncio/runners.py:118) 5",
            "thread (0x2);Thread._bootstrap (threading.py:1002);OrderService.create (server/orders.py:60)"
            ";dumps (json/__init__.py:231) 5",
        ]
    )
    text = summarize(raw, title="t")
    assert "samples (all threads): 100; idle threads waiting for work: 70;" in text
    assert "busy = in a request (running, or waiting there on a lock, I/O, the database): 25" in text
    assert "80.0%  Database.write (server/db.py:87)" in text
    assert "100.0%  OrderService.create (server/orders.py)" in text


def test_seeder_clones_orders_the_server_reads_back(server: Server, bench_path: None) -> None:
    """The bench's bulk seeder writes rows the server serves like its own (both databases)."""
    from seeding import seed_krafta

    template = create_order(server)
    with server.client(server.admin_token) as http:
        before = http.get("/api/orders").json()["orders"]
    seed_krafta(server.db_url, template["orderId"], len(before) + 40)
    with server.client(server.admin_token) as http:
        orders = http.get("/api/orders").json()["orders"]
        page = http.get("/api/orders", params={"limit": 50})
        assert page.status_code == 200
        one = http.get(f"/api/orders/{orders[-1]['orderNumber']}")
    assert len(orders) == len(before) + 40
    numbers = [o["orderNumber"] for o in orders]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"KRFT-\d{6}", n) for n in numbers)
    original = next(o for o in orders if o["id"] == template["orderId"])
    clones = [o for o in orders if o["id"] not in {b["id"] for b in before}]
    assert len(clones) == 40
    for clone in clones:
        assert clone["createdAt"] < original["createdAt"]
        for part in ("items", "payments", "history"):
            assert len(clone[part]) == len(original[part])
            assert {x["id"] for x in clone[part]}.isdisjoint({x["id"] for x in original[part]})
    assert one.status_code == 200
    # The registry of numbers holds every seeded one, so no lease can hand it out again.
    from sqlalchemy import create_engine, text

    from server.storage.db import normalize_url

    engine = create_engine(normalize_url(server.db_url))
    with engine.connect() as conn:
        registered = set(conn.execute(text("SELECT number FROM order_numbers")).scalars())
    engine.dispose()
    assert set(numbers) <= registered
