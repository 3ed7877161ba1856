"""Orders that share a payment reference, written at the same moment, all reach the database.

Each such write stores the other orders' list JSON again (their `sameReference`); on PostgreSQL
several rows updated in one statement are locked in the plan's order, so concurrent writes
deadlocked — and an aborted write was taken into the fallback as if the database were down.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from server.catalog import CatalogService
from server.domain.schemas import CatalogIn, OrderIn
from server.orders.service import OrderService
from server.storage.db import Database
from server.storage.files import FallbackStore
from server.storage.migrate import upgrade
from server.storage.seam import OrderStorage
from tests.conftest import DATABASES, database_url
from tests.helpers import CATALOG, order_body

AT_ONCE = 16
ROUNDS = 6


@pytest.mark.parametrize("kind", DATABASES)
def test_orders_sharing_a_reference_written_at_once_all_reach_the_database(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = database_url(kind, tmp_path, request)
    upgrade(url)
    db = Database(url, pool_size=AT_ONCE)
    try:
        CatalogService(db).upsert(CatalogIn.model_validate(CATALOG))
        files = FallbackStore(tmp_path / "fallback")
        service = OrderService(OrderStorage(db, files))
        made: list[str] = []
        errors: list[str] = []
        start = threading.Barrier(AT_ONCE)

        def place(i: int) -> None:
            body = OrderIn.model_validate(order_body(payment={"reference": "00123456789"}))
            start.wait()
            try:
                made.append(
                    service.create(body, owner=None, idempotency_key=None, request_hash=f"h{i}")[1]["orderId"]
                )
            except Exception as error:  # the test reports any failure, whatever it is
                errors.append(repr(error))

        for round_ in range(ROUNDS):
            start.reset()
            threads = [threading.Thread(target=place, args=(round_ * AT_ONCE + i,)) for i in range(AT_ONCE)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        assert errors == []
        assert len(made) == AT_ONCE * ROUNDS
        assert files.count() == 0  # none taken into the fallback: the database never was down
    finally:
        db.dispose()
