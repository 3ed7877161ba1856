"""Server benchmark: create throughput and latency, and the full order list at scale.

Run: `.venv/bin/python bench/server_bench.py [--orders 100000]`. Starts a real `krafta serve` on a fresh
SQLite database in a temp dir, measures, prints ratios against baselines measured in the same run
(`GET /api/health` for request overhead; a 1,000-order list for the list's scaling), and writes
`bench/results/server.json`. Not part of the test suite: timings belong here, not in assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import free_port, order_body  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "server.json"


def start_server(data_dir: Path, db_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "KRAFTA_DATA_DIR": str(data_dir),
        "KRAFTA_DATABASE_URL": db_url,
        "KRAFTA_LOG_LEVEL": "warning",
        "KRAFTA_JWT_SECRET": "bench-secret-0123456789abcdef0123456789",
    }
    exe = Path(sys.executable).parent / "krafta"
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def rss_peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def timed(n: int, workers: int, fn) -> dict[str, float]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []

    def one(i: int) -> None:
        t = time.perf_counter()
        fn(i)
        latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(n)))
    wall = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": n,
        "workers": workers,
        "per_second": round(n / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


def seed_bulk(db_url: str, count: int) -> None:
    """Insert `count` orders fast (Core executemany) — arranging data, not what is measured."""
    from server.db import Database
    from server.models import utcnow
    from server.records import PriceInfo, build_record
    from server.schemas import OrderIn
    from server.serialize import events_t, items_t, orders_t, payments_t

    db = Database(db_url, pool_size=1)
    body = OrderIn.model_validate(order_body())
    base = utcnow()
    batch = 5000
    for start in range(0, count, batch):
        orders, items, payments, events = [], [], [], []
        for n in range(start, min(count, start + batch)):
            r = build_record(body, owner=None, price=PriceInfo("OK"), number=f"KRFT-{n:06d}"[:11])
            when = base - timedelta(seconds=n)
            orders.append(
                {
                    "id": r["id"],
                    "order_number": f"B{n:09d}",
                    "user_id": None,
                    "guest_id": r["guestId"],
                    "status": "CONFIRMED",
                    "shipping_address": r["shippingAddress"],
                    "shipping_city": r["shippingCity"],
                    "shipping_state": r["shippingState"],
                    "shipping_cost": 3,
                    "subtotal": 12,
                    "total": 15,
                    "total_bs": 600,
                    "exchange_rate": 40,
                    "price_check": "OK",
                    "price_expected": None,
                    "created_at": when,
                    "updated_at": when,
                }
            )
            i, p, e = r["items"][0], r["payments"][0], r["history"][0]
            items.append(
                {
                    "id": i["id"],
                    "order_id": r["id"],
                    "variant_id": "var-1",
                    "product_name": "Franela",
                    "quantity": 1,
                    "unit_price": 12,
                    "design_upload_id": None,
                    "preview_url": i["previewUrl"],
                    "design_views_json": i["designViewsJson"],
                }
            )
            payments.append(
                {
                    "id": p["id"],
                    "order_id": r["id"],
                    "method": p["method"],
                    "amount_reported": 600,
                    "amount_expected": 600,
                    "reference": p["reference"],
                    "origin_bank": p["originBank"],
                    "payer_name": p["payerName"],
                    "receipt_url": p["receiptUrl"],
                    "status": "REPORTED",
                    "reported_at": when,
                    "reviewed_at": None,
                    "reviewed_by": None,
                }
            )
            events.append(
                {
                    "id": e["id"],
                    "order_id": r["id"],
                    "seq": 1,
                    "from_status": None,
                    "to_status": "REPORTED",
                    "user_id": None,
                    "user_email": None,
                    "user_role": None,
                    "at": when,
                    "note": None,
                    "forced": False,
                }
            )
        with db.write() as session:
            for table, rows in (
                (orders_t, orders),
                (items_t, items),
                (payments_t, payments),
                (events_t, events),
            ):
                session.execute(table.insert(), rows)
    db.dispose()


def full_list(url: str, token: str) -> tuple[float, int]:
    start = time.perf_counter()
    with httpx.Client(base_url=url, timeout=600, headers={"Authorization": f"Bearer {token}"}) as http:
        r = http.get("/api/orders")
    elapsed = time.perf_counter() - start
    return elapsed, len(r.json()["orders"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000, help="orders in the big list")
    parser.add_argument("--creates", type=int, default=600)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="krafta-bench-") as tmp:
        data = Path(tmp)
        db_url = f"sqlite:///{data / 'krafta.db'}"
        proc, url = start_server(data, db_url)
        try:
            from server.db import Database
            from server.users import UserService

            db = Database(db_url, pool_size=1)
            UserService(db).create(email="bench@krafta.test", password="bench-password", role="ADMIN")
            db.dispose()
            token = httpx.post(
                f"{url}/api/auth/login", json={"email": "bench@krafta.test", "password": "bench-password"}
            ).cookies["krafta-token"]
            client = httpx.Client(base_url=url, timeout=60, limits=httpx.Limits(max_connections=64))
            body = order_body()
            results: dict[str, object] = {
                "machine": f"{platform.machine()} {os.cpu_count()} cpu",
                "python": platform.python_version(),
                "database": "sqlite",
            }
            health_1 = timed(400, 1, lambda i: client.get("/api/health"))
            health_16 = timed(800, 16, lambda i: client.get("/api/health"))
            create_1 = timed(args.creates, 1, lambda i: client.post("/api/orders", json=body))
            create_16 = timed(args.creates, 16, lambda i: client.post("/api/orders", json=body))
            results["baseline_health_1_client"] = health_1
            results["baseline_health_16_clients"] = health_16
            results["create_1_client"] = create_1
            results["create_16_clients"] = create_16
            results["create_vs_health_throughput_1_client"] = round(
                create_1["per_second"] / health_1["per_second"], 3
            )
            results["create_vs_health_throughput_16_clients"] = round(
                create_16["per_second"] / health_16["per_second"], 3
            )

            seed_bulk(db_url, 1000 - args.creates * 2)
            rss_before = rss_kb(proc.pid)
            small_t, small_n = full_list(url, token)
            small_peak = rss_peak_kb(proc.pid)
            seed_bulk(db_url, args.orders - small_n)
            big_t, big_n = full_list(url, token)
            big_peak = rss_peak_kb(proc.pid)
            results["list_small"] = {"orders": small_n, "seconds": round(small_t, 3)}
            results["list_big"] = {
                "orders": big_n,
                "seconds": round(big_t, 3),
                "orders_per_second": round(big_n / big_t),
            }
            results["list_time_ratio_big_vs_small"] = round(big_t / small_t, 1)
            results["list_size_ratio_big_vs_small"] = round(big_n / small_n, 1)
            results["server_rss_mb"] = {
                "before_lists": round(rss_before / 1024, 1),
                "peak_after_small_list": round(small_peak / 1024, 1),
                "peak_after_big_list": round(big_peak / 1024, 1),
            }
            results["rss_peak_ratio_big_vs_small"] = round(big_peak / small_peak, 2)
            client.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
