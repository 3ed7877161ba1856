"""The feed: one thread per server process that reads the change log (`log.py`), in id order.

On PostgreSQL it holds one dedicated connection that `LISTEN`s on `live_log.CHANNEL`; a
notification (from any server on the database, this one included) wakes it. On SQLite, where one
process serves the shop, the writer nudges it directly (`nudge`). Either way it then reads every
logged change above the last one it saw — never just the notified one — so a notification lost while the
listener reconnected costs nothing, and a slow poll catches writes by other processes
(`krafta fallback sync`). It also prunes logged changes past the retention.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import make_url

from server.live import log as live_log
from server.storage.db import Database
from server.storage.seam import unavailable

__all__ = ["ChangeFeed"]

log = logging.getLogger("krafta.live")

PAGE = 500
PRUNE_EVERY_SECONDS = 600.0


class ChangeFeed:
    def __init__(
        self,
        db: Database,
        deliver: Callable[[list[live_log.LoggedChange], int], None],
        *,
        retention: timedelta,
        poll_seconds: float | None = None,
    ) -> None:
        self.db = db
        self.deliver = deliver
        self.retention = retention
        # PostgreSQL: a safety net only (notifications do the work). SQLite: other processes' writes.
        self.poll_seconds = poll_seconds or (0.5 if db.is_sqlite else 5.0)
        self.last: int | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._listener: Any = None
        self._thread = threading.Thread(target=self._run, name="krafta-live-feed", daemon=True)
        self._next_prune = 0.0
        # When the feed last lost the database, and when it read the log again after that.
        self.lost_at: float | None = None
        self.back_at: float | None = None
        # Before the first read: the id just below the first change this process logged, if any.
        self._floor: int | None = None
        self._floor_lock = threading.Lock()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def nudge(self) -> None:
        """Called by a writer in this process AFTER its commit: read what is new now.

        Waking only after the commit means one read finds the change; waking from inside the
        transaction made this thread poll the database every 3 ms until the commit landed, which
        took about a third of the busy samples of a create load on SQLite (bench/profiles).
        """
        self._wake.set()

    def start_no_later_than(self, last: int) -> None:
        """This process logged the change after `last`: if the feed has no position yet, its first
        read starts at `last` at the latest.

        Without it a server started during an outage began at the newest id once the database
        answered — after the changes its own replay had logged meanwhile, which its subscribers
        then never got (33 of 874 orders in a fault run).
        """
        if self.last is not None:
            return
        with self._floor_lock:
            self._floor = last if self._floor is None else min(self._floor, last)

    def outage_within(self, seconds: float) -> bool:
        """Has the feed been without the database at any time in the last `seconds`?

        The feed holds a connection all the time (PostgreSQL: its LISTEN), so it notices an outage
        even when no request came in during it.
        """
        lost, back = self.lost_at, self.back_at
        if lost is None:
            return False
        return back is None or back < lost or time.monotonic() - back < seconds

    # ---- the thread -------------------------------------------------------------------------------

    def _run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                if self.db.is_sqlite:
                    self._run_sqlite()
                else:
                    self._run_postgres()
                backoff = 0.2
            except Exception as error:
                if not unavailable(error):
                    log.exception("live feed failed; retrying")
                else:
                    self.lost_at = time.monotonic()
                self._close_listener()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        self._close_listener()

    def _catch_up(self) -> None:
        if self.last is None:
            # Start at the present: subscribers that want older changes ask with Last-Event-ID —
            # or before the first change this process logged, when that came first.
            start = live_log.latest_id(self.db)
            with self._floor_lock:
                if self._floor is not None:
                    start = min(start, self._floor)
                self.last = start
            self.deliver([], start)
        if self.lost_at is not None and (self.back_at is None or self.back_at < self.lost_at):
            self.back_at = time.monotonic()
        while True:
            batch = live_log.fetch_after(self.db, self.last, limit=PAGE)
            if batch:
                self.last = batch[-1].seq
                self.deliver(batch, self.last)
            if len(batch) < PAGE:
                return

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY_SECONDS
            pruned = live_log.prune(self.db, keep=self.retention)
            if pruned:
                log.info("pruned %d logged change(s) older than %s", pruned, self.retention)

    def _run_sqlite(self) -> None:
        self._catch_up()
        while not self._stop.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            self._catch_up()
            self._housekeeping()

    def _run_postgres(self) -> None:
        import psycopg

        url = make_url(self.db.url).set(drivername="postgresql")
        self._listener = psycopg.connect(
            url.render_as_string(hide_password=False), autocommit=True, connect_timeout=3
        )
        self._listener.execute(f"LISTEN {live_log.CHANNEL}")
        # Listening first, then reading: nothing committed in between can be missed.
        self._catch_up()
        next_poll = time.monotonic() + self.poll_seconds
        while not self._stop.is_set():
            woke = False
            # Short waits so that stopping the server is never held up by an idle listener.
            for note in self._listener.notifies(timeout=0.25, stop_after=1):
                payload = note.payload
                if not (payload.isdigit() and self.last is not None and int(payload) <= self.last):
                    woke = True
            if woke or time.monotonic() >= next_poll:
                self._catch_up()
                next_poll = time.monotonic() + self.poll_seconds
                self._housekeeping()

    def _close_listener(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            except Exception:
                log.debug("closing the listener failed", exc_info=True)
            self._listener = None
