"""Order numbers that never collide, outage or not: a lease of unused numbers per server instance.

`KRFT-` + 6 random digits: not guessable from the previous one. Each instance reserves a small block
of unused numbers in the `order_numbers` registry while the database answers, and spends them on
new orders — on the database path and on the fallback path alike, so a number given to a customer
during an outage is already reserved in the database and can never be given to another order.
Only when the lease has run dry during a long outage does the fallback draw an unreserved number;
the replay then claims it, and renumbers the order (history + log) if someone else holds it.

The unspent lease is also kept on disk (`LeaseFile`, 0600, in the data directory) from before a
number is handed out until it is spent: a process restarted during an outage finds the lease its
predecessor left and spends those reserved numbers, instead of starting dry and drawing unreserved
ones (on main 3 of 2,000 orders were renumbered after such restarts). The block grows with the
rate of orders, so a busy shop's lease covers a longer outage.

The space holds 1,000,000 numbers. A refill draws twice the numbers it needs and keeps the free
ones, so the work per refill grows as the shop fills the space: at 500k orders half the draws are
taken, at 900k nine in ten (see README: past ~500k orders widen the format).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import math
import os
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from server.domain.numbers import draw_number
from server.domain.shape import utcnow
from server.storage.db import Database
from server.storage.models import numbers_t, orders_t

__all__ = ["LeaseFile", "NumberLease", "claim_number"]

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


class LeaseFile:
    """One process's unspent numbers on disk: `<lessee>.numbers` beside `<lessee>.lock`, which the
    process holds locked (flock) while it lives.

    The numbers file is a count of numbers spent (ten digits) on its first line, then the numbers in
    the order they are spent. Spending one rewrites the count in place (`spend`: one small write, no
    new file, ~µs); any other change replaces the file whole by a rename (`write`). A process killed
    at any point leaves a whole file. Writes are not fsynced: a power cut may leave an older one,
    which is why the replay still claims every number before storing its order.

    A lock file nobody holds belongs to a process that is gone: `open` takes its numbers. The dead
    file's numbers are deleted before they are written into ours, so a crash in between can only
    lose reserved numbers (harmless: they stay reserved, unused), never give one to two processes.
    """

    def __init__(self, directory: Path, lessee: str) -> None:
        self.directory = directory
        safe = "".join(c if c.isalnum() or c in "-." else "_" for c in lessee)
        self.numbers_path = directory / f"{safe}.numbers"
        self.lock_path = directory / f"{safe}.lock"
        self._lock_fd: int | None = None
        self._numbers_fd: int | None = None
        self._spent = 0

    def open(self) -> list[str]:
        """Take this process's lock; the numbers of every lease whose process is gone, now ours."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        adopted: list[str] = []
        for lock in sorted(self.directory.glob("*.lock")):
            if lock != self.lock_path:
                adopted += self._adopt(lock)
        return list(dict.fromkeys(adopted))

    @staticmethod
    def read(path: Path) -> list[str]:
        """The unspent numbers in a numbers file (none when it is missing or unreadable)."""
        try:
            first, *numbers = path.read_text().split()
            return numbers[int(first) :]
        except (FileNotFoundError, ValueError):
            return []

    def _adopt(self, lock: Path) -> list[str]:
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            return []
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return []  # its process is alive
            numbers_path = lock.with_suffix(".numbers")
            numbers = self.read(numbers_path)
            numbers_path.unlink(missing_ok=True)
            lock.unlink(missing_ok=True)
            if numbers:
                log.info("taking over %d reserved order numbers from %s", len(numbers), lock.stem)
            return numbers
        finally:
            os.close(fd)

    def write(self, numbers: Iterable[str]) -> None:
        """The file holds exactly `numbers` now, none spent."""
        tmp = self.numbers_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, "".join([f"{0:010d}\n", *(f"{n}\n" for n in numbers)]).encode())
            os.replace(tmp, self.numbers_path)
        except BaseException:
            os.close(fd)
            raise
        if self._numbers_fd is not None:
            os.close(self._numbers_fd)
        self._numbers_fd, self._spent = fd, 0

    def spend(self) -> None:
        """The first unspent number is spent."""
        self._spent += 1
        if self._numbers_fd is not None:
            os.pwrite(self._numbers_fd, f"{self._spent:010d}".encode(), 0)

    def close(self, *, keep: bool) -> None:
        """Let go of the lock; the files stay when `keep` (numbers still reserved for a successor)."""
        if not keep:
            self.numbers_path.unlink(missing_ok=True)
            self.lock_path.unlink(missing_ok=True)
        for fd in (self._numbers_fd, self._lock_fd):
            if fd is not None:
                os.close(fd)
        self._numbers_fd = self._lock_fd = None


