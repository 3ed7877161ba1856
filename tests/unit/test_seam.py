"""One storage seam: `server.storage.seam` is the one place that decides "the database is down".

Every module that reacts to an outage — by falling back (orders, sessions), answering 503, or
waiting (the replay, the live feed) — asks the seam (`attempt`, `unavailable`), so what counts as
"down" is written once. The driver-level test (`db.is_unavailable`) is the seam's own input.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from server.accounts.sessions import Sessions
from server.domain.changes import OrderChange
from server.domain.edits import OrderEdit
from server.domain.filter import OrderFilter
from server.domain.lifecycle import MoveRefused
from server.domain.principal import Principal
from server.domain.records import history_entry
from server.domain.schemas import OrderIn
from server.domain.shape import new_id, utcnow
from server.orders.service import OrderService
from server.services import Services
from server.settings import Settings
from server.storage.db import Database
from server.storage.files import FallbackStore
from server.storage.hooks import OrderHooks
from server.storage.migrate import upgrade
from server.storage.models import orders_t
from server.storage.replay import Replayer
from server.storage.seam import OrderStorage, attempt, unavailable
from tests.helpers import free_port, order_body

SERVER = Path(__file__).resolve().parents[2] / "server"
# Where "down" is decided: the driver-level test (db.py, which also reports failed writes for health)
# and the seam. Nowhere else may a module name it or catch a driver error itself.
DECIDERS = {SERVER / "storage" / "db.py", SERVER / "storage" / "seam.py"}
DRIVER_ERRORS = {"is_unavailable", "OperationalError", "InterfaceError", "DBAPIError"}


def test_no_module_but_the_seam_decides_that_the_database_is_down() -> None:
    found = []
    for path in sorted(SERVER.rglob("*.py")):
        if path in DECIDERS or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            name = (
                node.id
                if isinstance(node, ast.Name)
                else node.attr
                if isinstance(node, ast.Attribute)
                else ""
            )
            if name in DRIVER_ERRORS:
                found.append(f"{path.relative_to(SERVER.parent)}:{node.lineno} {name}")
    assert found == []


@pytest.fixture
def dead() -> Iterator[Database]:
    database = Database(f"postgresql://root@127.0.0.1:{free_port()}/nothing", pool_size=1)
    yield database
    database.dispose()


def test_a_database_nobody_listens_for_is_down_and_other_errors_are_not(dead: Database) -> None:
    answered, result = attempt(lambda: dead.engine.connect().close(), instead=None)
    assert (answered, result) == (False, None)
    with pytest.raises(IntegrityError):
        attempt(lambda: _raise(IntegrityError("INSERT", None, Exception("UNIQUE"))))
    assert not unavailable(ValueError("not a database error"))


def test_the_live_feeds_own_psycopg_connection_counts_as_down_too() -> None:
    # The feed LISTENs on a plain psycopg connection: its errors are not SQLAlchemy's.
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(f"postgresql://root@127.0.0.1:{free_port()}/nothing", connect_timeout=2)
    assert unavailable(refused.value)


def test_sessions_ask_the_seam_and_judge_a_token_from_memory_while_the_database_is_down(
    dead: Database,
) -> None:
    token = Principal(
        id="u1", email="a@b.cc", role="TALLER", expires_at=utcnow() + timedelta(hours=1), token_id="j1"
    )
    sessions = Sessions(dead)
    # Never seen: the signed role stands, so staff keep working against the fallback.
    assert sessions.resolve(token) == token
    sessions.revoke(token)  # kept in memory until the database answers
    assert sessions.resolve(token) is None


def _raise(error: Exception) -> None:
    raise error


# ---- every order operation goes through the one seam ---------------------------------------------------


class _Recorder(OrderHooks):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, bool]] = []

    def in_transaction(self, conn: Any, change: OrderChange) -> None:
        self.seen.append(("in_transaction", change.kind, change.replayed))

    def after_commit(self, change: OrderChange) -> None:
        self.seen.append(("after_commit", change.kind, change.replayed))

    def after_fallback(self, change: OrderChange) -> None:
        self.seen.append(("after_fallback", change.kind, change.replayed))


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    upgrade(url)
    database = Database(url, pool_size=2)
    yield database
    database.dispose()


def _create(service: OrderService) -> str:
    body = OrderIn.model_validate(order_body())
    return str(service.create(body, owner=None, idempotency_key=None, request_hash="h")[1]["orderId"])


def test_the_service_and_the_replay_share_one_seam(tmp_path: Path) -> None:
    services = Services.build(Settings(data_dir=tmp_path / "data"))
    try:
        assert services.replayer.storage is services.orders.storage
        assert services.orders.storage.files is services.store
    finally:
        services.db.dispose()


def test_a_replayed_order_is_inserted_by_the_database_store_with_its_hooks(
    sqlite_db: Database, dead: Database, tmp_path: Path
) -> None:
    hooks = _Recorder()
    store = FallbackStore(tmp_path / "fallback", hooks)
    taken = _create(OrderService(OrderStorage(dead, store)))
    report = Replayer(OrderStorage(sqlite_db, store)).run()
    assert report.imported == [taken]
    # The store's own insert: the change logged in the transaction, and announced after the commit.
    assert hooks.seen == [
        ("after_fallback", "order.created", False),
        ("in_transaction", "order.created", True),
        ("after_commit", "order.created", True),
    ]


def test_a_list_takes_each_stores_share_from_the_seam(
    sqlite_db: Database, dead: Database, tmp_path: Path
) -> None:
    store = FallbackStore(tmp_path / "fallback")
    in_database = _create(OrderService(OrderStorage(sqlite_db, store)))
    pending = _create(OrderService(OrderStorage(dead, store)))

    down = OrderStorage(dead, store).listing(
        OrderFilter(), None, None, lambda database: database.page(OrderFilter(), None, 10)
    )
    assert (down.answered, down.database, [o["id"] for o in down.files]) == (False, [], [pending])

    # The replay commits the pending order but has not archived its file yet: the seam hands over
    # both copies (the files are read first, so an order is never in neither share), and the list
    # shows it once (tests/api/test_order_core.py::test_an_order_the_replay_commits_while_a_list_…).
    up = OrderStorage(sqlite_db, store)
    Replayer(up).run()
    (store.directory / "imported" / f"{pending}.json").rename(store.directory / f"{pending}.json")
    share = up.listing(OrderFilter(), None, None, lambda database: database.page(OrderFilter(), None, 10))
    assert share.answered and [o["id"] for o in share.files] == [pending]
    assert sorted(o["id"] for o in share.database) == sorted([in_database, pending])


def _an_edit(record: Mapping[str, Any]) -> OrderEdit:
    """A bit of everything an edit may do: order fields, two entries, a payment set, one added."""
    first = record["payments"][0]
    entries = tuple(
        history_entry(from_status="REPORTED", to_status="REPORTED", actor=None, note=n) for n in ("a", "b")
    )
    # A reference of its own: one both orders carried would name the other order (`sameReference`).
    added = {**first, "id": new_id(), "reference": new_id(), "status": "REPORTED"}
    return OrderEdit(
        "order.status_changed",
        fields={"status": "PENDING", "shippingCity": "Mérida", "delivery": None},
        entries=entries,
        payments={first["id"]: {"status": "REJECTED", "reviewedBy": "x@y.zz"}},
        new_payments=(added,),
    )


def _without_ids(record: Mapping[str, Any]) -> dict[str, Any]:
    # The two orders differ in what each store makes (ids, number, storage, times): compare the rest.
    skip = {"id", "orderNumber", "storage", "createdAt", "updatedAt", "enteredStatusAt", "guestId", "at"}
    skip |= {"reportedAt", "reference"}  # each order and payment is paid with its own reference
    return {
        k: [{kk: vv for kk, vv in row.items() if kk not in skip} for row in v] if isinstance(v, list) else v
        for k, v in record.items()
        if k not in skip
    }


def test_both_stores_apply_one_edit_alike(sqlite_db: Database, dead: Database, tmp_path: Path) -> None:
    store = FallbackStore(tmp_path / "fallback")
    in_database = _create(OrderService(OrderStorage(sqlite_db, store)))
    in_files = _create(OrderService(OrderStorage(dead, store)))
    database = OrderStorage(sqlite_db, store).database

    by_database = database.change(in_database, _an_edit, None)
    by_files = store.change(in_files, _an_edit, None)
    assert by_database is not None and by_files is not None
    assert _without_ids(by_database) == _without_ids(by_files)
    assert [p["status"] for p in by_database["payments"]] == ["REJECTED", "REPORTED"]
    assert [e["note"] for e in by_database["history"]][-2:] == ["a", "b"]
    # What each store answered is what it stored.
    assert database.get(order_id=in_database) == by_database
    assert store.get(order_id=in_files) == by_files
    # Neither store holds the other's order.
    assert database.change(in_files, _an_edit, None) is None
    assert store.change(in_database, _an_edit, None) is None


def test_an_edit_decided_on_a_status_that_changed_meanwhile_is_a_conflict(
    sqlite_db: Database, tmp_path: Path
) -> None:
    storage = OrderStorage(sqlite_db, FallbackStore(tmp_path / "fallback"))
    order_id = _create(OrderService(storage))

    def behind(record: Mapping[str, Any]) -> OrderEdit:
        # Another writer moves the order between this edit's read and its write (the guard's case:
        # on PostgreSQL the row lock prevents it, on SQLite the writers' lock).
        with sqlite_db.engine.begin() as conn:
            conn.execute(update(orders_t).where(orders_t.c.id == order_id).values(status="CANCELLED"))
        return _an_edit(record)

    with pytest.raises(MoveRefused) as refused:
        storage.database.change(order_id, behind, None)
    assert refused.value.current == "CANCELLED"
    assert storage.database.get(order_id=order_id)["payments"][0]["status"] == "REPORTED"  # type: ignore[index]


def _paid_with(service: OrderService, reference: str) -> dict[str, Any]:
    body = OrderIn.model_validate(order_body(payment={"reference": reference}))
    return service.create(body, owner=None, idempotency_key=None, request_hash="h")[1]


def test_same_reference_spans_both_stores(sqlite_db: Database, dead: Database, tmp_path: Path) -> None:
    store = FallbackStore(tmp_path / "fallback")
    stored = _paid_with(OrderService(OrderStorage(sqlite_db, store)), "00777555333")
    pending = _paid_with(OrderService(OrderStorage(dead, store)), "777555333")
    also_pending = _paid_with(OrderService(OrderStorage(dead, store)), "0777-555-333")

    # The database down: the fallback's index alone.
    down = OrderStorage(dead, store)
    during = down.files.get(order_id=pending["orderId"])
    # The database back, the replay not yet run: each store asks the other.
    up = OrderStorage(sqlite_db, store)
    after = up.files.get(order_id=pending["orderId"])
    from_database = up.database.get(order_id=stored["orderId"])
    reused = up.listing(OrderFilter(same_reference=True), None, None, lambda database: [])

    assert during is not None and after is not None and from_database is not None
    assert [p["sameReference"] for p in during["payments"]] == [[also_pending["orderNumber"]]]
    assert [p["sameReference"] for p in after["payments"]] == [
        sorted([stored["orderNumber"], also_pending["orderNumber"]])
    ]
    assert [p["sameReference"] for p in from_database["payments"]] == [
        sorted([pending["orderNumber"], also_pending["orderNumber"]])
    ]
    assert sorted(o["id"] for o in reused.files) == sorted([pending["orderId"], also_pending["orderId"]])
