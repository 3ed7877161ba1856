"""Stuck rules end to end (SQLite and PostgreSQL): `KRAFTA_STUCK_AFTER` decides what the server marks
`stuck`, `GET /api/orders?stuck=true` lists exactly those, and so does `krafta orders list --stuck`.

Orders get their age by moving their `entered_status_at` (and, to keep the order coherent, their
history) back in the database (the only way to make "two days in production" without waiting two
days); everything else goes through HTTP.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from server.storage.db import Database
from server.storage.models import HistoryEntry, Order
from tests.helpers import create_order
from tests.servers import LiveServer, krafta_exe

PIPELINE = ("CONFIRMED", "IN_PRODUCTION", "READY", "HANDED_TO_DELIVERY")


def _age(server: LiveServer, order_id: str, status: str, ago: timedelta) -> None:
    """Make `order_id` look as if it entered `status` (and was created) `ago` before now."""
    when = datetime.now(UTC) - ago
    db = Database(server.db_url, pool_size=1)
    try:
        with db.write() as session:
            session.execute(
                update(HistoryEntry)
                .where(HistoryEntry.order_id == order_id, HistoryEntry.to_status == status)
                .values(at=when)
            )
            # Earlier events earlier still, so the history stays in order.
            session.execute(
                update(HistoryEntry)
                .where(HistoryEntry.order_id == order_id, HistoryEntry.to_status != status)
                .values(at=when - timedelta(hours=1))
            )
            session.execute(
                update(Order)
                .where(Order.id == order_id)
                # Written around the server: the stored list JSON marked stale, lists build it again.
                .values(created_at=when - timedelta(hours=2), entered_status_at=when, list_shape=None)
            )
    finally:
        db.dispose()


def _order_in(server: LiveServer, status: str, ago: timedelta) -> str:
    created = create_order(server)
    with server.client(server.admin_token) as http:
        for step in PIPELINE[: PIPELINE.index(status) + 1]:
            assert (
                http.put("/api/orders", json={"orderId": created["orderId"], "status": step}).status_code
                == 200
            )
    _age(server, created["orderId"], status, ago)
    return created["orderNumber"]


@pytest.fixture(scope="module")
def aged(server: LiveServer) -> Iterator[dict[str, str]]:
    orders = {
        "confirmed_2d": _order_in(server, "CONFIRMED", timedelta(days=2)),
        "confirmed_1h": _order_in(server, "CONFIRMED", timedelta(hours=1)),
        "ready_3h": _order_in(server, "READY", timedelta(hours=3)),
        "production_5d": _order_in(server, "IN_PRODUCTION", timedelta(days=5)),
    }
    yield orders
    _restart(server, None)


def _restart(server: LiveServer, stuck_after: str | None) -> None:
    server.stop()
    if stuck_after is None:
        server.env.pop("KRAFTA_STUCK_AFTER", None)
    else:
        server.env["KRAFTA_STUCK_AFTER"] = stuck_after
    server.start()


def _orders(server: LiveServer, **params: Any) -> list[dict[str, Any]]:
    with server.client(server.admin_token) as http:
        response = http.get("/api/orders", params=params)
    assert response.status_code == 200, response.text
    return response.json()["orders"]


def _stuck_numbers(server: LiveServer, aged: dict[str, str]) -> set[str]:
    """Which of our orders the server says are stuck, checked three ways that must agree."""
    mine = set(aged.values())
    flagged = {o["orderNumber"] for o in _orders(server) if o["orderNumber"] in mine and o["stuck"]}
    listed = {o["orderNumber"] for o in _orders(server, stuck="true") if o["orderNumber"] in mine}
    paged = {o["orderNumber"] for o in _orders(server, stuck="true", limit=2) if o["orderNumber"] in mine}
    others = {o["orderNumber"] for o in _orders(server, stuck="false") if o["orderNumber"] in mine}
    assert all(o["stuck"] for o in _orders(server, stuck="true"))
    assert listed == flagged, (listed, flagged)
    assert paged <= listed
    assert others == mine - flagged
    for number in mine:
        with server.client(server.admin_token) as http:
            one = http.get(f"/api/orders/{number}").json()["order"]
        assert one["stuck"] is (number in flagged), one
    return flagged


def _krafta(server: LiveServer, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRAFTA_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    env.update(KRAFTA_URL=server.url, KRAFTA_TOKEN=server.admin_token)
    run = subprocess.run([krafta_exe(), *args], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run


def _cli_stuck(server: LiveServer, home: Path) -> set[str]:
    run = _krafta(server, home, "orders", "list", "--stuck", "--all", "--json")
    numbers = {o["orderNumber"] for o in json.loads(run.stdout)}
    # The text views say it too: the piped list keeps its columns, `show` has a Stuck line.
    piped = _krafta(server, home, "orders", "list", "--stuck", "--all").stdout.splitlines()
    assert {line.split("\t")[0] for line in piped} == numbers
    for number in sorted(numbers)[:1]:
        shown = _krafta(server, home, "orders", "show", number).stdout
        assert "Stuck" in shown and "yes: " in shown, shown
    return numbers


def test_the_rules_decide_what_is_stuck_and_the_cli_lists_exactly_those(
    server: LiveServer, aged: dict[str, str], tmp_path: Path
) -> None:
    _restart(server, "CONFIRMED=1d,READY=2h")
    stuck = _stuck_numbers(server, aged)
    assert stuck == {aged["confirmed_2d"], aged["ready_3h"]}
    everything_stuck = {o["orderNumber"] for o in _orders(server, stuck="true")}
    assert _cli_stuck(server, tmp_path) == everything_stuck

    _restart(server, "CONFIRMED=3d,IN_PRODUCTION=4d")
    stuck = _stuck_numbers(server, aged)
    assert stuck == {aged["production_5d"]}
    everything_stuck = {o["orderNumber"] for o in _orders(server, stuck="true")}
    assert _cli_stuck(server, tmp_path) == everything_stuck

    _restart(server, "none")
    assert _stuck_numbers(server, aged) == set()
    assert _orders(server, stuck="true") == []


def test_the_defaults_apply_without_the_variable(server: LiveServer, aged: dict[str, str]) -> None:
    _restart(server, None)
    # Defaults: CONFIRMED=1d, IN_PRODUCTION=2d, READY=1d (see server/domain/stuck.py).
    assert _stuck_numbers(server, aged) == {aged["confirmed_2d"], aged["production_5d"]}


def test_a_bad_value_stops_the_server_with_one_line(server: LiveServer) -> None:
    env = {**server.env, "KRAFTA_STUCK_AFTER": "CONFIRMED=2 days"}
    run = subprocess.run(
        [krafta_exe(), "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2, run
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert "KRAFTA_STUCK_AFTER" in run.stderr and "CONFIRMED" in run.stderr


def test_a_bad_stuck_query_is_a_400(server: LiveServer) -> None:
    with server.client(server.admin_token) as http:
        response = http.get("/api/orders", params={"stuck": "maybe"})
    assert response.status_code == 400
    assert "stuck" in response.json()["fields"]


def _answer(server: LiveServer, token: str, **params: Any) -> dict[str, Any]:
    with server.client(token) as http:
        response = http.get("/api/orders", params=params)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_staff_lists_publish_the_rules_and_every_order_carries_its_entry_time(
    server: LiveServer, aged: dict[str, str]
) -> None:
    """The contract a board builds on: `stuckRules` (seconds per status) on staff lists, paged and
    streamed; `enteredStatusAt` on every order; `stuck` iff ruled and now − enteredStatusAt ≥ rule."""
    _restart(server, "CONFIRMED=1d,READY=2h")
    rules = {"CONFIRMED": 86400, "READY": 7200}
    for params in ({}, {"limit": 2}, {"status": "READY", "limit": 50}, {"q": "KRFT"}):
        answer = _answer(server, server.admin_token, **params)
        assert answer["stuckRules"] == rules, params
        assert answer["orders"], params
        now = datetime.now(UTC)
        for order in answer["orders"]:
            entered = datetime.fromisoformat(order["enteredStatusAt"])
            assert order["enteredStatusAt"] == entered.astimezone(UTC).isoformat(timespec="microseconds")
            limit = rules.get(order["status"])
            # Orders within a second of their limit could fairly go either way while this runs.
            if limit is None or abs((now - entered).total_seconds() - limit) > 1:
                assert order["stuck"] is (limit is not None and (now - entered).total_seconds() >= limit)
    assert {o["orderNumber"] for o in _orders(server) if o["stuck"]} >= {
        aged["confirmed_2d"],
        aged["ready_3h"],
    }

    email = f"c-{datetime.now(UTC).timestamp()}@test.krafta"
    server.make_user(email, role="CLIENTE")
    token = server.login(email)
    created = create_order(server, token)
    for params in ({}, {"limit": 5}):
        mine = _answer(server, token, **params)
        assert "stuckRules" not in mine and len(mine["orders"]) == 1
        assert mine["orders"][0]["enteredStatusAt"] == mine["orders"][0]["createdAt"]
        assert "stuck" not in mine["orders"][0]
    # One order and a move's answer carry it too, for the customer and for staff.
    with server.client(server.admin_token) as http:
        moved = http.put("/api/orders", json={"orderId": created["orderId"], "status": "CONFIRMED"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["order"]["enteredStatusAt"] == moved.json()["order"]["history"][-1]["at"]
    for who in (token, server.admin_token):
        with server.client(who) as http:
            one = http.get(f"/api/orders/{created['orderNumber']}").json()["order"]
        assert one["enteredStatusAt"] == moved.json()["order"]["enteredStatusAt"]

    _restart(server, "none")
    assert _answer(server, server.admin_token)["stuckRules"] == {}
    assert _answer(server, server.admin_token, limit=1)["stuckRules"] == {}


def test_a_move_restarts_the_clock(server: LiveServer, aged: dict[str, str]) -> None:
    _restart(server, "CONFIRMED=1d,IN_PRODUCTION=1d")
    with server.client(server.admin_token) as http:
        order = http.get(f"/api/orders/{aged['confirmed_2d']}").json()["order"]
        assert order["stuck"] is True
        moved = http.put(
            "/api/orders",
            json={"orderId": order["id"], "status": "IN_PRODUCTION", "expectedStatus": "CONFIRMED"},
        )
    assert moved.status_code == 200 and moved.json()["order"]["stuck"] is False
    aged["production_now"] = aged.pop("confirmed_2d")
