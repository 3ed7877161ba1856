"""Planning the day over HTTP (issue 15), on SQLite and PostgreSQL: PATCH /api/orders/{ident} sets
dueAt, priority, a hold and notes, each a timeline entry with its kind and who; bad values are 400s
naming the field and change nothing; the filters and `sort=due` page; a hold is never stuck and ends
by itself on its `until` day; `late` flips when the day passes (the clock steered, not waited);
customers see dueAt, priority and the hold's reason only; each change is an `order.updated` event."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from server.domain.planning import Calendar
from server.domain.principal import Principal
from server.domain.shape import utcnow
from server.live import log as live_log
from server.orders.planning import HoldsLoop
from tests.helpers import create_order
from tests.servers import InProcessServer


def _calendar(server: InProcessServer) -> Calendar:
    calendar: Calendar = server.app.state.services.orders.calendar
    return calendar


@pytest.fixture
def steer(server: InProcessServer) -> Iterator[Any]:
    """Move the server's planning clock `days` ahead (restored after the test)."""
    calendar = _calendar(server)
    real = calendar.clock

    def ahead(days: float) -> None:
        calendar.clock = lambda: real() + timedelta(days=days)

    yield ahead
    calendar.clock = real


def _today(server: InProcessServer) -> date:
    return _calendar(server).today()


def _order(server: InProcessServer, city: str | None = None) -> dict[str, Any]:
    return create_order(server, shippingCity=city or f"Plan-{uuid.uuid4().hex[:8]}")


def _patch(http: httpx.Client, ident: str, body: dict[str, Any]) -> httpx.Response:
    return http.patch(f"/api/orders/{ident}", json=body)


def _move(http: httpx.Client, order_id: str, status: str) -> None:
    answer = http.put("/api/orders", json={"orderId": order_id, "status": status})
    assert answer.status_code == 200, answer.text


def test_each_field_is_set_and_entered_in_the_timeline_with_who(
    server: InProcessServer, admin: httpx.Client, taller: httpx.Client
) -> None:
    made = _order(server)
    due = (_today(server) + timedelta(days=9)).isoformat()
    until = (_today(server) + timedelta(days=2)).isoformat()

    a = _patch(admin, made["orderNumber"], {"dueAt": due, "priority": "rush"})
    b = _patch(taller, made["orderId"], {"hold": {"reason": "MATERIAL", "note": "no blanks", "until": until}})
    c = _patch(taller, made["orderNumber"], {"note": "called the supplier"})
    d = _patch(admin, made["orderNumber"], {"hold": None, "dueAt": None})

    for answer in (a, b, c, d):
        assert answer.status_code == 200, answer.text
    assert a.json()["order"]["dueAt"] == due and a.json()["order"]["priority"] == "rush"
    hold = b.json()["order"]["hold"]
    assert {k: hold[k] for k in ("reason", "note", "until", "by")} == {
        "reason": "MATERIAL",
        "note": "no blanks",
        "until": until,
        "by": "taller@test.krafta",
    }
    assert hold["at"]
    order = admin.get(f"/api/orders/{made['orderId']}").json()["order"]
    assert order["hold"] is None and order["dueAt"] is None and order["priority"] == "rush"
    assert order["status"] == "REPORTED"
    planned = [(e["kind"], e["userEmail"]) for e in order["history"][1:]]
    assert planned == [
        ("due", "admin@test.krafta"),
        ("priority", "admin@test.krafta"),
        ("hold", "taller@test.krafta"),
        ("note", "taller@test.krafta"),
        ("due", "admin@test.krafta"),
        ("release", "admin@test.krafta"),
    ]
    assert order["history"][4]["note"] == "called the supplier"
    assert all(e["fromStatus"] == e["toStatus"] == "REPORTED" for e in order["history"][1:])
    # The same order in a staff list, as the database builds it.
    listed = admin.get("/api/orders", params={"q": made["orderNumber"], "limit": 5}).json()["orders"]
    assert [o["history"] for o in listed] == [order["history"]]
    assert listed[0]["late"] is False


