"""The order core in-process, over real databases: numbers, the fallback index, replay checks, keys.

"The database is down" is a real database that does not answer (a PostgreSQL URL on a port nobody
listens on), handed to a second service that shares the fallback directory and the number lease
with the one whose database answers — as one server instance before and during an outage.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from sqlalchemy import select

from server.accounts.users import UserService
from server.catalog import CatalogService
from server.domain.errors import IdempotencyConflict, Invalid
from server.domain.filter import OrderFilter
from server.domain.principal import Principal
from server.domain.schemas import CatalogIn, OrderIn
from server.domain.shape import utcnow
from server.orders.service import OrderService
from server.storage import numbers as order_numbers
from server.storage.db import Database
from server.storage.files import FallbackStore
from server.storage.migrate import upgrade
from server.storage.models import Order, OrderNumber
from server.storage.numbers import LeaseFile, NumberLease
from server.storage.replay import Replayer
from server.storage.seam import OrderStorage
from tests.conftest import DATABASES, database_url
from tests.helpers import CATALOG, PASSWORD, free_port, order_body


@pytest.fixture(params=DATABASES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = database_url(request.param, tmp_path, request)
    upgrade(url)
    database = Database(url, pool_size=2)
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


def _steer(monkeypatch: pytest.MonkeyPatch, numbers: list[int]) -> None:
    """The random source draws `numbers` first, then random ones again."""
    queue = iter(numbers)
    real = order_numbers.secrets.randbelow

    def draw(n: int) -> int:
        return next(queue, None) or real(n)

    monkeypatch.setattr(order_numbers.secrets, "randbelow", draw)


# The test catalog with attributes on its variants: an item keeps them as its `variantLabel`, which
# the fallback cannot know during an outage (no catalog there) and the replay fills in.
LABELLED = copy.deepcopy(CATALOG)
for _variant in LABELLED["products"][0]["variants"]:
    _variant["attributes"] = {"talla": _variant["sku"][-1], "color": "blanco"}


def _body(**overrides: object) -> OrderIn:
    return OrderIn.model_validate(order_body(**overrides))


def _numbers(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Order.order_number)))


def test_the_lease_skips_numbers_that_are_taken(db: Database, store: FallbackStore, monkeypatch) -> None:
    service = OrderService(OrderStorage(db, store), lease=NumberLease(db, block=4, low_water=1))
    _steer(monkeypatch, [111111])
    first = service.create(_body(), owner=None, idempotency_key=None, request_hash="a")[1]
    assert first["orderNumber"] == "KRFT-111111"

    # Another instance's lease draws the same numbers: the registry gives it other ones.
    other = NumberLease(db, block=4, low_water=1)
    _steer(monkeypatch, [111111, *range(222220, 222224), 333333, 444444, 555555, 666666])
    other.refill()
    held = {other.take() for _ in range(4)}
    assert "KRFT-111111" not in held
    assert len(held) == 4 and None not in held
    with db.session() as session:
        registry = set(session.scalars(select(OrderNumber.number)))
    assert held | {"KRFT-111111"} <= registry


def test_an_outage_order_keeps_its_number_and_no_two_orders_share_one(
    db: Database, down: Database, store: FallbackStore, monkeypatch
) -> None:
    lease = NumberLease(db, block=3, low_water=1)
    up = OrderService(OrderStorage(db, store), lease=lease)
    outage = OrderService(OrderStorage(down, store), lease=lease)  # the same instance, its database gone
    _steer(monkeypatch, [101010, 202020, 303030])
    lease.refill()
    in_db = up.create(_body(), owner=None, idempotency_key=None, request_hash="a")[1]
    queued = outage.create(_body(), owner=None, idempotency_key=None, request_hash="b")[1]
    assert json.loads((store.directory / f"{queued['orderId']}.json").read_text())["_krafta"][
        "numberReserved"
    ]

    # Meanwhile a second instance, whose random source draws the very same numbers, takes orders.
    elsewhere = FallbackStore(store.directory.parent / "other")
    second = OrderService(OrderStorage(db, elsewhere), lease=NumberLease(db, block=3))
    _steer(monkeypatch, [101010, 202020, 303030, 404040, 505050, 606060, 707070])
    others = [
        second.create(_body(), owner=None, idempotency_key=None, request_hash=f"c{i}")[1] for i in range(3)
    ]
    assert queued["orderNumber"] not in {o["orderNumber"] for o in others}

    report = Replayer(OrderStorage(db, store), lease=lease).run()
    assert report.imported == [queued["orderId"]] and report.renumbered == {}
    with db.session() as session:
        assert session.get(Order, queued["orderId"]).order_number == queued["orderNumber"]
    numbers = _numbers(db)
    assert len(numbers) == len(set(numbers)) == 5
    assert in_db["orderNumber"] in numbers


def test_a_dry_lease_number_that_collides_is_renumbered_and_recorded(
    db: Database, down: Database, store: FallbackStore, monkeypatch
) -> None:
    up = OrderService(OrderStorage(db, store), lease=NumberLease(db, block=2, low_water=0))
    _steer(monkeypatch, [424242])
    taken = up.create(_body(), owner=None, idempotency_key=None, request_hash="a")[1]
    assert taken["orderNumber"] == "KRFT-424242"
    dry = OrderService(
        OrderStorage(down, store), lease=NumberLease(down)
    )  # an instance that never had a lease
    _steer(monkeypatch, [424242] * 200)  # its failed attempt to fill a lease draws some too
    queued = dry.create(_body(), owner=None, idempotency_key=None, request_hash="b")[1]
    assert queued["orderNumber"] == "KRFT-424242"

    report = Replayer(OrderStorage(db, store)).run()
    assert report.imported == [queued["orderId"]]
    new = report.renumbered["KRFT-424242"]
    order = up.get(_admin(db), queued["orderId"])
    assert order["orderNumber"] == new != "KRFT-424242"
    assert "renumbered from KRFT-424242" in order["history"][-1]["note"]
    numbers = _numbers(db)
    assert len(numbers) == len(set(numbers)) == 2


def _admin(db: Database) -> Principal:
    return Principal(id="admin-id", email="a@x.y", role="ADMIN", expires_at=utcnow())


def test_an_unknown_design_upload_is_imported_with_a_note_and_the_price_checked(
    db: Database, down: Database, store: FallbackStore
) -> None:
    outage = OrderService(OrderStorage(down, store))
    body = _body(designUploadId="does-not-exist", subtotal=11.00, total=14.00, totalBs=560.00)
    queued = outage.create(body, owner=None, idempotency_key=None, request_hash="a")[1]
    up = OrderService(OrderStorage(db, store))
    with pytest.raises(Invalid):  # with the database up the same body is refused at once
        up.create(body, owner=None, idempotency_key=None, request_hash="b")

    assert outage.get(_admin(db), queued["orderId"])["items"][0]["variantLabel"] is None
    CatalogService(db).upsert(CatalogIn.model_validate(LABELLED))
    report = Replayer(OrderStorage(db, store)).run()
    assert report.imported == [queued["orderId"]] and report.noted == [queued["orderId"]]
    order = up.get(_admin(db), queued["orderId"])
    assert order["items"][0]["designUploadId"] is None
    assert "'does-not-exist' was not found" in order["history"][-1]["note"]
    # The price check was computed at import: 12.00 × 1 expected, 11.00 sent.
    assert order["priceCheck"] == "MISMATCH" and order["priceExpected"] == 12.0
    assert order["items"][0]["productName"] == "Franela blanca"
    assert order["items"][0]["variantLabel"] == "M · blanco"
    assert store.count() == 0


def _bad_files(directory: Path, good: dict) -> dict[str, object]:  # type: ignore[type-arg]
    import uuid

    def named(record: object) -> str:
        name = str(uuid.uuid4())
        if isinstance(record, dict):
            record = {**record, "id": name}
        (directory / f"{name}.json").write_text(json.dumps(record))
        return name

    bogus = {**good, "status": "BOGUS"}
    missing = {k: v for k, v in good.items() if k != "payments"}
    wrong = {**good, "total": "15.00"}
    bad_history = {**good, "history": [{**good["history"][0], "toStatus": "NOPE"}]}
    names = {
        "status": named(bogus),
        "missing": named(missing),
        "type": named(wrong),
        "history": named(bad_history),
        "list": named([1, 2]),
    }
    (directory / "not-json.json").write_text("{")
    target = directory.parent / "elsewhere.json"
    target.write_text(json.dumps({**good, "id": "x"}))
    link = str(uuid.uuid4())
    os.symlink(target, directory / f"{link}.json")
    names["symlink"] = link
    return names


def test_files_that_are_not_orders_are_set_aside_never_served(
    db: Database, down: Database, store: FallbackStore
) -> None:
    outage = OrderService(OrderStorage(down, store))
    good = outage.create(_body(), owner=None, idempotency_key=None, request_hash="a")[1]
    record = json.loads((store.directory / f"{good['orderId']}.json").read_text())
    names = _bad_files(store.directory, record)
    fresh = FallbackStore(store.directory)  # a server starting over this directory
    for service in (OrderService(OrderStorage(db, fresh)), OrderService(OrderStorage(down, fresh))):
        page = json.loads(service.list_page(_admin(db), _filter(), limit=50, cursor=None))
        assert [o["id"] for o in page["orders"]] == [good["orderId"]]
        streamed = json.loads(b"".join(service.stream_all(_admin(db), _filter())))
        assert [o["id"] for o in streamed["orders"]] == [good["orderId"]]
    invalid = {p.name for p in (store.directory / "invalid").iterdir()}
    assert {f"{n}.json" for n in names.values()} | {"not-json.json"} <= invalid
    assert Replayer(OrderStorage(db, fresh)).run().imported == [good["orderId"]]


def _filter() -> OrderFilter:
    return OrderFilter()


def test_a_post_with_the_database_up_reads_no_fallback_file_whatever_the_backlog(
    db: Database, down: Database, store: FallbackStore
) -> None:
    outage = OrderService(OrderStorage(down, store), lease=NumberLease(down))
    for i in range(500):
        outage.create(_body(shippingCity=f"C{i}"), owner=None, idempotency_key=f"k{i}", request_hash="h")
    restarted = FallbackStore(store.directory)
    up = OrderService(OrderStorage(db, restarted))
    assert restarted.count() == 500  # the index is built once, from the directory
    built = restarted.files_read
    assert built == 500
    for i in range(20):
        up.create(_body(), owner=None, idempotency_key=f"new-{i}", request_hash="h")
    assert restarted.files_read == built


def test_idempotency_keys_are_scoped_to_the_caller(db: Database, store: FallbackStore) -> None:
    users = UserService(db)
    alice = users.create(email="alice@x.y", password=PASSWORD, role="CLIENTE")
    bob = users.create(email="bob@x.y", password=PASSWORD, role="CLIENTE")
    as_alice = Principal(id=alice["id"], email="alice@x.y", role="CLIENTE", expires_at=utcnow())
    as_bob = Principal(id=bob["id"], email="bob@x.y", role="CLIENTE", expires_at=utcnow())
    service = OrderService(OrderStorage(db, store))
    made = {
        who: service.create(_body(), owner=p, idempotency_key="same-key", request_hash="h")[1]["orderId"]
        for who, p in (("alice", as_alice), ("bob", as_bob), ("anonymous", None))
    }
    assert len(set(made.values())) == 3
    again = service.create(_body(), owner=as_bob, idempotency_key="same-key", request_hash="h")[1]
    assert again["orderId"] == made["bob"]
    with pytest.raises(IdempotencyConflict):
        service.create(_body(), owner=as_alice, idempotency_key="same-key", request_hash="other")


def test_a_retry_during_an_outage_of_an_order_the_database_has_returns_it(
    db: Database, down: Database, store: FallbackStore
) -> None:
    lease = NumberLease(db)
    up = OrderService(OrderStorage(db, store), lease=lease)
    first = up.create(_body(), owner=None, idempotency_key="retry-me", request_hash="h")[1]
    outage = OrderService(OrderStorage(down, store), lease=lease)
    retry = outage.create(_body(), owner=None, idempotency_key="retry-me", request_hash="h")[1]
    # The first answer again, without the order token: it is answered once, never stored.
    assert retry == {k: v for k, v in first.items() if k != "orderToken"} and first["orderToken"]
    assert store.count() == 0  # no second order written to the fallback
    with pytest.raises(IdempotencyConflict):
        outage.create(_body(), owner=None, idempotency_key="retry-me", request_hash="other")


def test_a_full_disk_is_a_503_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    # RLIMIT_FSIZE makes every write past 1 KiB fail (EFBIG) as a full disk would (ENOSPC).
    script = textwrap.dedent(
        f"""
        import resource, sys
        from pathlib import Path
        from server.storage.db import Database
        from server.api.errors import status_of
        from server.domain.errors import Unavailable
        from server.storage.files import FallbackStore
        from server.orders.service import OrderService
        from server.storage.seam import OrderStorage
        from server.domain.schemas import OrderIn
        from tests.helpers import order_body

        down = Database("postgresql://root@127.0.0.1:{free_port()}/nothing", pool_size=1)
        store = FallbackStore(Path({str(tmp_path / "fb")!r}))
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
        try:
            OrderService(OrderStorage(down, store)).create(
                OrderIn.model_validate(order_body()), owner=None, idempotency_key=None, request_hash="h"
            )
        except Unavailable as error:
            print("503", status_of(error))
            sys.exit(0)
        sys.exit(1)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "503 503" in result.stdout
    assert [p.name for p in (tmp_path / "fb").iterdir() if p.name != ".lock"] == []


