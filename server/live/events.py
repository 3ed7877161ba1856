"""Live order events: what the rest of the server sees of the event stream (SSE).

Words: writers record order *changes* in the change log (`log.py`: *logged changes*); the stream
tells each subscriber of them with *events*.


* Writers call `record(conn, ...)` inside the transaction of every order create, move and planning
  change (the row and, on PostgreSQL, the NOTIFY commit with the change or not at all), and
  `record_fallback(...)` after a change taken into the fallback.
* `create_app` calls `start(loop)` and `stop()` from the lifespan.
* The SSE route (`routes/events.py`) subscribes to `hub` and reads older changes with `live_log`.

Fallback changes are published by the process that took them, in process only (the database that
would carry them to other servers is down). When this process's replay later imports such an
order, the import is logged as one `order.created` (`record(..., replayed=True)`): the other
servers' subscribers learn of the order then, and this process's subscribers that already heard of
it from the fallback are skipped (`Hub.dispatch`), so nobody is told twice.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from server.domain.audience import shown_to
from server.domain.planning import Calendar
from server.domain.principal import Principal
from server.domain.stuck import StuckRules
from server.live import log as live_log
from server.live.feed import ChangeFeed
from server.live.hub import Hub
from server.storage.db import Database

__all__ = ["LiveEvents"]

log = logging.getLogger("krafta.live")


class LiveEvents:
    def __init__(
        self,
        db: Database,
        *,
        queue_size: int = 1000,
        heartbeat_seconds: float = 15.0,
        retention: timedelta = timedelta(hours=24),
        stuck: StuckRules | None = None,
        per_user: int = 0,
        most: int = 0,
        calendar: Calendar | None = None,
    ) -> None:
        self.db = db
        # Names this server process in the log, so its own subscribers are not told twice about a
        # fallback order it already published when the replay imports it.
        self.origin = str(uuid.uuid4())
        self.hub = Hub(
            capacity=queue_size, replay_origin=f"replay:{self.origin}", per_user=per_user, most=most
        )
        self.feed = ChangeFeed(db, self.hub.dispatch_threadsafe, retention=retention)
        self.heartbeat_seconds = heartbeat_seconds
        self.retention = retention
        # Staff frames say `stuck` as of the moment they are encoded, like everything staff are shown.
        self.stuck = stuck if stuck is not None else StuckRules()
        self.calendar = calendar if calendar is not None else Calendar()
        self._started = False

    def shown_to(self, order: dict[str, Any], viewer: Principal) -> dict[str, Any]:
        """A logged order as `viewer` is shown it."""
        # A copy: the logged order is shared by every subscriber's frame (`shown_to` replaces its lists).
        return shown_to(dict(order), viewer, self.stuck, calendar=self.calendar)

    # ---- writers ----------------------------------------------------------------------------------

    def record(
        self,
        conn: Connection | Session,
        *,
        kind: str,
        order: dict[str, Any],
        from_status: str | None,
        replayed: bool = False,
    ) -> None:
        """Log a committed-with-the-transaction change. Call it last in the transaction.

        `replayed`: the import of a fallback order. Logged for the other servers' subscribers (and
        for resumes), but under an origin this process's hub skips: they saw it when it was taken.
        """
        origin = f"replay:{self.origin}" if replayed else self.origin
        seq = live_log.append(conn, kind=kind, order=order, from_status=from_status, origin=origin)
        # A feed that has not read the log yet (the process started during an outage) must start
        # before this change, not at whatever is newest when it first gets through.
        self.feed.start_no_later_than(seq - 1)

    def committed(self) -> None:
        """After a `record`ed transaction committed: on SQLite this process's feed reads it now."""
        if self.db.is_sqlite:
            self.feed.nudge()

    def record_fallback(self, *, kind: str, order: dict[str, Any], from_status: str | None) -> None:
        self.hub.publish_local(kind, order, from_status)

    # ---- lifespan ---------------------------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.hub.bind(loop)
        self.feed.start()
        self._started = True

    def close_streams(self) -> None:
        """On the event loop: end every open stream cleanly (the server is stopping)."""
        self.hub.close()

    def stop(self) -> None:
        self.hub.close()
        if self._started:
            self.feed.stop()