def test_setting_what_the_order_has_adds_nothing(admin: httpx.Client, server: InProcessServer) -> None:
    made = _order(server)
    _patch(admin, made["orderId"], {"priority": "rush"})
    before = admin.get(f"/api/orders/{made['orderId']}").json()["order"]
    logged = live_log.latest_id(server.app.state.services.db)

    again = _patch(admin, made["orderId"], {"priority": "rush", "hold": None})

    assert again.status_code == 200
    assert [e["kind"] for e in again.json()["order"]["history"]] == ["move", "priority"]
    # No write and no event: the order as it was, updatedAt included.
    assert admin.get(f"/api/orders/{made['orderId']}").json()["order"] == before
    assert live_log.latest_id(server.app.state.services.db) == logged


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"dueAt": "10/12/2026"}, "dueAt"),
        ({"dueAt": 20261210}, "dueAt"),
        ({"dueAt": "2026-02-30"}, "dueAt"),
        ({"priority": "urgent"}, "priority"),
        ({"priority": None}, "priority"),
        ({"hold": {"reason": "LUNCH"}}, "hold.reason"),
        ({"hold": {"note": "no reason given"}}, "hold.reason"),
        ({"hold": {"reason": "OTHER", "until": "tomorrow"}}, "hold.until"),
        ({"hold": "MATERIAL"}, "hold"),
        ({"note": ""}, "note"),
        ({"note": "   "}, "note"),
        ({"note": "x" * 1001}, "note"),
        ({"note": 7}, "note"),
        ({"expectedStatus": "SHIPPED", "note": "x"}, "expectedStatus"),
        ({}, "body"),
        ({"unknown": 1}, "body"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_field_and_changes_nothing(
    server: InProcessServer, admin: httpx.Client, body: dict[str, Any], field: str
) -> None:
    made = _order(server)
    before = admin.get(f"/api/orders/{made['orderId']}").json()["order"]

    answer = _patch(admin, made["orderId"], body)

    assert answer.status_code == 400, answer.text
    assert field in answer.json()["fields"], answer.json()
    assert admin.get(f"/api/orders/{made['orderId']}").json()["order"] == before


def test_a_hold_until_today_or_earlier_is_refused(server: InProcessServer, admin: httpx.Client) -> None:
    made = _order(server)
    for day in (_today(server), _today(server) - timedelta(days=1)):
        answer = _patch(admin, made["orderId"], {"hold": {"reason": "OTHER", "until": day.isoformat()}})
        assert answer.status_code == 400, answer.text
        assert list(answer.json()["fields"]) == ["hold.until"]


def test_expected_status_and_closed_orders_are_conflicts(
    server: InProcessServer, admin: httpx.Client
) -> None:
    made = _order(server)
    stale = _patch(admin, made["orderId"], {"priority": "rush", "expectedStatus": "CONFIRMED"})
    assert stale.status_code == 409, stale.text
    assert stale.json()["currentStatus"] == "REPORTED"
    ok = _patch(admin, made["orderId"], {"priority": "rush", "expectedStatus": "REPORTED"})
    assert ok.status_code == 200

    cancel = {"orderId": made["orderId"], "status": "CANCELLED", "note": "customer asked"}
    assert admin.put("/api/orders", json=cancel).status_code == 200
    closed = _patch(admin, made["orderId"], {"hold": {"reason": "OTHER"}})
    assert closed.status_code == 409, closed.text
    noted = _patch(admin, made["orderId"], {"note": "refund sent"})
    assert noted.status_code == 200, noted.text
    assert noted.json()["order"]["hold"] is None


def test_who_may_patch(server: InProcessServer) -> None:
    made = _order(server)
    email = f"cliente-{uuid.uuid4().hex[:8]}@test.krafta"
    server.make_user(email, role="CLIENTE")
    with server.client(server.login(email)) as customer:
        assert _patch(customer, made["orderId"], {"note": "hi"}).status_code == 403
    with server.client() as nobody:
        assert _patch(nobody, made["orderId"], {"note": "hi"}).status_code in (401, 403)
    with server.client(server.admin_token) as admin:
        missing = _patch(admin, "KRFT-000001", {"note": "hi"})
        assert missing.status_code == 404
        assert "KRFT-000001" in missing.json()["error"]
        assert _patch(admin, str(uuid.uuid4()), {"note": "hi"}).status_code == 404


def test_customers_see_due_priority_and_the_reason_only(server: InProcessServer, admin: httpx.Client) -> None:
    email = f"cliente-{uuid.uuid4().hex[:8]}@test.krafta"
    server.make_user(email, role="CLIENTE")
    token = server.login(email)
    made = create_order(server, token)
    due = (_today(server) + timedelta(days=5)).isoformat()
    _patch(admin, made["orderId"], {"dueAt": due, "priority": "rush", "note": "internal: slow payer"})
    _patch(admin, made["orderId"], {"hold": {"reason": "ADDRESS", "note": "street missing"}})

    with server.client(token) as customer:
        one = customer.get(f"/api/orders/{made['orderId']}").json()["order"]
        listed = customer.get("/api/orders").json()["orders"]
        paged = customer.get("/api/orders", params={"limit": 5}).json()["orders"]

    for order in (one, *listed, *paged):
        assert order["dueAt"] == due and order["priority"] == "rush"
        assert order["hold"] == {"reason": "ADDRESS"}
        assert [e["kind"] for e in order["history"]] == ["move"]
        assert "late" not in order and "stuck" not in order
        assert "internal" not in str(order) and "street missing" not in str(order)


def test_confirming_sets_the_due_date_in_working_days_unless_set(
    server: InProcessServer, admin: httpx.Client
) -> None:
    calendar = _calendar(server)
    plain, promised = _order(server), _order(server)
    day = (_today(server) + timedelta(days=20)).isoformat()
    _patch(admin, promised["orderId"], {"dueAt": day})

    _move(admin, plain["orderId"], "CONFIRMED")
    _move(admin, promised["orderId"], "CONFIRMED")

    due = admin.get(f"/api/orders/{plain['orderId']}").json()["order"]["dueAt"]
    expected = calendar.due_from(_today(server))
    assert due == expected.isoformat()
    assert expected.weekday() < 5 and (expected - _today(server)).days >= calendar.lead_days
    assert admin.get(f"/api/orders/{promised['orderId']}").json()["order"]["dueAt"] == day


def test_filters_and_sort_due_with_paging(server: InProcessServer, admin: httpx.Client) -> None:
    city = f"Sort-{uuid.uuid4().hex[:8]}"
    orders = [_order(server, city) for _ in range(6)]
    ids = [o["orderId"] for o in orders]
    today = _today(server)
    # 0: normal, no date; 1: normal, in 5 days; 2: rush, in 9 days; 3: normal, in 2 days;
    # 4: rush, no date; 5: normal, yesterday (late), held
    _patch(admin, ids[1], {"dueAt": (today + timedelta(days=5)).isoformat()})
    _patch(admin, ids[2], {"dueAt": (today + timedelta(days=9)).isoformat(), "priority": "rush"})
    _patch(admin, ids[3], {"dueAt": (today + timedelta(days=2)).isoformat()})
    _patch(admin, ids[4], {"priority": "rush"})
    _patch(admin, ids[5], {"dueAt": (today - timedelta(days=1)).isoformat(), "hold": {"reason": "ARTWORK"}})

    def listed(**params: Any) -> list[str]:
        answer = admin.get("/api/orders", params={"q": city, **params})
        assert answer.status_code == 200, answer.text
        return [o["id"] for o in answer.json()["orders"]]

    plan = [ids[2], ids[4], ids[5], ids[3], ids[1], ids[0]]
    assert listed(sort="due") == plan
    paged: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": city, "sort": "due", "limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = admin.get("/api/orders", params=params).json()
        paged += [o["id"] for o in page["orders"]]
        assert len(page["orders"]) <= 4
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert paged == plan
    assert listed(late="true") == [ids[5]]
    assert set(listed(late="false")) == set(ids) - {ids[5]}
    assert listed(held="true") == [ids[5]]
    assert set(listed(held="false")) == set(ids) - {ids[5]}
    assert listed(priority="rush", sort="due") == [ids[2], ids[4]]
    assert listed(priority="rush", sort="due", limit=1) == [ids[2]]
    # A cursor of one order is not a cursor of the other.
    newest = admin.get("/api/orders", params={"q": city, "limit": 1}).json()["nextCursor"]
    wrong = admin.get("/api/orders", params={"q": city, "limit": 1, "sort": "due", "cursor": newest})
    assert wrong.status_code == 400 and "cursor" in wrong.json()["fields"]


@pytest.mark.parametrize(("name", "value"), [("sort", "oldest"), ("priority", "urgent"), ("late", "maybe")])
def test_a_bad_list_parameter_is_a_400_naming_it(admin: httpx.Client, name: str, value: str) -> None:
    answer = admin.get("/api/orders", params={name: value, "limit": 5})
    assert answer.status_code == 400, answer.text
    assert name in answer.json()["fields"]


def test_late_flips_when_the_day_passes(server: InProcessServer, admin: httpx.Client, steer: Any) -> None:
    made = _order(server)
    tomorrow = (_today(server) + timedelta(days=1)).isoformat()
    _patch(admin, made["orderId"], {"dueAt": tomorrow})
    number = made["orderNumber"]
    assert admin.get(f"/api/orders/{number}").json()["order"]["late"] is False

    steer(2)

    assert admin.get(f"/api/orders/{number}").json()["order"]["late"] is True
    late = admin.get("/api/orders", params={"late": "true", "q": number, "limit": 5}).json()["orders"]
    assert [(o["id"], o["late"]) for o in late] == [(made["orderId"], True)]
    # Handed over, the promise is kept: no longer late.
    for status in ("CONFIRMED", "IN_PRODUCTION", "READY"):
        _move(admin, made["orderId"], status)
    answer = admin.put(
        "/api/orders", json={"orderId": made["orderId"], "status": "HANDED_TO_DELIVERY", "courier": "MRW"}
    )
    assert answer.json()["order"]["late"] is False


def test_a_held_order_is_never_stuck_and_its_hold_ends_by_itself(
    server: InProcessServer, admin: httpx.Client, steer: Any
) -> None:
    held, free = _order(server), _order(server)
    until = (_today(server) + timedelta(days=3)).isoformat()
    _patch(admin, held["orderId"], {"hold": {"reason": "PAYMENT", "until": until}})
    services = server.app.state.services

    steer(2)  # REPORTED orders are stuck after a day: the free one is, the held one is not
    views = {o: admin.get(f"/api/orders/{o}").json()["order"] for o in (held["orderId"], free["orderId"])}
    assert (views[held["orderId"]]["stuck"], views[free["orderId"]]["stuck"]) == (False, True)
    listed = admin.get("/api/orders", params={"stuck": "true", "limit": 500}).json()["orders"]
    assert free["orderId"] in {o["id"] for o in listed} and held["orderId"] not in {o["id"] for o in listed}
    assert services.orders.release_ended_holds() == 0  # not yet its day

    after = live_log.latest_id(services.db)
    steer(3)
    assert services.orders.release_ended_holds() >= 1

    order = admin.get(f"/api/orders/{held['orderId']}").json()["order"]
    assert order["hold"] is None and order["stuck"] is True
    last = order["history"][-1]
    assert (last["kind"], last["userEmail"]) == ("release", None)
    assert until in last["note"]
    events = [c for c in live_log.fetch_after(services.db, after) if c.order["id"] == held["orderId"]]
    assert [c.kind for c in events] == ["order.updated"]
    assert services.orders.release_ended_holds() == 0  # released once


def test_a_patch_is_an_order_updated_event_in_each_subscribers_view(
    server: InProcessServer, admin: httpx.Client
) -> None:
    email = f"cliente-{uuid.uuid4().hex[:8]}@test.krafta"
    owner = server.make_user(email, role="CLIENTE")
    made = create_order(server, server.login(email))
    services = server.app.state.services
    after = live_log.latest_id(services.db)

    _patch(admin, made["orderId"], {"hold": {"reason": "MATERIAL", "note": "blanks late"}, "note": "ask Ana"})

    changes = [c for c in live_log.fetch_after(services.db, after) if c.order["id"] == made["orderId"]]
    assert [c.kind for c in changes] == ["order.updated"]
    staff = services.live.shown_to(changes[0].order, Principal("a", "a@x.y", "ADMIN", utcnow()))
    customer = services.live.shown_to(changes[0].order, Principal(owner["id"], email, "CLIENTE", utcnow()))
    assert staff["hold"]["note"] == "blanks late" and staff["history"][-1]["note"] == "ask Ana"
    assert customer["hold"] == {"reason": "MATERIAL"}
    assert [e["kind"] for e in customer["history"]] == ["move"]


def test_the_shop_day_decides_late(server: InProcessServer, admin: httpx.Client, steer: Any) -> None:
    # `late` is judged on the shop's day (KRAFTA_TIMEZONE), the same day `dueAt` is written in.
    made = _order(server)
    calendar = _calendar(server)
    _patch(admin, made["orderId"], {"dueAt": calendar.today().isoformat()})
    assert admin.get(f"/api/orders/{made['orderId']}").json()["order"]["late"] is False
    now = calendar.now()
    midnight = datetime.combine(calendar.today(now) + timedelta(days=1), datetime.min.time(), calendar.zone)
    steer((midnight - now).total_seconds() / 86400 + 1 / 86400)
    assert admin.get(f"/api/orders/{made['orderId']}").json()["order"]["late"] is True


def test_the_servers_own_loop_ends_a_hold_on_its_day(
    server: InProcessServer, admin: httpx.Client, steer: Any
) -> None:
    # The loop the lifespan starts (every minute there), run here every 50 ms on the steered clock.
    made = _order(server)
    until = (_today(server) + timedelta(days=1)).isoformat()
    _patch(admin, made["orderId"], {"hold": {"reason": "OTHER", "until": until}})
    orders = server.app.state.services.orders
    loop = HoldsLoop(orders.storage, orders.calendar, 0.05)
    steer(1)
    loop.start()
    try:
        deadline = time.monotonic() + 10
        while (
            time.monotonic() < deadline
            and admin.get(f"/api/orders/{made['orderId']}").json()["order"]["hold"]
        ):
            time.sleep(0.05)
    finally:
        loop.stop()
    order = admin.get(f"/api/orders/{made['orderId']}").json()["order"]
    assert order["hold"] is None
    assert [e["kind"] for e in order["history"]] == ["move", "hold", "release"]
