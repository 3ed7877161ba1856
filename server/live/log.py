"""The change log (table `live_events`): one row per committed order change, ids in commit order.

Words: an order *change* (`domain/changes.py`) is logged here as a *logged change*; the stream
tells subscribers of it with an *event* (SSE). History entries are something else: an order's own
`history`.

The row is written inside the change's own transaction (`append`), so a logged change exists exactly
when its change committed. On PostgreSQL the same transaction takes a transaction-scoped advisory lock
before the id is drawn and sends `NOTIFY` with the id: the lock makes ids increase in the order the
transactions commit (a sequence alone hands them out in start order, and a subscriber resuming
after id 7 would miss an id 6 committed later), and the notification reaches every server's
listener only once the change is visible. On SQLite writers are serialised already.

The cost of the lock: the last statement of every order write waits for the previous writer's
commit. Measured in `bench/` (events.md) at 100 moves/s over two servers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text
from sqlalchemy.orm import Session

from server.domain.records import upgrade
from server.domain.shape import utcnow
from server.storage.db import Database
from server.storage.models import change_log_t

__all__ = [
    "CHANNEL",
    "CREATED",
    "KINDS",
    "STATUS_CHANGED",
    "UPDATED",
    "LoggedChange",
    "append",
    "exists",
    "fetch_after",
    "latest_id",
    "prune",
]

CHANNEL = "krafta_live"
CREATED = "order.created"
STATUS_CHANGED = "order.status_changed"
UPDATED = "order.updated"
KINDS = (CREATED, STATUS_CHANGED, UPDATED)
# pg_advisory_xact_lock key ("KRFT" in ASCII): serialises the handing out of ids.
_ID_LOCK = 0x4B524654


@dataclass
class LoggedChange:
    """A change as subscribers get it: `cursor` is its event's SSE id; `seq` orders it among the
    changes the database logged."""

    cursor: str
    seq: int
    kind: str
    order: dict[str, Any]
    owner_id: str | None
    from_status: str | None
    to_status: str
    origin: str = ""
    # Encoded SSE events per viewer role, filled lazily by the stream (what is shown depends on the role).
    frames: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)


def _connection(conn: Connection | Session) -> Connection:
    return conn.connection() if isinstance(conn, Session) else conn


def append(
    conn: Connection | Session, *, kind: str, order: dict[str, Any], from_status: str | None, origin: str
) -> int:
    """Log a change inside its own transaction; call it last, just before the commit. Returns the id."""
    if kind not in KINDS:
        raise ValueError(f"unknown change kind {kind!r}")
    c = _connection(conn)
    order = {k: v for k, v in order.items() if k != "nextStatuses"}
    values = {
        "kind": kind,
        "order_id": order["id"],
        "owner_id": order.get("userId"),
        "from_status": from_status,
        "to_status": order["status"],
        "origin": origin,
        "at": utcnow(),
        "order_json": json.dumps(order, ensure_ascii=False, separators=(",", ":")),
    }
    if c.dialect.name == "postgresql":
        # Lock, id and NOTIFY in one round trip: the lock is held from here to the commit, and every
        # round trip inside it is time every other writer waits (see bench/results/events.md).
        params = {**values, "key": _ID_LOCK, "channel": CHANNEL}
        return int(c.execute(_PG_APPEND, params).scalar_one())
    return int(c.execute(insert(change_log_t).values(**values).returning(change_log_t.c.id)).scalar_one())


# The subquery (kept apart by OFFSET 0) takes the lock before the outer row draws its id, so ids
# are drawn in lock order; pg_notify in RETURNING is delivered at commit, never on rollback.
_PG_APPEND = text(
    """
    INSERT INTO live_events (id, kind, order_id, owner_id, from_status, to_status, origin, at, order_json)
    SELECT nextval(pg_get_serial_sequence('live_events', 'id')), :kind, :order_id, :owner_id,
           :from_status, :to_status, :origin, :at, :order_json
    FROM (SELECT pg_advisory_xact_lock(:key) OFFSET 0) AS serialised
    RETURNING id, pg_notify(:channel, id::text)
    """
).bindparams(bindparam("at", type_=change_log_t.c.at.type))


def _logged(row: Any) -> LoggedChange:
    return LoggedChange(
        cursor=str(row.id),
        seq=int(row.id),
        kind=row.kind,
        # Rows logged by an earlier version lack `enteredStatusAt`: completed from their history.
        order=upgrade(json.loads(row.order_json)),
        owner_id=row.owner_id,
        from_status=row.from_status,
        to_status=row.to_status,
        origin=row.origin,
    )


def fetch_after(db: Database, after: int, *, limit: int = 500) -> list[LoggedChange]:
    """Logged changes with an id above `after`, oldest first."""
    query = select(change_log_t).where(change_log_t.c.id > after).order_by(change_log_t.c.id).limit(limit)
    with db.session() as session:
        return [_logged(row) for row in session.execute(query)]


def latest_id(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.coalesce(func.max(change_log_t.c.id), 0))) or 0)


def exists(db: Database, change_id: int) -> bool:
    with db.session() as session:
        return session.scalar(select(change_log_t.c.id).where(change_log_t.c.id == change_id)) is not None


def prune(db: Database, *, keep: timedelta) -> int:
    """Delete logged changes older than `keep`. Returns how many.

    By id, not by time: everything up to the newest old-enough change goes, so a change that is still
    in the table is always followed by all later ones — which is what lets `exists(cursor)` decide
    whether a subscriber can resume exactly after it.
    """
    with db.write() as session:
        boundary = session.scalar(
            select(func.max(change_log_t.c.id)).where(change_log_t.c.at < utcnow() - keep)
        )
        if boundary is None:
            return 0
        result: Any = session.execute(delete(change_log_t).where(change_log_t.c.id <= boundary))
        return int(result.rowcount or 0)
