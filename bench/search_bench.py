"""Search (`q`) on the folded `orders.search_text` column: does an index help, and which?

    .venv/bin/python bench/search_bench.py [--orders 50000] [--db sqlite|postgres|both]

Seeds a shop of orders through the server's own `build_record` + `insert_rows` (varied cities,
states and payer names), then times the list's own query — `DatabaseOrders.page_json` for a page
of 50 newest matches — for a rare needle (no match: every row is read), a common one (the page
fills early), and a number prefix. Compared on each database:

* SQLite: the column scanned with `LIKE '%…%'` (what the server does), the same with an FTS5
  trigram index (an external-content table on `search_text`, queried with `LIKE` so the trigram
  index answers, joined back for the page), and the pre-fold query (lower() on three columns and
  an EXISTS over payments) for reference.
* PostgreSQL: `LIKE '%…%'` with the pg_trgm GIN index (migration 0008) and with it dropped.

Writes `bench/results/search.md` and `.json` (see results.py).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from results import write_section  # noqa: E402
from sqlalchemy import text  # noqa: E402

from server.domain.filter import OrderFilter  # noqa: E402
from server.domain.records import PriceInfo, build_record  # noqa: E402
from server.domain.schemas import OrderIn  # noqa: E402
from server.domain.shape import utcnow  # noqa: E402
from server.storage.database import DatabaseOrders, insert_rows  # noqa: E402
from server.storage.db import Database  # noqa: E402
from server.storage.hooks import OrderHooks  # noqa: E402
from server.storage.migrate import upgrade  # noqa: E402

CITIES = [
    ("Mérida", "Mérida"), ("Barquisimeto", "Lara"), ("Valencia", "Carabobo"), ("Maracaibo", "Zulia"),
    ("San Cristóbal", "Táchira"), ("Caracas", "Distrito Capital"), ("Maturín", "Monagas"),
    ("Cumaná", "Sucre"), ("Ciudad Bolívar", "Bolívar"), ("Puerto La Cruz", "Anzoátegui"),
]  # fmt: skip
FIRST = ["María", "José", "Ana", "Luis", "Carmen", "Jesús", "Rosa", "Pedro", "Yolanda", "Andrés"]
LAST = ["Pérez", "González", "Rodríguez", "Hernández", "Núñez", "Martínez", "Gómez", "Díaz", "Ávila", "Ríos"]
NEEDLES = {"rare (no match)": "zzzq", "common (payer)": "perez", "number prefix": "krft-12"}
RUNS = 15


def _seed(db: Database, count: int) -> None:
    rnd = random.Random(count)
    now = utcnow()
    numbers = rnd.sample(range(1_000_000), count)
    with db.order_write() as conn:
        for n in range(count):
            city, state = rnd.choice(CITIES)
            body = OrderIn.model_validate(
                {
                    "variantId": "var-1", "quantity": 1, "shippingAddress": f"Calle {n}",
                    "shippingCity": city, "shippingState": state, "shippingCost": 3.0, "subtotal": 12.0,
                    "total": 15.0, "totalBs": 600.0, "exchangeRate": 40.0,
                    "payment": {"method": "PAGO_MOVIL", "reference": f"{n:011d}", "originBank": "Banesco",
                                "payerName": f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"},
                }
            )  # fmt: skip
            at = now - timedelta(minutes=count - n)
            record = build_record(
                body,
                owner=None,
                price=PriceInfo("OK", unit_price=Decimal("12")),
                number=f"KRFT-{numbers[n]:06d}",
                at=at,
            )
            insert_rows(conn, record)
        conn.execute(text("ANALYZE"))


def _time(call: Callable[[], Any]) -> float:
    call()  # warm
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def _page(db: Database, needle: str) -> Callable[[], Any]:
    orders = DatabaseOrders(db, OrderHooks())
    return lambda: orders.page_json(OrderFilter(q=needle), None, 50)


def _raw(db: Database, sql: str, needle: str) -> Callable[[], Any]:
    def run() -> Any:
        with db.read_conn() as conn:
            return conn.execute(text(sql), {"p": f"%{needle}%"}).all()

    return run


_IDS = """
SELECT id FROM orders WHERE search_text LIKE :p ORDER BY created_at DESC, id DESC LIMIT 50
"""
_OLD = """
SELECT id FROM orders WHERE lower(order_number) LIKE :p OR lower(shipping_city) LIKE :p
  OR lower(shipping_state) LIKE :p
  OR EXISTS (SELECT 1 FROM payment_submissions p WHERE p.order_id = orders.id AND lower(p.payer_name) LIKE :p)
