"""Order numbers that never collide, outage or not: a lease of unused numbers per server instance.

`KRFT-` + 6 random digits: not guessable from the previous one. Each instance reserves a small block
of unused numbers in the `order_numbers` registry while the database answers, and spends them on
new orders — on the database path and on the fallback path alike, so a number given to a customer
during an outage is already reserved in the database and can never be given to another order.
Only when the lease has run dry during a long outage does the fallback draw an unreserved number;
the replay then claims it, and renumbers the order (history + log) if someone else holds it.

The space holds 1,000,000 numbers. A refill draws twice the numbers it needs and keeps the free
ones, so the work per refill grows as the shop fills the space: at 500k orders half the draws are
taken, at 900k nine in ten (see README: past ~500k orders widen the format).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
from collections import deque
from collections.abc import Iterable

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from server.domain.numbers import draw_number
from server.domain.shape import utcnow
from server.storage.db import Database
from server.storage.models import numbers_t, orders_t

__all__ = ["NumberLease", "claim_number"]

log = logging.getLogger("krafta.numbers")


def _insert(conn: Connection) -> postgresql.Insert | sqlite.Insert:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(numbers_t)
    return sqlite.insert(numbers_t)


def _reserve(conn: Connection, numbers: Iterable[str], lessee: str, limit: int | None = None) -> list[str]:
    """Insert (up to `limit` of) the numbers nobody holds yet into the registry; those are ours."""
    wanted = list(dict.fromkeys(numbers))
    if not wanted:
        return []
    taken = set(conn.scalars(select(numbers_t.c.number).where(numbers_t.c.number.in_(wanted))))
    # Orders seeded around the registry (old databases, tools writing rows directly) count as taken too.
    taken |= set(conn.scalars(select(orders_t.c.order_number).where(orders_t.c.order_number.in_(wanted))))
    free = [n for n in wanted if n not in taken][:limit]
    if not free:
        return []
    now = utcnow()
    stmt = (
        _insert(conn)
        .values([{"number": n, "lessee": lessee, "leased_at": now} for n in free])
        .on_conflict_do_nothing(index_elements=["number"])
        .returning(numbers_t.c.number)
    )
    got = set(conn.scalars(stmt))
    return [n for n in free if n in got]  # in the order drawn (RETURNING's order is unspecified)


def claim_number(conn: Connection, number: str) -> bool:
    """Take `number` for an order that was given it without a lease; False when someone holds it."""
    return bool(_reserve(conn, [number], "order"))


class NumberLease:
    """This instance's block of reserved, unspent numbers. `take` never touches the database."""

    def __init__(self, db: Database, *, block: int = 64, low_water: int = 16) -> None:
        self.db = db
        self.block = block
        self.low_water = low_water
        self.lessee = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._pool: deque[str] = deque()
        self._lock = threading.Lock()
        self._refilling = threading.Lock()

    def __len__(self) -> int:
        return len(self._pool)

    def take(self) -> str | None:
        """A reserved number, or None when the lease has run dry."""
        with self._lock:
            return self._pool.popleft() if self._pool else None

    def give_back(self, number: str) -> None:
        """A number taken for an order that was then not stored (it is still reserved for us)."""
        with self._lock:
            self._pool.append(number)

    def low(self) -> bool:
        return len(self._pool) < self.low_water

    def refill(self, *, wait: bool = True) -> int:
        """Reserve numbers up to a full block; raises when the database is unavailable.

        With `wait=False` it returns at once when another thread is already refilling.
        """
        if not self._refilling.acquire(blocking=wait):
            return 0
        try:
            added = 0
            for _ in range(8):  # a nearly full number space needs more than one round of draws
                need = self.block - len(self._pool)
                if need <= 0:
                    break
                with self._lock:
                    held = set(self._pool)
                candidates = [n for n in (draw_number() for _ in range(need * 2 + 4)) if n not in held]
                with self.db.order_write() as conn:
                    got = _reserve(conn, candidates, self.lessee, need)
                with self._lock:
                    self._pool.extend(got)
                added += len(got)
            return added
        finally:
            self._refilling.release()

    def release(self) -> None:
        """Give the unspent numbers back to the registry (at shutdown); harmless when it cannot."""
        with self._lock:
            unspent, self._pool = list(self._pool), deque()
        if not unspent:
            return
        with contextlib.suppress(Exception), self.db.order_write() as conn:
            conn.execute(
                delete(numbers_t).where(numbers_t.c.lessee == self.lessee, numbers_t.c.number.in_(unspent))
            )
