"""Search (`q`) folds case and accents, once, on the server: the cases of `tests/search_cases.py` on
SQLite, on PostgreSQL, in the fallback index during a real outage (this module's own PostgreSQL,
stopped) and again after the replay, and through `krafta orders list --search` run as a command.

Orders are posted over HTTP. The one order whose number a case names is written by the product's
own code (`insert_rows` with the database up, `FallbackStore.insert` while it is down), since the
server hands numbers out itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from server.domain.filter import OrderFilter
from server.domain.lifecycle import MovePlan, Status
from server.domain.principal import Principal
from server.domain.records import PriceInfo, build_record
from server.domain.schemas import OrderIn
from server.domain.search import fold, search_text
from server.domain.shape import utcnow
from server.storage.database import DatabaseOrders, insert_rows
from server.storage.db import Database, normalize_url
from server.storage.files import FallbackStore
from server.storage.hooks import OrderHooks
from server.storage.migrate import upgrade
from server.storage.models import orders_t
from server.storage.numbers import claim_number
from server.storage.queries import where
from tests.helpers import order_body
from tests.pgcluster import OwnPostgres
from tests.search_cases import CASES, NEUTRAL, SearchCase
from tests.servers import LiveServer, krafta_exe

ADMIN = Principal(id="admin-id", email="a@x.y", role="ADMIN", expires_at=utcnow())
Orders = dict[tuple[str, str], str]  # (field, value) → order id


def _body(field: str, value: str) -> dict[str, Any]:
    fields = {**NEUTRAL, field: value}
    return order_body(
        payment={"payerName": fields["payerName"]},
        shippingCity=fields["shippingCity"],
        shippingState=fields["shippingState"],
    )


def _numbered(value: str) -> dict[str, Any]:
    """An order record numbered `value`, as the server would build it."""
    body = OrderIn.model_validate(_body("orderNumber", value))
    return build_record(body, owner=None, price=PriceInfo("UNKNOWN_VARIANT"), number=value)


def _post_cases(server: LiveServer) -> Orders:
    orders: Orders = {}
    with server.client() as http:
        for case in CASES:
            key = (case.field, case.value)
            if case.field != "orderNumber" and key not in orders:
                response = http.post("/api/orders", json=_body(case.field, case.value))
                assert response.status_code == 201, response.text
                orders[key] = response.json()["orderId"]
    return orders


def _found(server: LiveServer, query: str, **params: Any) -> tuple[set[str], dict[str, Any]]:
    with server.client(server.admin_token) as http:
        response = http.get("/api/orders", params={"q": query, **params})
    assert response.status_code == 200, response.text
    answer = response.json()
    return {o["id"] for o in answer["orders"]}, answer


def _check(server: LiveServer, orders: Orders, *, database: str) -> None:
    wrong = []
    for case in CASES:
        order_id = orders[(case.field, case.value)]
        for params in ({}, {"limit": 500}):
            found, answer = _found(server, case.query, **params)
            assert answer.get("database", "up") == database
            if (order_id in found) is not case.matches:
                wrong.append((case, params))
    assert wrong == []


def test_the_search_cases_on_the_database(server: LiveServer) -> None:
    orders = _post_cases(server)
    db = Database(server.db_url, pool_size=1)
    try:
        numbered = {case.value for case in CASES if case.field == "orderNumber"}
        with db.order_write() as conn:
            for value in numbered:
                record = _numbered(value)
                assert claim_number(conn, value)
                insert_rows(conn, record)
                orders[("orderNumber", value)] = record["id"]
    finally:
        db.dispose()
    _check(server, orders, database="up")


def test_the_cli_search_folds_accents(server: LiveServer, tmp_path: Path) -> None:
    with server.client() as http:
        merida = [
            http.post("/api/orders", json=_body("shippingCity", c)).json() for c in ("Mérida", "MÉRIDA")
        ]
        other = http.post("/api/orders", json=_body("shippingCity", "Maracaibo")).json()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRAFTA_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / ".config"))
    env.update(KRAFTA_URL=server.url, KRAFTA_TOKEN=server.admin_token)

    def krafta(*args: str) -> str:
        run = subprocess.run([krafta_exe(), *args], env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        return run.stdout

    listed = {
        o["orderNumber"]
        for o in json.loads(krafta("orders", "list", "--search", "merida", "--all", "--json"))
    }
    assert {o["orderNumber"] for o in merida} <= listed and other["orderNumber"] not in listed
    piped = {
        line.split("\t")[0] for line in krafta("orders", "list", "--search", "merida", "--all").splitlines()
    }
    assert piped == listed


def test_the_search_cases_in_the_fallback_index_and_after_the_replay(
    live: LiveServer, pg: OwnPostgres
) -> None:
    pg.stop()
    try:
        orders = _post_cases(live)
        files = FallbackStore(live.fallback_dir)
        for value in {case.value for case in CASES if case.field == "orderNumber"}:
            record = _numbered(value)
            files.insert(
                record, {"idempotencyKey": None, "requestHash": "", "response": {}, "numberReserved": False}
            )
            orders[("orderNumber", value)] = record["id"]
        _check(live, orders, database="down")
    finally:
        pg.start()
    deadline = time.monotonic() + 60
    while any(live.fallback_dir.glob("*.json")):
        assert time.monotonic() < deadline, "the server did not replay its fallback orders"
        time.sleep(0.2)
    _check(live, orders, database="up")


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path, pg_url_factory: Callable[[], str]) -> str:
    return f"sqlite:///{tmp_path / 'k.db'}" if request.param == "sqlite" else pg_url_factory()


@pytest.fixture
def db(url: str) -> Iterator[Database]:
    upgrade(url)
    database = Database(url, pool_size=2)
    yield database
    database.dispose()


def _stored_text(db: Database, order_id: str) -> str:
    with db.read_conn() as conn:
        return str(conn.scalar(sa.select(orders_t.c.search_text).where(orders_t.c.id == order_id)))


def test_a_move_that_changes_a_searched_field_rewrites_the_search_column(
    db: Database, tmp_path: Path
) -> None:
    record = _numbered("KRFT-777001")
    with db.order_write() as conn:
        insert_rows(conn, record)
    assert "valencia" in _stored_text(db, record["id"])
    plan = MovePlan(Status.REPORTED, Status.CONFIRMED, None, False, True, extra={"shippingCity": "Mérida"})
    DatabaseOrders(db, OrderHooks()).apply_move(record["id"], lambda _: plan, ADMIN, utcnow())
    text = _stored_text(db, record["id"])
    assert "merida" in text and "valencia" not in text
    found = DatabaseOrders(db, OrderHooks()).page(OrderFilter(q="MÉRIDA"), None, 10)
    assert [o["id"] for o in found] == [record["id"]]
    # The fallback index takes the same field from the moved file.
    files = FallbackStore(tmp_path / "fallback")
    other = _numbered("KRFT-777002")
    files.insert(other, {})
    files.apply_move(other["id"], lambda _: plan, ADMIN, utcnow())
    assert files.matching(OrderFilter(q="merida")) == [other["id"]]


def test_the_migration_fills_the_search_column(url: str) -> None:
    upgrade(url, "0007")
    engine = sa.create_engine(normalize_url(url))
    meta = sa.MetaData()
    meta.reflect(engine)
    record = _numbered("KRFT-123456")
    record["shippingCity"], record["payments"][0]["payerName"] = "Mérida", "José Núñez"
    second = {**record["payments"][0], "id": "p2", "payerName": "María PÉREZ"}
    with engine.begin() as conn:
        row = {
            "id": record["id"],
            "order_number": record["orderNumber"],
            "status": "REPORTED",
            "guest_id": "guest-x",
            "shipping_address": "Calle 1",
            "shipping_city": record["shippingCity"],
            "shipping_state": record["shippingState"],
            "shipping_cost": 3,
            "subtotal": 12,
            "total": 15,
            "total_bs": 600,
            "exchange_rate": 40,
            "price_check": "OK",
            "created_at": utcnow(),
            "updated_at": utcnow(),
            "entered_status_at": utcnow(),
        }
        conn.execute(meta.tables["orders"].insert().values(row))
        for n, payment in enumerate([record["payments"][0], second]):
            conn.execute(
                meta.tables["payment_submissions"]
                .insert()
                .values(
                    id=f"p{n}",
                    order_id=record["id"],
                    method="PAGO_MOVIL",
                    amount_reported=600,
                    amount_expected=600,
                    reference="1",
                    origin_bank="Banesco",
                    payer_name=payment["payerName"],
                    status="REPORTED",
                    reported_at=utcnow(),
                )
            )
    engine.dispose()
    upgrade(url)
    db = Database(url, pool_size=1)
    try:
        stored = _stored_text(db, record["id"])
        assert stored == search_text({**record, "payments": [record["payments"][0], second]})
        assert all(fold(v) in stored for v in ("Mérida", "José Núñez", "María PÉREZ", "KRFT-123456"))
    finally:
        db.dispose()


def test_postgresql_indexes_the_search(pg_url_factory: Callable[[], str]) -> None:
    """pg_trgm's GIN index serves `LIKE '%…%'` on the folded column (the planner is told to avoid
    a sequential scan, since on a handful of rows it would rightly prefer one)."""
    url = pg_url_factory()
    upgrade(url)
    engine = sa.create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            # The list's own WHERE clause, as the server sends it.
            query = sa.select(orders_t.c.id).where(*where(OrderFilter(q="Mérida"), None))
            compiled = query.compile(dialect=conn.dialect)
            plan = conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).scalars()
            assert "ix_orders_search_trgm" in "\n".join(plan)
    finally:
        engine.dispose()


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.query!r}-{c.value!r}")
def test_the_fold_itself(case: SearchCase) -> None:
    fields = {**NEUTRAL, "orderNumber": "KRFT-000000", case.field: case.value}
    text = search_text({**fields, "payments": [{"payerName": fields.pop("payerName")}]})
    assert (fold(case.query.strip()) in text) is case.matches
    index_says = OrderFilter(q=case.query.strip()).matches(
        status="REPORTED", updated_at="", user_id=None, text=text, key=(utcnow(), "x"), after=None
    )
    assert index_says is case.matches
