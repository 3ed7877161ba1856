"""Putting 10k / 100k orders into a database fast — arranging data, not what is measured.

krafta: one order is created through the server's own `POST /api/orders` (so its rows are exactly
what the server writes), then cloned with SQLAlchemy Core bulk inserts. The tables are reflected
from the migrated database rather than hard-coded, so this keeps working while the order core is
rebuilt: the order row and every table holding `orders.id` get fresh ids, order numbers in the
`KRFT-` + 6 digits format that no other order has (registered in `order_numbers`, the server's
registry of numbers handed out or leased, when there is one), and timestamps one second apart
(older than the template). The reference build seeds itself with its own `seed.py`.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

__all__ = ["seed_krafta", "seed_reference"]

BATCH = 5000
_NUMBER = re.compile(r"^KRFT-\d{6}$")


def seed_reference(ref_dir: Path, db_url: str, count: int) -> float:
    """The reference's own `seed.py`: resets its schema and inserts `count` orders."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "seed.py", db_url, str(count)],
        cwd=ref_dir,
        check=True,
        timeout=900,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def _unique_columns(inspector: Any, table: Any) -> set[str]:
    names: set[str] = set()
    for uc in inspector.get_unique_constraints(table.name):
        names.update(uc["column_names"])
    for ix in inspector.get_indexes(table.name):
        if ix.get("unique"):
            names.update(c for c in ix["column_names"] if c)
    names.update(c.name for c in table.columns if c.unique)
    return names - {c.name for c in table.primary_key.columns}


def _fresh(value: Any, column: Any) -> Any:
    """A new value for a unique or primary-key column, in the template value's shape."""
    if isinstance(value, int):
        return None  # autoincrement: let the database number it
    text = str(uuid.uuid4())
    length = getattr(column.type, "length", None)
    return text[:length] if length else text


def _registered(registry: Any, order: dict[str, Any]) -> dict[str, Any]:
    """The registry row of a seeded order's number, as the server's migration fills it for old orders."""
    from sqlalchemy import DateTime

    row: dict[str, Any] = {}
    for col in registry.columns:
        if col.name == "number":
            row[col.name] = order["order_number"]
        elif isinstance(col.type, DateTime):
            row[col.name] = order["created_at"]
        elif not col.nullable and col.default is None:
            row[col.name] = "order"
    return row


def seed_krafta(db_url: str, template_id: str, total: int, *, rng_seed: int = 7) -> float:
    """Clone the order `template_id` until the database holds `total` orders; returns seconds taken."""
    from sqlalchemy import DateTime, MetaData, create_engine, func, inspect, select, text

    from server.storage.db import normalize_url

    start = time.perf_counter()
    engine = create_engine(normalize_url(db_url))
    meta = MetaData()
    meta.reflect(engine)
    orders = meta.tables["orders"]
    children = [
        (t, fk.parent.name)
        for t in meta.sorted_tables
        for fk in t.foreign_keys
        if fk.column.table.name == "orders" and fk.column.name == "id"
    ]
    inspector = inspect(engine)
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(orders)).scalar_one()
        template = conn.execute(select(orders).where(orders.c.id == template_id)).mappings().one()
        kids = {
            t.name: [dict(r) for r in conn.execute(select(t).where(t.c[col] == template_id)).mappings()]
            for t, col in children
        }
        taken = set(conn.execute(select(orders.c.order_number)).scalars())
        registry = meta.tables.get("order_numbers")
        if registry is not None:
            # The server's registry of numbers handed out or leased: a leased one is not free either.
            taken |= set(conn.execute(select(registry.c.number)).scalars())
    need = total - have
    if need <= 0:
        engine.dispose()
        return 0.0

    rng = random.Random(rng_seed + have)
    free = (n for n in rng.sample(range(1_000_000), min(1_000_000, need + len(taken) + 1000)))
    numbers = (f"KRFT-{n:06d}" for n in free if f"KRFT-{n:06d}" not in taken)
    order_unique = _unique_columns(inspector, orders)
    kid_unique = {t.name: _unique_columns(inspector, t) for t, _ in children}
    order_dt = [c.name for c in orders.columns if isinstance(c.type, DateTime)]
    kid_dt = {t.name: [c.name for c in t.columns if isinstance(c.type, DateTime)] for t, _ in children}
    base = template["created_at"] - timedelta(seconds=1)

    def clone(row: dict[str, Any], dts: list[str], when: Any) -> dict[str, Any]:
        out = dict(row)
        for col in dts:
            if out.get(col) is not None:
                out[col] = when
        return out

    done = 0
    while done < need:
        n = min(BATCH, need - done)
        order_rows: list[dict[str, Any]] = []
        kid_rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t, _ in children}
        for k in range(done, done + n):
            when = base - timedelta(seconds=have + k)
            new_id = str(uuid.uuid4())
            row = clone(dict(template), order_dt, when)
            row["id"] = new_id
            for col in order_unique:
                if col == "order_number" or _NUMBER.match(str(row.get(col) or "")):
                    row[col] = next(numbers)
                else:
                    row[col] = _fresh(row[col], orders.c[col])
            if row.get("search_text") and row.get("order_number"):
                # The folded search text names the order's number too: the clone's, not the template's.
                old = str(template["order_number"]).lower()
                row["search_text"] = row["search_text"].replace(old, str(row["order_number"]).lower())
            if "list_json" in row:
                # The template's stored JSON, stale for the clone: the server's fill_missing makes its own.
                row["list_json"] = row["list_shape"] = None
            order_rows.append(row)
            for t, fk_col in children:
                pk = [c.name for c in t.primary_key.columns]
                for kid in kids[t.name]:
                    r = clone(kid, kid_dt[t.name], when)
                    r[fk_col] = new_id
                    for col in [*pk, *kid_unique[t.name]]:
                        if col == fk_col:
                            continue
                        value = _fresh(r[col], t.c[col])
                        if value is None:
                            r.pop(col)
                        else:
                            r[col] = value
                    kid_rows[t.name].append(r)
        with engine.begin() as conn:
            conn.execute(orders.insert(), order_rows)
            if registry is not None:
                conn.execute(registry.insert(), [_registered(registry, o) for o in order_rows])
            for t, _ in children:
                if kid_rows[t.name]:
                    conn.execute(t.insert(), kid_rows[t.name])
        done += n
    if "list_json" in orders.c:
        from server.storage.order_json import fill_missing

        with engine.begin() as conn:
            fill_missing(conn)

    # As the reference's seed.py does: fresh planner statistics, a checkpointed WAL.
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return time.perf_counter() - start