def test_fallback_files_are_private(down: Database, store: FallbackStore) -> None:
    made = OrderService(OrderStorage(down, store)).create(
        _body(), owner=None, idempotency_key=None, request_hash="h"
    )[1]
    assert store.directory.stat().st_mode & 0o777 == 0o700
    assert (store.directory / f"{made['orderId']}.json").stat().st_mode & 0o777 == 0o600


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda s: s.strip() != "")
_CENTS = st.integers(min_value=0, max_value=50_000_00).map(lambda n: n / 100)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def _order_bodies(draw: st.DrawFn) -> dict[str, object]:
    subtotal, shipping = draw(_CENTS), draw(_CENTS)
    rate = draw(st.integers(min_value=1, max_value=1_000_00)) / 100
    total = round(subtotal + shipping, 2)
    body: dict[str, object] = {
        "variantId": draw(st.sampled_from(["var-1", "var-2", "var-old", "var-gone"])),
        "quantity": draw(st.integers(min_value=1, max_value=1000)),
        "shippingAddress": draw(_TEXT),
        "shippingCity": draw(_TEXT),
        "shippingState": draw(_TEXT),
        "shippingCost": shipping,
        "subtotal": subtotal,
        "total": total,
        "totalBs": round(total * rate, 2),
        "exchangeRate": rate,
        "payment": {
            "method": draw(st.sampled_from(["PAGO_MOVIL", "TRANSFERENCIA"])),
            "reference": draw(_TEXT),
            "originBank": draw(_TEXT),
            "payerName": draw(_TEXT),
        },
    }
    if draw(st.booleans()):
        body["previewUrl"] = "https://cdn.example.com/" + draw(
            st.from_regex(r"[a-z0-9/]{1,30}", fullmatch=True)
        )
    if draw(st.booleans()):
        body["designViews"] = draw(st.lists(st.dictionaries(_TEXT, _JSON, max_size=4), max_size=3))
    if draw(st.booleans()):
        body["payment"]["amountReported"] = draw(_CENTS)  # type: ignore[index]
    if draw(st.booleans()):
        body["payment"]["receiptUrl"] = "https://r.example.com/x.jpg"  # type: ignore[index]
    return body


