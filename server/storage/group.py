"""Group commit: the order writes queued in one process committed together, one transaction each group.

Every create and move used to be its own transaction, serialised behind the process's write lock
(SQLite) or its own round of commits and change-log lock (PostgreSQL): under load the writers
waited on each other's commits. Here the thread whose write finds no group being written becomes
the writer: it takes every queued write (its own included), runs them in order on one connection in
one transaction, logs their changes last (`OrderHooks.in_group`: the change-log ids drawn together,
just before the commit), commits once, and wakes each waiting request, which answers after its own
write committed. Writes queued meanwhile form the next group; no request waits for a timer.
The server groups on SQLite, where a process's order writes are serialised anyway; on PostgreSQL
each write still has its own transaction (`DatabaseOrders.grouped`, with the measurement).

Each write is a function of the transaction's connection (`Write`). What one write's failure does:

* a refusal (`ApiError`, `MoveRefused`: a bad price, an unknown upload, a stale move) fails that
  write alone; the seam's writes check before their first statement (`prepare`, `decide`, the
  UPDATE guarded by the status that matched no row), so the transaction goes on without it;
* any other error (a number or a key taken around us: `IntegrityError`) rolls the group back; that
  write gets its error and the rest are written again in a new transaction;
* the database unavailable, at any point, fails every write of the group with that error: each
  request then takes the fallback as it did alone (`seam.database_or_files`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection

from server.domain.changes import OrderChange
from server.domain.errors import ApiError
from server.domain.lifecycle import MoveRefused
from server.storage.db import Database
from server.storage.hooks import OrderHooks

__all__ = ["GROUP", "GroupWriter", "Write"]

T = TypeVar("T")

# Writes per transaction at most: a bound on how long the first of a group waits for the last.
GROUP = 64

# A write: its statements on the group's connection; returns its answer and the change to log (None
# when it wrote nothing, e.g. the first answer to an Idempotency-Key).
Write = Callable[[Connection], tuple[T, OrderChange | None]]


@dataclass(eq=False)
class _Job(Generic[T]):
    write: Write[T]
    answer: Any = None
    change: OrderChange | None = None
    error: BaseException | None = None
    done: bool = False


class _Rollback(Exception):
    """One write's error that spoils the transaction: roll back, write the others again."""

    def __init__(self, job: _Job[Any], error: BaseException) -> None:
        super().__init__(str(error))
        self.job = job
        self.error = error


class GroupWriter:
    """The writes of one process to one database, committed in groups (one writer at a time)."""

    def __init__(
        self,
        db: Database,
        hooks: OrderHooks,
        *,
        down: Callable[[BaseException], bool] | None = None,
        group: int = GROUP,
    ) -> None:
        self.db = db
        self.hooks = hooks
        # Whether an error is the database being unavailable: the seam's test (`seam.unavailable`),
        # handed in by it. Without one every error fails the whole group, as if it were.
        self.down = down or (lambda _error: True)
        self.group = group
        self._queue: list[_Job[Any]] = []
        self._writing = False
        self._cond = threading.Condition()

    def run(self, write: Write[T]) -> tuple[T, OrderChange | None]:
        """`write` committed in a group; its answer and its change, once the group committed."""
        job: _Job[T] = _Job(write)
        with self._cond:
            self._queue.append(job)
        while True:
            with self._cond:
                while self._writing and not job.done:
                    self._cond.wait()
                if job.done:
                    break
                self._writing = True
                batch, self._queue = self._queue[: self.group], self._queue[self.group :]
            try:
                self._write(batch)
            finally:
                with self._cond:
                    self._writing = False
                    self._cond.notify_all()
        if job.error is not None:
            raise job.error
        return job.answer, job.change

    def _write(self, batch: list[_Job[Any]]) -> None:
        pending = list(batch)
        try:
            while pending:
                try:
                    self._transaction(pending)
                    pending = []
                except _Rollback as failed:
                    self._finish(failed.job, failed.error)
                    pending = [j for j in pending if j is not failed.job]
        except Exception as error:
            # The database unavailable (or a commit refused): no write of this group was kept.
            for job in pending:
                self._finish(job, error)
        finally:
            for job in batch:
                job.done = True

    def _transaction(self, pending: list[_Job[Any]]) -> None:
        for job in pending:
            job.answer, job.change, job.error = None, None, None
        with self.db.order_write() as conn:
            for job in pending:
                try:
                    job.answer, job.change = job.write(conn)
                except (ApiError, MoveRefused) as refused:
                    job.error = refused
                except Exception as error:
                    if self.down(error):
                        raise
                    raise _Rollback(job, error) from error
            changes = [job.change for job in pending if job.error is None and job.change is not None]
            if changes:
                self.hooks.in_group(conn, changes)

    @staticmethod
    def _finish(job: _Job[Any], error: BaseException) -> None:
        job.answer, job.change, job.error = None, None, error
