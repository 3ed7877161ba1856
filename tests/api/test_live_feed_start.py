"""Issue 14: a server that starts while the database is down has a feed with no position in the change
log yet. Whatever this process logs before the feed first reads the log (its replay importing the
fallback's orders, an order written once the database answers) must reach its subscribers: the
feed's first read starts before the first change the process logged, not at the newest id.

In process over real databases: the change is logged before the feed's thread starts, which is the
order of events after an outage whenever the replay gets through before the feed reconnects.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server.domain.principal import Principal
from server.live.events import LiveEvents
from server.live.log import CREATED
from server.storage.db import Database
from server.storage.migrate import upgrade
from tests.conftest import DATABASES, database_url

ADMIN = Principal(id="admin", email="admin@test.krafta", role="ADMIN", expires_at=datetime.now(UTC))


@pytest.fixture(params=DATABASES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = database_url(request.param, tmp_path, request)
    upgrade(url)
    database = Database(url, pool_size=2)
    yield database
    database.dispose()


def _log_one(live: LiveEvents, db: Database, *, replayed: bool) -> str:
    order_id = str(uuid.uuid4())
    with db.order_write() as conn:
        order = {"id": order_id, "status": "REPORTED", "userId": None, "orderNumber": "KRFT-000001"}
        live.record(conn, kind=CREATED, order=order, from_status=None, replayed=replayed)
    return order_id


def test_what_the_process_logged_before_its_feed_first_read_reaches_subscribers(db: Database) -> None:
    earlier = LiveEvents(db)
    _log_one(earlier, db, replayed=False)  # another process's change, before this one started: not news

    async def scenario() -> list[str]:
        live = LiveEvents(db)
        sub = live.hub.subscribe(ADMIN)  # connected while the database was down
        # Logged by this process before its feed got through: a replayed import of another
        # process's fallback order, and an order written once the database answered.
        logged = [_log_one(live, db, replayed=True), _log_one(live, db, replayed=False)]
        live.start(asyncio.get_running_loop())
        try:
            got = []
            for _ in logged:
                item = await sub.next(timeout=10)
                assert item is not None, f"on main the feed started past these: got {got} of {logged}"
                got.append(item.order["id"])
            assert await sub.next(timeout=1) is None  # and nothing older, nothing twice
            assert got == logged
            return got
        finally:
            live.stop()

    assert len(asyncio.run(scenario())) == 2