# The lease holds about this many seconds of orders at the recent rate (outages of a few seconds to a
# minute are the common ones), between the bounds below.
LEASE_SECONDS = 60.0
MAX_BLOCK = 2048


class NumberLease:
    """This instance's block of reserved, unspent numbers. `take` never touches the database.

    With a `directory` (the data directory's `leases/`) the unspent numbers are kept on disk too,
    from `open()` (which takes over the numbers a dead predecessor left there) to `release()`.
    """

    def __init__(
        self,
        db: Database,
        *,
        block: int = 64,
        low_water: int = 16,
        directory: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.block = self.min_block = block
        self.low_water = low_water
        self.lessee = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._file = LeaseFile(directory, self.lessee) if directory is not None else None
        self._clock = clock
        self._pool: deque[str] = deque()
        self._lock = threading.Lock()
        self._refilling = threading.Lock()
        # Numbers spent since the last refill, and when it was: the rate the block follows.
        self._spent = 0
        self._since = clock()

    def __len__(self) -> int:
        return len(self._pool)

    def open(self) -> None:
        """Keep the lease on disk from now on, starting with what a predecessor left unspent."""
        if self._file is None:
            return
        adopted = self._file.open()
        with self._lock:
            held = set(self._pool)
            self._pool.extend(n for n in adopted if n not in held)
            self._persist()

    def _persist(self) -> None:
        """Called under `_lock`, after every change and before a number is handed out."""
        if self._file is not None:
            self._file.write(self._pool)

    def take(self) -> str | None:
        """A reserved number, or None when the lease has run dry."""
        with self._lock:
            if not self._pool:
                return None
            number = self._pool.popleft()
            if self._file is not None:
                self._file.spend()  # off the disk before anyone is told it
            self._spent += 1
            return number

    def give_back(self, number: str) -> None:
        """A number taken for an order that was then not stored (it is still reserved for us)."""
        with self._lock:
            self._pool.append(number)
            self._persist()
            self._spent = max(0, self._spent - 1)

    def low(self) -> bool:
        return len(self._pool) < self.low_water

    def _grow(self) -> None:
        """Size the block to about `LEASE_SECONDS` of orders at the rate since the last refill."""
        now = self._clock()
        elapsed, spent = max(now - self._since, 1e-3), self._spent
        self._since, self._spent = now, 0
        wanted = math.ceil(spent / elapsed * LEASE_SECONDS)
        # Grow at once, shrink by halves: a lull does not empty the lease before the next burst.
        self.block = max(self.min_block, min(MAX_BLOCK, max(wanted, self.block // 2)))
        self.low_water = max(self.low_water, self.block // 4)

    def refill(self, *, wait: bool = True) -> int:
        """Reserve numbers up to a full block; raises when the database is unavailable.

        With `wait=False` it returns at once when another thread is already refilling.
        """
        if not self._refilling.acquire(blocking=wait):
            return 0
        try:
            self._grow()
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
                    self._persist()
                added += len(got)
            return added
        finally:
            self._refilling.release()

    def release(self) -> None:
        """Give the unspent numbers back to the registry (at shutdown); when the database does not
        answer, they stay reserved and on disk for the next process to spend."""
        with self._lock:
            unspent, self._pool = list(self._pool), deque()
        released = not unspent
        if unspent:
            if self._file is not None:
                # Off the disk before they leave the registry: a crash in between loses them (they
                # stay reserved, unused) rather than leaving a successor numbers nobody reserves.
                self._file.write(())
            # The rows may be held under a predecessor's name too (numbers taken over by `open`):
            # every one of them is this process's to give back.
            with contextlib.suppress(Exception), self.db.order_write() as conn:
                mine = numbers_t.c.number.in_(unspent) & (numbers_t.c.lessee != "order")
                conn.execute(delete(numbers_t).where(mine))
                released = True
        if self._file is not None:
            if not released:
                self._file.write(unspent)
            self._file.close(keep=not released)