_MADE_BY_SERVER = {
    "id",
    "orderNumber",
    "guestId",
    "createdAt",
    "updatedAt",
    "enteredStatusAt",
    "storage",
    "nextStatuses",
}


def _comparable(order: dict) -> dict:  # type: ignore[type-arg]
    out = {k: v for k, v in order.items() if k not in _MADE_BY_SERVER}
    out["items"] = [{k: v for k, v in i.items() if k != "id"} for i in order["items"]]
    # `sameReference` names the *other* orders paid with the reference: the two orders of one body
    # name each other (test_payment_desk.py holds what it says).
    out["payments"] = [
        {k: v for k, v in p.items() if k not in ("id", "reportedAt", "sameReference")}
        for p in order["payments"]
    ]
    out["history"] = [{k: v for k, v in e.items() if k not in ("id", "at")} for e in order["history"]]
    return out


@hyp_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    # No shrinking: each example writes orders, and a failure is printed in full as generated.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(data=_order_bodies())
def test_the_order_shape_round_trips_through_the_database_and_the_fallback(
    db: Database, down: Database, store: FallbackStore, data: dict[str, object]
) -> None:
    if not hasattr(db, "_catalog_loaded"):
        CatalogService(db).upsert(CatalogIn.model_validate(LABELLED))
        db._catalog_loaded = True  # type: ignore[attr-defined]
    body = OrderIn.model_validate(data)
    # A lease of one number: each example's service reserves a block, and the outage's dry lease
    # draws at random, checked against its files only — against 64 reserved per example the draw
    # sometimes hit one, and the replay renumbered the order (right, but not this test's subject:
    # test_a_dry_lease_number_that_collides_is_renumbered_and_recorded holds it).
    up = OrderService(OrderStorage(db, store), lease=NumberLease(db, block=1, low_water=0))
    outage = OrderService(OrderStorage(down, store))
    direct = up.get(
        _admin(db), up.create(body, owner=None, idempotency_key=None, request_hash="a")[1]["orderId"]
    )
    queued = outage.create(body, owner=None, idempotency_key=None, request_hash="b")[1]["orderId"]
    from_file = outage.get(_admin(db), queued)
    assert Replayer(OrderStorage(db, store)).run().imported == [queued]
    replayed = up.get(_admin(db), queued)

    assert direct["storage"] == "database" and from_file["storage"] == "fallback"
    # Read again: since `direct` was read, the second order claims its reference too.
    direct = up.get(_admin(db), direct["id"])
    # The list's JSON is built by the database (order_json.py): the same order as the Python path.
    listed = json.loads(b"".join(up.stream_all(_admin(db), OrderFilter())))["orders"]
    paged = json.loads(up.list_page(_admin(db), OrderFilter(), limit=500, cursor=None))["orders"]
    for order in (replayed, direct):
        assert [o for o in listed if o["id"] == order["id"]] == [order]
        assert [o for o in paged if o["id"] == order["id"]] == [order]
    assert _comparable(replayed) == _comparable(direct)
    for order in (direct, from_file, replayed):
        assert order["enteredStatusAt"] == order["createdAt"]
    # Served from its file the order differs only in what the catalog could not say during the outage.
    expected = _comparable(direct)
    expected |= {"priceCheck": "UNKNOWN_VARIANT", "priceExpected": None}
    expected["items"] = [
        {**i, "productName": None, "unitPrice": None, "variantLabel": None} for i in expected["items"]
    ]
    assert _comparable(from_file) == expected
    labels = {"var-1": "M · blanco", "var-2": "L · blanco"}  # LABELLED; the other variants are unknown
    for item in direct["items"] + replayed["items"]:
        assert item["variantLabel"] == labels.get(item["variantId"])


