"""The replay against a staff member moving the same fallback order at the same moment.

In-process with the server's own classes over a real database: the interleaving is forced by
holding the fallback store's lock, as a PUT does while it rewrites the file.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from server.domain.records import PriceInfo, build_record
from server.domain.schemas import OrderIn
from server.storage.db import Database
from server.storage.files import FallbackStore
from server.storage.migrate import upgrade
from server.storage.models import Order
from server.storage.replay import Replayer
from server.storage.seam import OrderStorage
from tests.helpers import order_body


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path, pg_url_factory: Callable[[], str]) -> Database:
    url = f"sqlite:///{tmp_path / 'k.db'}" if request.param == "sqlite" else pg_url_factory()
    upgrade(url)
    database = Database(url, pool_size=2)
    request.addfinalizer(database.dispose)
    return database


def test_a_move_made_while_the_replay_runs_is_imported_with_the_order(db: Database, tmp_path: Path) -> None:
    store = FallbackStore(tmp_path / "orders")
    record = build_record(
        OrderIn.model_validate(order_body()), owner=None, price=PriceInfo("UNKNOWN_VARIANT")
    )
    record["storage"] = "fallback"
    store.write(record)

    replay = threading.Thread(target=Replayer(OrderStorage(db, store)).run)
    with store.lock():  # a PUT is rewriting the file right now
        replay.start()
        time.sleep(0.5)  # the replay has listed the file and waits for the lock
        path = tmp_path / "orders" / f"{record['id']}.json"
        moved = json.loads(path.read_text())
        moved["status"] = "CONFIRMED"
        store.write(moved)
    replay.join(timeout=30)

    with db.session() as session:
        status = session.scalar(select(Order.status).where(Order.id == record["id"]))
    assert status == "CONFIRMED"
    assert not path.exists() and (tmp_path / "orders" / "imported" / path.name).exists()
