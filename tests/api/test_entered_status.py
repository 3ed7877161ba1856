"""`enteredStatusAt`, stored: set at create and by every move in the database, the fallback and the
demo seed; backfilled by the migration; filled from the history of files an earlier version wrote;
and the one input of the stuck rule in SQL, in the fallback index and in every staff view.

In process over real databases (SQLite and PostgreSQL); "the database is down" is a PostgreSQL URL
nobody answers, sharing the fallback directory with the service whose database answers.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from server.catalog import CatalogService
from server.demo import seed_demo
from server.domain.filter import OrderFilter
from server.domain.principal import Principal
from server.domain.records import entered_from_history
from server.domain.schemas import AdvanceIn, CatalogIn, OrderIn
from server.domain.shape import utcnow
from server.domain.stuck import StuckRules, parse_stuck_after
from server.orders.service import OrderService
from server.storage.db import Database, normalize_url
from server.storage.files import FallbackStore
from server.storage.migrate import upgrade
from server.storage.models import orders_t
from server.storage.replay import Replayer
from server.storage.seam import OrderStorage
from tests.conftest import DATABASES, database_url
from tests.helpers import CATALOG, free_port, order_body

OLD_FILES = Path(__file__).parent / "data" / "fallback_v0006"
# The order in OLD_FILES, written by the version before `enteredStatusAt` (created, then confirmed).
OLD_ID = "b524229c-1b30-49bc-8955-5564f5f3ae10"
OLD_CONFIRMED_AT = "2026-12-01T11:30:00.123456+00:00"
ADMIN = Principal(id="admin-id", email="a@x.y", role="ADMIN", expires_at=utcnow())


@pytest.fixture(params=DATABASES)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path, request)


@pytest.fixture
def db(url: str) -> Iterator[Database]:
    upgrade(url)
    database = Database(url, pool_size=2)
    CatalogService(database).upsert(CatalogIn.model_validate(CATALOG))
    yield database
    database.dispose()


@pytest.fixture
def down() -> Iterator[Database]:
    database = Database(f"postgresql://root@127.0.0.1:{free_port()}/nothing", pool_size=1)
    yield database
    database.dispose()


@pytest.fixture
def store(tmp_path: Path) -> FallbackStore:
    return FallbackStore(tmp_path / "fallback")


def _create(service: OrderService) -> str:
    body = OrderIn.model_validate(order_body())
    return str(service.create(body, owner=None, idempotency_key=None, request_hash="h")[1]["orderId"])


def _move(service: OrderService, order_id: str, status: str, **more: Any) -> dict[str, Any]:
    return service.advance(ADMIN, AdvanceIn.model_validate({"orderId": order_id, "status": status, **more}))


def _column(db: Database, order_id: str) -> datetime:
    with db.read_conn() as conn:
        value = conn.scalar(sa.select(orders_t.c.entered_status_at).where(orders_t.c.id == order_id))
    assert isinstance(value, datetime)
    return value


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _assert_entered_by_its_last_move(order: dict[str, Any]) -> None:
    assert order["enteredStatusAt"] == order["updatedAt"] == order["history"][-1]["at"]
    assert _at(order["enteredStatusAt"]) > _at(order["createdAt"])


def test_create_and_every_move_set_it_in_the_database(db: Database, store: FallbackStore) -> None:
    service = OrderService(OrderStorage(db, store))
    order_id = _create(service)
    created = service.get(ADMIN, order_id)
    assert created["enteredStatusAt"] == created["createdAt"]
    for status, more in [("CONFIRMED", {}), ("REPORTED", {"force": True, "note": "pago rebotado"})]:
        moved = _move(service, order_id, status, **more)
        _assert_entered_by_its_last_move(moved)
        assert service.get(ADMIN, order_id)["enteredStatusAt"] == moved["enteredStatusAt"]
        assert _column(db, order_id) == _at(moved["enteredStatusAt"])
    # The list's JSON (built by the database) carries the same value.
    listed = json.loads(b"".join(service.stream_all(ADMIN, OrderFilter())))["orders"]
    assert [o["enteredStatusAt"] for o in listed if o["id"] == order_id] == [moved["enteredStatusAt"]]


def test_create_and_moves_set_it_in_the_fallback_and_the_replay_keeps_it(
    db: Database, down: Database, store: FallbackStore
) -> None:
    outage = OrderService(OrderStorage(down, store))
    order_id = _create(outage)
    created = outage.get(ADMIN, order_id)
    assert created["storage"] == "fallback" and created["enteredStatusAt"] == created["createdAt"]
    moved = _move(outage, order_id, "CONFIRMED")
    _assert_entered_by_its_last_move(moved)
    on_disk = json.loads((store.directory / f"{order_id}.json").read_text())
    assert on_disk["enteredStatusAt"] == moved["enteredStatusAt"]

    assert Replayer(OrderStorage(db, store)).run().imported == [order_id]
    assert _column(db, order_id) == _at(moved["enteredStatusAt"])
    assert (
        OrderService(OrderStorage(db, store)).get(ADMIN, order_id)["enteredStatusAt"]
        == moved["enteredStatusAt"]
    )


def test_the_demo_seed_sets_it_by_the_same_moves(db: Database, store: FallbackStore) -> None:
    seed_demo(db, password="demo-password-1", orders=12, password_hash=lambda p: "x")
    orders = json.loads(b"".join(OrderService(OrderStorage(db, store)).stream_all(ADMIN, OrderFilter())))
    assert len(orders["orders"]) == 12
    for order in orders["orders"]:
        # Seeded orders moved by the lifecycle's plans: their clock started at their newest move.
        assert order["enteredStatusAt"] == entered_from_history(order), order["orderNumber"]
    assert any(o["enteredStatusAt"] != o["createdAt"] for o in orders["orders"])


def test_a_file_of_the_previous_version_is_served_stuck_filtered_and_replayed(
    db: Database, down: Database, store: FallbackStore
) -> None:
    store.directory.mkdir(parents=True)
    shutil.copy(OLD_FILES / f"{OLD_ID}.json", store.directory)
    rules = parse_stuck_after("CONFIRMED=1d")
    outage = OrderService(OrderStorage(down, store), stuck=rules)
    served = outage.get(ADMIN, "KRFT-654321")
    # Its clock starts at the move into CONFIRMED (from its history), not at its creation.
    assert served["enteredStatusAt"] == OLD_CONFIRMED_AT
    stuck_now = datetime.now(UTC) - _at(OLD_CONFIRMED_AT) >= timedelta(days=1)
    assert served["stuck"] is stuck_now
    listed = json.loads(outage.list_page(ADMIN, _stuck_filter(rules, stuck_now), limit=10, cursor=None))[
        "orders"
    ]
    assert [o["id"] for o in listed] == [OLD_ID]
    assert not (store.directory / "invalid").exists()

    assert Replayer(OrderStorage(db, store)).run().imported == [OLD_ID]
    assert _column(db, OLD_ID) == _at(OLD_CONFIRMED_AT)
    assert OrderService(OrderStorage(db, store)).get(ADMIN, OLD_ID)["enteredStatusAt"] == OLD_CONFIRMED_AT


def test_a_file_of_the_previous_version_can_be_moved_and_is_then_written_whole(
    down: Database, store: FallbackStore
) -> None:
    store.directory.mkdir(parents=True)
    shutil.copy(OLD_FILES / f"{OLD_ID}.json", store.directory)
    moved = _move(OrderService(OrderStorage(down, store)), OLD_ID, "IN_PRODUCTION")
    _assert_entered_by_its_last_move(moved)
    on_disk = json.loads((store.directory / f"{OLD_ID}.json").read_text())
    assert on_disk["enteredStatusAt"] == moved["enteredStatusAt"]


def _stuck_filter(rules: StuckRules, stuck: bool) -> OrderFilter:
    return OrderFilter(stuck=stuck, stuck_cutoffs=tuple(rules.cutoffs(datetime.now(UTC)).items()))


def _stuck_ids(service: OrderService, rules: StuckRules) -> dict[str, set[str]]:
    """Which orders are stuck, by every path that decides it: the flag on the list (database JSON),
    the flag on one order, and the `stuck` filter of the list (SQL or the fallback index)."""
    everything = json.loads(b"".join(service.stream_all(ADMIN, OrderFilter())))["orders"]
    return {
        "flag": {o["id"] for o in everything if o["stuck"]},
        "get": {o["id"] for o in everything if service.get(ADMIN, o["id"])["stuck"]},
        "filter": {
            o["id"]
            for o in json.loads(b"".join(service.stream_all(ADMIN, _stuck_filter(rules, True))))["orders"]
        },
        "not": {
            o["id"]
            for o in json.loads(b"".join(service.stream_all(ADMIN, _stuck_filter(rules, False))))["orders"]
        },
    }


def test_the_stored_value_is_the_stuck_rules_one_input_in_the_database(
    db: Database, store: FallbackStore
) -> None:
    rules = parse_stuck_after("CONFIRMED=1d")
    service = OrderService(OrderStorage(db, store), stuck=rules)
    old_column, old_history = _create(service), _create(service)
    for order_id in (old_column, old_history):
        _move(service, order_id, "CONFIRMED")
    long_ago = utcnow() - timedelta(days=3)
    with db.order_write() as conn:
        # One order entered CONFIRMED three days ago by its column; the other only by its history.
        # Rows written around the server: their stored list JSON marked stale, lists build it again.
        conn.execute(
            sa.update(orders_t)
            .where(orders_t.c.id == old_column)
            .values(entered_status_at=long_ago, list_shape=None)
        )
        events = orders_t.metadata.tables["order_events"]
        conn.execute(sa.update(events).where(events.c.order_id == old_history).values(at=long_ago))
        conn.execute(
            sa.update(orders_t)
            .where(orders_t.c.id == old_history)
            .values(created_at=long_ago, list_shape=None)
        )
    found = _stuck_ids(service, rules)
    assert found == {"flag": {old_column}, "get": {old_column}, "filter": {old_column}, "not": {old_history}}


def test_the_stored_value_is_the_stuck_rules_one_input_in_the_fallback_index(
    down: Database, store: FallbackStore
) -> None:
    rules = parse_stuck_after("CONFIRMED=1d")
    outage = OrderService(OrderStorage(down, store), stuck=rules)
    old_field, old_history = _create(outage), _create(outage)
    long_ago = (utcnow() - timedelta(days=3)).isoformat(timespec="microseconds")
    for order_id in (old_field, old_history):
        _move(outage, order_id, "CONFIRMED")
    for order_id, change in [(old_field, "field"), (old_history, "history")]:
        path = store.directory / f"{order_id}.json"
        record = json.loads(path.read_text())
        if change == "field":
            record["enteredStatusAt"] = long_ago
        else:
            record["createdAt"] = record["updatedAt"] = long_ago
            for entry in record["history"]:
                entry["at"] = long_ago
        store.write(record)
    found = _stuck_ids(outage, rules)
    assert found == {"flag": {old_field}, "get": {old_field}, "filter": {old_field}, "not": {old_history}}


def test_the_migration_backfills_it_from_the_history(url: str) -> None:
    upgrade(url, "0006")
    engine = sa.create_engine(normalize_url(url))
    meta = sa.MetaData()
    meta.reflect(engine)
    orders, events = meta.tables["orders"], meta.tables["order_events"]
    t0 = datetime(2026, 11, 1, 8, 0, 0, 250000, tzinfo=UTC)
    template = {
        "status": "REPORTED",
        "user_id": None,
        "guest_id": "guest-x",
        "shipping_address": "Calle 1",
        "shipping_city": "Mérida",
        "shipping_state": "Mérida",
        "shipping_cost": 3,
        "subtotal": 12,
        "total": 15,
        "total_bs": 600,
        "exchange_rate": 40,
        "price_check": "OK",
        "created_at": t0,
        "updated_at": t0,
    }
    # (id, status, [(from, to, hours after t0)]) and when each entered its status.
    cases: list[tuple[str, str, list[tuple[str | None, str, int]], datetime]] = [
        ("00000000-0000-4000-8000-000000000001", "REPORTED", [(None, "REPORTED", 0)], t0),
        (
            "00000000-0000-4000-8000-000000000002",
            "IN_PRODUCTION",
            [(None, "REPORTED", 0), ("REPORTED", "CONFIRMED", 2), ("CONFIRMED", "IN_PRODUCTION", 5)],
            t0 + timedelta(hours=5),
        ),
        (
            # Renumbered at replay after its move: a from = to event does not restart the clock.
            "00000000-0000-4000-8000-000000000003",
            "CONFIRMED",
            [(None, "REPORTED", 0), ("REPORTED", "CONFIRMED", 3), ("CONFIRMED", "CONFIRMED", 9)],
            t0 + timedelta(hours=3),
        ),
        (
            # Forced back into a status it had been in before: the newest entry counts.
            "00000000-0000-4000-8000-000000000004",
            "CONFIRMED",
            [
                (None, "REPORTED", 0),
                ("REPORTED", "CONFIRMED", 1),
                ("CONFIRMED", "IN_PRODUCTION", 2),
                ("IN_PRODUCTION", "CONFIRMED", 4),
            ],
            t0 + timedelta(hours=4),
        ),
        ("00000000-0000-4000-8000-000000000005", "READY", [], t0),  # no history: its creation
    ]
    with engine.begin() as conn:
        for n, (order_id, status, moves, _) in enumerate(cases):
            conn.execute(
                orders.insert().values(
                    {**template, "id": order_id, "status": status, "order_number": f"KRFT-00000{n}"}
                )
            )
            for seq, (frm, to, hours) in enumerate(moves, start=1):
                conn.execute(
                    events.insert().values(
                        id=f"e{n}-{seq}",
                        order_id=order_id,
                        seq=seq,
                        from_status=frm,
                        to_status=to,
                        at=t0 + timedelta(hours=hours),
                        forced=False,
                    )
                )
    engine.dispose()
    upgrade(url)
    db = Database(url, pool_size=1)
    try:
        for order_id, _, _, expected in cases:
            assert _column(db, order_id) == expected, order_id
    finally:
        db.dispose()
