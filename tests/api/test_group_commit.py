"""Group commit (`server/storage/group.py`) over real databases, with real threads: the writes queued
while a group is written are committed together in the next one; a write refused by its own checks
fails alone, one whose statement fails is rolled back alone and the rest written again; each caller
gets its own answer only once its group committed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError

from server.catalog import CatalogService
from server.domain.changes import OrderChange
from server.domain.errors import Invalid
from server.domain.schemas import CatalogIn, OrderIn
from server.orders.service import OrderService
from server.storage.db import Database
from server.storage.files import FallbackStore
from server.storage.hooks import OrderHooks
from server.storage.migrate import upgrade
from server.storage.models import OrderNumber, orders_t
from server.storage.seam import OrderStorage
from tests.conftest import DATABASES, database_url
from tests.helpers import CATALOG, order_body


class Groups(OrderHooks):
    """Records the order ids of each group's logged changes."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []

    def in_group(self, conn: Connection, changes: list[OrderChange]) -> None:
        self.groups.append([str((c.order or {})["id"]) for c in changes])


@pytest.fixture(params=DATABASES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = database_url(request.param, tmp_path, request)
    upgrade(url)
    database = Database(url, pool_size=4)
    CatalogService(database).upsert(CatalogIn.model_validate(CATALOG))
    yield database
    database.dispose()


def _count(db: Database) -> int:
    with db.read_conn() as conn:
        return int(conn.scalar(select(func.count()).select_from(orders_t)) or 0)


def test_queued_writes_commit_as_one_group_and_a_failing_one_fails_alone(
    db: Database, tmp_path: Path
) -> None:
    hooks = Groups()
    storage = OrderStorage(db, FallbackStore(tmp_path / "fallback", hooks))
    # The server groups writes on SQLite only (database.DatabaseOrders: measured); the writer holds
    # its promises on PostgreSQL too.
    storage.database.grouped = True
    service = OrderService(storage)
    writer = storage.database.writer
    held, release = threading.Event(), threading.Event()

    def hold(conn: Connection) -> tuple[None, None]:
        held.set()
        assert release.wait(30)
        return None, None

    def taken_number(conn: Connection) -> tuple[None, None]:
        conn.execute(insert(OrderNumber.__table__), {"number": "KRFT-000001", "lessee": "test"})
        conn.execute(insert(OrderNumber.__table__), {"number": "KRFT-000001", "lessee": "test"})
        return None, None

    outcome: dict[str, Any] = {}

    def create(name: str, **overrides: object) -> None:
        try:
            body = OrderIn.model_validate(order_body(**overrides))
            outcome[name] = service.create(body, owner=None, idempotency_key=None, request_hash=name)[1]
            # Answered only once committed: the order is there for anyone who reads now.
            with db.read_conn() as conn:
                outcome[name + ":seen"] = conn.scalar(
                    select(orders_t.c.id).where(orders_t.c.id == outcome[name]["orderId"])
                )
        except Exception as error:
            outcome[name] = error

    def raw(name: str, write: Any) -> None:
        try:
            outcome[name] = writer.run(write)
        except Exception as error:
            outcome[name] = error

    service.lease.refill()  # numbers in hand: no create needs the database before its write
    first = threading.Thread(target=raw, args=("hold", hold))
    first.start()
    assert held.wait(30)
    threads = [threading.Thread(target=create, args=(f"good{n}",)) for n in range(5)]
    threads.insert(2, threading.Thread(target=create, args=("refused",), kwargs={"designUploadId": "nope"}))
    threads.insert(4, threading.Thread(target=raw, args=("broken", taken_number)))
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(writer._queue) < len(threads) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(writer._queue) == len(threads)  # all queued behind the held group
    assert _count(db) == 0
    release.set()
    for thread in [first, *threads]:
        thread.join(30)

    good = [outcome[f"good{n}"] for n in range(5)]
    assert all(isinstance(o, dict) and o["status"] == "REPORTED" for o in good), outcome
    assert [outcome[f"good{n}:seen"] for n in range(5)] == [o["orderId"] for o in good]
    assert isinstance(outcome["refused"], Invalid) and "designUploadId" in outcome["refused"].message
    assert isinstance(outcome["broken"], IntegrityError)
    assert _count(db) == 5
    with db.read_conn() as conn:
        registry = OrderNumber.__table__
        assert conn.scalar(select(func.count()).where(registry.c.number == "KRFT-000001")) == 0
    # One group for the five: the refused one left out, the broken one rolled back and the rest
    # written again in a second transaction of the same group.
    assert len(hooks.groups) == 1 and sorted(hooks.groups[0]) == sorted(o["orderId"] for o in good)
