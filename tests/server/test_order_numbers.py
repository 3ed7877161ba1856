"""Order numbers are never handed out twice: not to a database order, not to one waiting in the fallback.

In-process with the server's own service over a real database; only the random source is steered,
so that a collision — rare by chance — happens on every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from server import records
from server.db import Database
from server.fallback import FallbackStore
from server.migrate import upgrade
from server.models import Order
from server.orders import OrderService
from server.records import PriceInfo, build_record
from server.schemas import OrderIn
from tests.helpers import order_body


@pytest.fixture(params=["sqlite", "postgres"])
def db(
    request: pytest.FixtureRequest, tmp_path: Path, pg_url_factory: Callable[[], str]
) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'k.db'}" if request.param == "sqlite" else pg_url_factory()
    upgrade(url)
    database = Database(url, pool_size=2)
    yield database
    database.dispose()


def _steer(monkeypatch: pytest.MonkeyPatch, numbers: list[int]) -> None:
    queue = iter(numbers)
    monkeypatch.setattr(records.secrets, "randbelow", lambda _n: next(queue))


def test_numbers_taken_in_the_database_or_held_by_the_fallback_are_skipped(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FallbackStore(tmp_path / "orders")
    service = OrderService(db, store)
    body = OrderIn.model_validate(order_body())

    _steer(monkeypatch, [111111])
    first = service.create(body, owner=None, idempotency_key=None, request_hash="a")[1]
    assert first["orderNumber"] == "KRFT-111111"

    # An order queued in the fallback during an outage holds KRFT-222222: its customer has that number.
    _steer(monkeypatch, [222222])
    queued = build_record(body, owner=None, price=PriceInfo("UNKNOWN_VARIANT"))
    store.write(queued)

    # The next draws collide with both before a free one comes up.
    _steer(monkeypatch, [111111, 222222, 333333])
    second = service.create(body, owner=None, idempotency_key=None, request_hash="b")[1]
    assert second["orderNumber"] == "KRFT-333333"
    with db.session() as session:
        numbers = sorted(session.scalars(select(Order.order_number)))
    assert numbers == ["KRFT-111111", "KRFT-333333"]