ORDER BY created_at DESC, id DESC LIMIT 50
"""
_FTS = """
SELECT id FROM orders WHERE rowid IN (SELECT rowid FROM orders_fts WHERE search_text LIKE :p)
ORDER BY created_at DESC, id DESC LIMIT 50
"""


@contextmanager
def _database(kind: str, tmp: Path) -> Iterator[Database]:
    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'search.db'}"
    else:
        import psycopg

        name = f"krafta_search_bench_{int(time.time())}"
        with psycopg.connect("postgresql://root@127.0.0.1:5432/test", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql://root@127.0.0.1:5432/{name}"
    upgrade(url)
    db = Database(url, pool_size=2)
    try:
        yield db
    finally:
        db.dispose()
        if kind != "sqlite":
            with psycopg.connect("postgresql://root@127.0.0.1:5432/test", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _measure(kind: str, count: int, tmp: Path) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with _database(kind, tmp) as db:
        start = time.perf_counter()
        _seed(db, count)
        print(f"{kind}: seeded {count} orders in {time.perf_counter() - start:.0f} s", flush=True)
        out["server's page (LIKE on search_text, with the JSON)"] = {
            k: _time(_page(db, v)) for k, v in NEEDLES.items()
        }
        out["its ids only"] = {k: _time(_raw(db, _IDS, v)) for k, v in NEEDLES.items()}
        out["ids only, before the fold (lower() ×3 + EXISTS payments)"] = {
            k: _time(_raw(db, _OLD, v)) for k, v in NEEDLES.items()
        }
        with db.order_write() as conn:
            if kind == "sqlite":
                conn.execute(
                    text(
                        "CREATE VIRTUAL TABLE orders_fts USING fts5(search_text, content='orders', "
                        "content_rowid='rowid', tokenize='trigram')"
                    )
                )
                conn.execute(text("INSERT INTO orders_fts(orders_fts) VALUES ('rebuild')"))
            else:
                conn.execute(text("DROP INDEX ix_orders_search_trgm"))
                conn.execute(text("ANALYZE orders"))
        if kind == "sqlite":
            out["ids only, FTS5 trigram index"] = {k: _time(_raw(db, _FTS, v)) for k, v in NEEDLES.items()}
        else:
            out["server's page without the pg_trgm index"] = {
                k: _time(_page(db, v)) for k, v in NEEDLES.items()
            }
            out["its ids only, without the index"] = {k: _time(_raw(db, _IDS, v)) for k, v in NEEDLES.items()}
    return out


def _markdown(count: int, figures: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = [
        "## Search (`q`)",
        "",
        f"{count:,} orders; median of {RUNS} runs of a page of the 50 newest matches, in ms "
        "(`bench/search_bench.py`).",
        "",
    ]
    for kind, variants in figures.items():
        lines += [f"| {kind} | " + " | ".join(NEEDLES) + " |", "|---|" + "---|" * len(NEEDLES)]
        for variant, row in variants.items():
            lines.append(f"| {variant} | " + " | ".join(f"{row[k]:.1f}" for k in NEEDLES) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            figures[kind] = _measure(kind, args.orders, Path(tmp))
    markdown = _markdown(args.orders, figures)
    print(markdown)
    write_section("search", markdown, {"orders": args.orders, "figures": figures})
    return 0


if __name__ == "__main__":
    sys.exit(main())