def test_a_list_reads_each_order_as_stored_by_its_last_write(db: Database, store: FallbackStore) -> None:
    """Lists read the JSON each write stored (`orders.list_json`): after a move it is the moved order;
    a row without one, or with one made by another builder, reads the same, and the upgrade stores it."""
    from sqlalchemy import update

    from server.domain.schemas import AdvanceIn
    from server.storage.models import orders_t
    from server.storage.order_json import fill_missing

    CatalogService(db).upsert(CatalogIn.model_validate(CATALOG))
    service, admin = OrderService(OrderStorage(db, store)), _admin(db)
    created = service.create(_body(), owner=None, idempotency_key=None, request_hash="a")[1]
    service.advance(admin, AdvanceIn.model_validate({"orderId": created["orderId"], "status": "CONFIRMED"}))

    def listed() -> dict:  # type: ignore[type-arg]
        orders = json.loads(service.list_page(admin, OrderFilter(), limit=10, cursor=None))["orders"]
        streamed = json.loads(b"".join(service.stream_all(admin, OrderFilter())))["orders"]
        assert orders == streamed and len(orders) == 1
        return orders[0]  # type: ignore[no-any-return]

    def stored() -> str | None:
        with db.engine.connect() as conn:
            return conn.scalar(select(orders_t.c.list_json))

    moved = listed()
    assert moved == service.get(admin, created["orderId"])
    assert moved["status"] == "CONFIRMED" and [h["toStatus"] for h in moved["history"]][-1] == "CONFIRMED"
    assert json.loads(stored() or "null")["status"] == "CONFIRMED"

    with db.engine.begin() as conn:
        conn.execute(update(orders_t).values(list_json=None, list_shape=None))
    assert stored() is None and listed() == moved
    with db.engine.begin() as conn:
        assert fill_missing(conn) == 1
    assert stored() is not None and listed() == moved
    # A text made by another builder (an earlier release's declaration) is stale: built again, refilled.
    with db.engine.begin() as conn:
        conn.execute(update(orders_t).values(list_json='{"stale":true}', list_shape="0" * 16))
    assert listed() == moved
    with db.engine.begin() as conn:
        assert fill_missing(conn) == 1 and fill_missing(conn) == 0
    assert json.loads(stored() or "null") == {
        k: v for k, v in moved.items() if k not in ("stuck", "late", "nextStatuses")
    }


