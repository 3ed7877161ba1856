"""The workshop flow on the board, driven with Pilot: marks and bulk moves, the hand-over dialog,
production batches (against a real `krafta serve`), and the stuck-first order (a fake shop)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from typing import Any

from textual.widgets import Input

from krafta_cli.client import KraftaClient
from tests.helpers import order_body
from tests.servers import Server
from tests.tui.fake_shop import FakeShop, frozen_clock, make_order
from tests.tui.pilot_helpers import (
    RecordingBoard,
    board_screen,
    place_order,
    select_order,
    server_status,
    wait_until,
)
from tui.app import BoardApp
from tui.screens.batches import BatchesScreen
from tui.screens.confirm import ConfirmDialog
from tui.screens.handover import HandoverForm

SIZE = (160, 40)


def run(scenario: Coroutine[Any, Any, None]) -> None:
    asyncio.run(scenario)


def board(server: Server) -> RecordingBoard:
    return RecordingBoard(KraftaClient(server.url, server.admin_token), refresh_interval=None)


async def mark_on_board(pilot: Any, screen: Any, numbers: list[str], column: str) -> None:
    """Wait until every order is in `column`, then mark each with `space`."""
    await wait_until(
        pilot, lambda: set(numbers) <= set(screen.numbers_in(column)), what=f"{numbers} in {column}"
    )
    for number in numbers:
        await select_order(pilot, number)
        await pilot.press("space")


def _server_order(server: Server, order_id: str) -> dict[str, Any]:
    with server.client(server.admin_token) as http:
        return http.get(f"/api/orders/{order_id}").json()["order"]


def test_mark_three_cards_and_advance_them_with_one_confirmation(sqlite_server: Server) -> None:
    city = f"Carora-{uuid.uuid4().hex[:6]}"
    orders = [place_order(sqlite_server, "CONFIRMED", shippingCity=city) for _ in range(3)]
    numbers = [o["orderNumber"] for o in orders]

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await mark_on_board(pilot, screen, numbers, "CONFIRMED")
            await pilot.pause()
            assert {o.number for o in screen.marked_orders()} == set(numbers)
            assert "3 marked" in str(screen.query_one("#status").render())

            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="one confirmation")
            question = app.screen.question  # type: ignore[attr-defined]
            assert "Move these 3 orders?" in question
            assert all(f"{n}  CONFIRMED → IN PRODUCTION" in question for n in numbers), question
            await pilot.press("y")
            await wait_until(
                pilot,
                lambda: all(server_status(sqlite_server, o["orderId"]) == "IN_PRODUCTION" for o in orders),
                what="all three moved on the server",
            )
            await wait_until(
                pilot, lambda: set(numbers) <= set(screen.numbers_in("IN_PRODUCTION")), what="moved on board"
            )
            assert screen.marked_orders() == []
            assert any("Moved 3" in m or all(n in m for n in numbers) for _, m in app.notices), app.notices

    run(scenario())


def test_a_failure_is_listed_and_the_others_move(sqlite_server: Server) -> None:
    city = f"Quibor-{uuid.uuid4().hex[:6]}"
    orders = [place_order(sqlite_server, "CONFIRMED", shippingCity=city) for _ in range(2)]
    numbers = [o["orderNumber"] for o in orders]

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await mark_on_board(pilot, screen, numbers, "CONFIRMED")
            # A colleague starts the second one while the operator is looking.
            with sqlite_server.client(sqlite_server.admin_token) as http:
                moved = http.put(
                    "/api/orders", json={"orderId": orders[1]["orderId"], "status": "IN_PRODUCTION"}
                )
                assert moved.status_code == 200
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirmation")
            await pilot.press("y")
            await wait_until(
                pilot,
                lambda: any("not moved" in m or numbers[1] in m for s, m in app.notices if s == "warning"),
                what="the failure listed",
            )
            warning = next(m for s, m in app.notices if s == "warning" and numbers[1] in m)
            assert "IN_PRODUCTION" in warning, warning
            assert "unmarked: moved by someone else" in warning, warning
            assert server_status(sqlite_server, orders[0]["orderId"]) == "IN_PRODUCTION"
            history = _server_order(sqlite_server, orders[1]["orderId"])["history"]
            assert [e["toStatus"] for e in history].count("IN_PRODUCTION") == 1
            # Neither stays marked: one moved, the other was moved by someone else (a mark is a
            # promise about the status it was made in; it is not carried to the next one).
            await wait_until(pilot, lambda: screen.marked_orders() == [])

    run(scenario())


def test_handover_asks_courier_and_tracking_and_remembers_the_courier(sqlite_server: Server) -> None:
    city = f"Sanare-{uuid.uuid4().hex[:6]}"
    first, second = (place_order(sqlite_server, "READY", shippingCity=city) for _ in range(2))

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await wait_until(
                pilot, lambda: second["orderNumber"] in screen.numbers_in("READY"), what="orders"
            )
            await select_order(pilot, first["orderNumber"])
            await pilot.press("a", "y")
            await wait_until(pilot, lambda: isinstance(app.screen, HandoverForm), what="hand-over form")
            # The form starts on the tracking number; shift+tab goes back to the courier.
            await pilot.press("shift+tab", *"MRW", "enter", *"MRW-778", "enter", "enter")
            await wait_until(
                pilot,
                lambda: server_status(sqlite_server, first["orderId"]) == "HANDED_TO_DELIVERY",
                what="handed over",
            )
            delivery = _server_order(sqlite_server, first["orderId"])["delivery"]
            assert delivery["courier"] == "MRW" and delivery["trackingNumber"] == "MRW-778"

            await wait_until(pilot, lambda: first["orderNumber"] not in screen.numbers_in("READY"))
            await select_order(pilot, second["orderNumber"])
            await pilot.press("a", "y")
            await wait_until(pilot, lambda: isinstance(app.screen, HandoverForm), what="second form")
            assert app.screen.query_one("#courier-0", Input).value == "MRW"  # remembered
            app.screen.query_one("#courier-0", Input).value = ""
            await pilot.pause()
            missing = str(app.screen.query_one("#missing").render())
            assert f"No courier for {second['orderNumber']}. No tracking number for" in missing, missing
            await pilot.click("#yes")
            await wait_until(
                pilot,
                lambda: server_status(sqlite_server, second["orderId"]) == "HANDED_TO_DELIVERY",
                what="handed over without tracking",
            )
            assert _server_order(sqlite_server, second["orderId"])["delivery"]["trackingNumber"] is None
            await wait_until(pilot, lambda: any("tracking number missing" in m for _, m in app.notices))

    run(scenario())


def test_a_batch_of_two_orders_of_one_variant_is_one_line_and_marks_both(sqlite_server: Server) -> None:
    body = {"variantId": "var-2", "subtotal": 24.0, "total": 27.0, "totalBs": 1080.0}
    created = []
    for quantity in (2, 3):
        with sqlite_server.client() as http:
            values = {**body, "quantity": quantity, "subtotal": 12.0 * quantity}
            values["total"] = values["subtotal"] + 3.0
            values["totalBs"] = values["total"] * 40
            response = http.post("/api/orders", json=order_body(**values))
            assert response.status_code == 201, response.text
            created.append(response.json())
        with sqlite_server.client(sqlite_server.admin_token) as http:
            http.put("/api/orders", json={"orderId": created[-1]["orderId"], "status": "CONFIRMED"})
    numbers = {c["orderNumber"] for c in created}

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: numbers <= set(screen.numbers_in("CONFIRMED")), what="orders")
            await pilot.press("b")
            await wait_until(
                pilot,
                lambda: isinstance(app.screen, BatchesScreen) and bool(app.screen.batches),
                what="batches loaded",
            )
            batches: BatchesScreen = app.screen  # type: ignore[assignment]
            (mine,) = [b for b in batches.batches if numbers & {o.number for o in b.orders}]
            assert numbers <= {o.number for o in mine.orders}
            assert mine.status == "CONFIRMED" and mine.quantity == sum(o.quantity for o in mine.orders)
            assert mine.quantity >= 5
            assert mine.label.startswith(f"{mine.quantity} × Franela blanca")
            index = batches.batches.index(mine)
            for _ in range(index):
                await pilot.press("down")
            await pilot.press("enter")
            await wait_until(pilot, lambda: not isinstance(app.screen, BatchesScreen), what="batch chosen")
            assert {o.number for o in screen.marked_orders()} == {o.number for o in mine.orders}

    run(scenario())


def test_columns_list_the_longest_waiting_first_and_stuck_first_keeps_them_on_top() -> None:
    """Issue 19, finding 8: oldest first by when the order entered its status (the board listed
    newest first, so the oldest job sank to the bottom of a long column)."""
    orders = [
        make_order(1, "CONFIRMED", hours_ago=2, in_status_hours=1),
        make_order(2, "CONFIRMED", hours_ago=30, in_status_hours=2),  # placed long ago, confirmed lately
        make_order(3, "CONFIRMED", hours_ago=4, in_status_hours=3.5),
    ]
    # The server's published rule: three hours in CONFIRMED. Only the third order has sat that long.
    shop = FakeShop(orders, stuck_rules={"CONFIRMED": 3 * 3600})

    async def scenario() -> None:
        client = KraftaClient("http://krafta.test", token="t", transport=shop.transport())
        app = BoardApp(client, clock=frozen_clock, refresh_interval=None)
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: len(screen.numbers_in("CONFIRMED")) == 3, what="orders")
            waiting_longest = [orders[2]["orderNumber"], orders[1]["orderNumber"], orders[0]["orderNumber"]]
            assert list(screen.numbers_in("CONFIRMED")) == waiting_longest
            await pilot.press("s")
            await pilot.pause()
            assert list(screen.numbers_in("CONFIRMED")) == waiting_longest  # the stuck one is on top
            assert "stuck first" in str(screen.query_one("#status").render())

    run(scenario())