# ---- the lease on disk (issue 14) ------------------------------------------------------------------


def _lease_left_by_a_killed_process(url: str, directory: Path) -> list[str]:
    """A process that filled a lease on disk and died without a shutdown (os._exit): its numbers."""
    script = textwrap.dedent(
        f"""
        import os, sys
        from pathlib import Path
        from server.storage.db import Database
        from server.storage.numbers import LeaseFile, NumberLease
        db = Database({url!r}, pool_size=1)
        lease = NumberLease(db, block=4, low_water=1, directory=Path({str(directory)!r}))
        lease.open()
        lease.refill()
        print(" ".join(lease._pool), flush=True)
        os._exit(0)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.split()


def test_a_restart_during_an_outage_spends_the_reserved_numbers(
    db: Database, down: Database, store: FallbackStore, tmp_path: Path
) -> None:
    # Issue 14: on main a restarted process started with an empty lease, so during an outage it drew
    # numbers nobody had reserved (3 of 2,000 orders renumbered in a fault run).
    leases = tmp_path / "leases"
    left = _lease_left_by_a_killed_process(db.url, leases)
    assert len(left) == 4
    files = sorted(p.name for p in leases.iterdir())
    assert len(files) == 2 and {Path(f).suffix for f in files} == {".lock", ".numbers"}
    assert all((leases / f).stat().st_mode & 0o777 == 0o600 for f in files)

    restarted = NumberLease(down, block=4, low_water=1, directory=leases)  # the database is down
    restarted.open()
    assert sorted(restarted._pool) == sorted(left)
    outage = OrderService(OrderStorage(down, store), lease=restarted)
    taken = outage.create(_body(), owner=None, idempotency_key=None, request_hash="a")[1]
    assert taken["orderNumber"] in left
    [numbers_file] = leases.glob("*.numbers")
    assert LeaseFile.read(numbers_file) == [n for n in restarted._pool]  # spent: off the disk first
    assert len(LeaseFile.read(numbers_file)) == 3 and taken["orderNumber"] not in LeaseFile.read(numbers_file)

    report = Replayer(OrderStorage(db, store), lease=restarted).run()
    assert report.imported == [taken["orderId"]] and report.renumbered == {}
    assert _numbers(db) == [taken["orderNumber"]]
    restarted.db = db  # in a server the one Database reconnects once PostgreSQL is back
    restarted.release()  # the database answers: the rest go back to the registry, the files go
    assert list(leases.iterdir()) == []
    with db.session() as session:
        assert set(session.scalars(select(OrderNumber.number))) == {taken["orderNumber"]}


def test_a_living_process_lease_is_never_taken_over(db: Database, tmp_path: Path) -> None:
    leases = tmp_path / "leases"
    first = NumberLease(db, block=4, low_water=1, directory=leases)
    first.open()
    first.refill()
    second = NumberLease(db, block=4, low_water=1, directory=leases)
    second.open()
    assert len(second) == 0
    second.refill()
    assert not set(first._pool) & set(second._pool)
    first.release()
    second.release()
    assert list(leases.iterdir()) == []


def test_the_lease_grows_with_the_rate_of_orders(db: Database) -> None:
    now = [0.0]
    lease = NumberLease(db, block=8, low_water=2, clock=lambda: now[0])
    lease.refill()
    assert len(lease) == 8
    for _ in range(7):  # 7 orders in 1 s: a minute of them is 420 numbers
        assert lease.take() is not None
    now[0] = 1.0
    lease.refill()
    assert (len(lease), lease.low_water) == (420, 105)
    for _ in range(10):  # then a lull: 10 in 100 s; it shrinks by halves, never below the start
        lease.take()
    now[0] = 101.0
    lease.refill()
    assert lease.block == 210 and len(lease) == 410


def test_an_order_out_of_reach_is_unavailable_not_unknown(
    db: Database, down: Database, store: FallbackStore
) -> None:
    """Issue 14: with the database down, an order that is not in the fallback may be in the
    database: a 503 saying so (the seed's 404 made `krafta orders show` say "no order"). With the
    database answering, an order in neither store is still a 404."""
    from server.domain.errors import NotFound, Unavailable
    from server.domain.schemas import AdvanceIn

    admin = _admin(db)
    up = OrderService(OrderStorage(db, store))
    stored = up.create(_body(), owner=None, idempotency_key=None, request_hash="a")[1]
    outage = OrderService(OrderStorage(down, store))
    for ident in (stored["orderNumber"], stored["orderId"]):
        with pytest.raises(Unavailable, match="the database is unavailable to look further"):
            outage.get(admin, ident)
    move = AdvanceIn.model_validate({"orderId": stored["orderId"], "status": "CONFIRMED"})
    with pytest.raises(Unavailable, match="the database is unavailable"):
        outage.advance(admin, move)
    with pytest.raises(NotFound):  # not an order id at all: no store is asked
        outage.advance(admin, AdvanceIn.model_validate({"orderId": "../x", "status": "CONFIRMED"}))

    taken = outage.create(_body(), owner=None, idempotency_key=None, request_hash="b")[1]
    assert outage.get(admin, taken["orderNumber"])["storage"] == "fallback"
    assert up.get(admin, stored["orderNumber"])["id"] == stored["orderId"]
    with pytest.raises(NotFound):
        up.get(admin, "KRFT-000001")


@pytest.mark.parametrize("replay_at", ["before the database read", "after the database read"])
def test_an_order_the_replay_commits_while_a_list_is_read_is_listed_once(
    db: Database, down: Database, store: FallbackStore, monkeypatch: pytest.MonkeyPatch, replay_at: str
) -> None:
    """The replay commits a fallback order, then archives its file: a list reading the two stores
    around that moment must show the order once — not twice, and not (as when the database was read
    first) in neither share."""
    lease = NumberLease(db)
    queued = OrderService(OrderStorage(down, store), lease=lease).create(
        _body(), owner=None, idempotency_key="q", request_hash="h"
    )[1]
    storage = OrderStorage(db, store)
    service = OrderService(storage, lease=lease)
    held = service.create(_body(), owner=None, idempotency_key="d", request_hash="h")[1]
    read = storage.database.page_json

    def read_with_the_replay(*args: object, **kwargs: object) -> object:
        # The real replay, at the moment of the real read the parametrisation names.
        if replay_at.startswith("before") and store.count():
            Replayer(storage, lease=lease).run()
        rows = read(*args, **kwargs)  # type: ignore[arg-type]
        if replay_at.startswith("after") and store.count():
            Replayer(storage, lease=lease).run()
        return rows

    monkeypatch.setattr(storage.database, "page_json", read_with_the_replay)
    page = json.loads(service.list_page(_admin(db), OrderFilter(), limit=50, cursor=None))
    assert store.count() == 0  # the replay did run inside the list
    assert sorted(o["id"] for o in page["orders"]) == sorted([queued["orderId"], held["orderId"]])

    # The same through the streamed whole list, with a second order queued and replayed likewise.
    again = OrderService(OrderStorage(down, store), lease=lease).create(
        _body(), owner=None, idempotency_key="q2", request_hash="h"
    )[1]
    streamed = json.loads(b"".join(service.stream_all(_admin(db), OrderFilter())))
    assert store.count() == 0
    assert sorted(o["id"] for o in streamed["orders"]) == sorted(
        [queued["orderId"], held["orderId"], again["orderId"]]
    )
