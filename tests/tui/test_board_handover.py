"""Issue 19, finding 1 (and the board's part of 2): the hand-over as its own step, driven with Pilot
against the app under uvicorn in a thread.

`a` then `y` confirms every move, a hand-over too, and only then does the form open, so a `y`
never lands in a field; a scanner's burst keeps its Tab; each parcel gets its own tracking number.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from typing import Any

from textual import events
from textual.widgets import Input

from krafta_cli.client import KraftaClient
from tests.servers import Server
from tests.tui.pilot_helpers import (
    RecordingBoard,
    board_screen,
    burst,
    place_order,
    select_order,
    server_status,
    wait_until,
)
from tui.screens.confirm import ConfirmDialog

SIZE = (120, 40)


def run(scenario: Coroutine[Any, Any, None]) -> None:
    asyncio.run(scenario)


def board(server: Server) -> RecordingBoard:
    return RecordingBoard(KraftaClient(server.url, server.admin_token), refresh_interval=None)


def delivery(server: Server, order_id: str) -> dict[str, Any] | None:
    with server.client(server.admin_token) as http:
        found: dict[str, Any] | None = http.get(f"/api/orders/{order_id}").json()["order"]["delivery"]
    return found


def fields(app: RecordingBoard) -> list[Input]:
    """The text fields on the screen on top, in order (courier, tracking, courier, …)."""
    return list(app.screen.query(Input))


def all_handed_over(server: Server, orders: list[dict[str, Any]]) -> bool:
    return all(server_status(server, o["orderId"]) == "HANDED_TO_DELIVERY" for o in orders)


def ready_orders(server: Server, count: int) -> list[dict[str, Any]]:
    city = f"Tocuyo-{uuid.uuid4().hex[:6]}"
    return [place_order(server, "READY", shippingCity=city) for _ in range(count)]


async def open_handover(pilot: Any, app: RecordingBoard, numbers: list[str]) -> None:
    """Mark `numbers` (or select the one), then `a` and `y`, and wait for the form."""
    screen = board_screen(app)
    await wait_until(pilot, lambda: set(numbers) <= set(screen.numbers_in("READY")), what="orders on board")
    for number in numbers:
        await select_order(pilot, number)
        if len(numbers) > 1:
            await pilot.press("space")
    await pilot.press("a", "y")
    await wait_until(pilot, lambda: bool(fields(app)), what="the hand-over form")


def test_a_then_y_confirms_a_handover_and_types_nothing(sqlite_server: Server) -> None:
    (order,) = ready_orders(sqlite_server, 1)

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: order["orderNumber"] in screen.numbers_in("READY"), what="order")
            await select_order(pilot, order["orderNumber"])
            await pilot.press("a")
            # The same yes/no question as every other move; it says what comes next.
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the confirmation")
            assert "Next: the courier and a tracking number" in app.screen.question  # type: ignore[attr-defined]
            await pilot.press("y")
            await wait_until(pilot, lambda: bool(fields(app)), what="the hand-over form")
            assert [f.value for f in fields(app)] == ["", ""], "the y went into a field"
            assert app.screen.focused is fields(app)[1]  # the tracking number: where a scanner writes
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is screen, what="back on the board")
            await app.workers.wait_for_complete()
            assert server_status(sqlite_server, order["orderId"]) == "READY"  # backing out moves nothing

    run(scenario())


def test_a_scanners_burst_keeps_its_tab(sqlite_server: Server) -> None:
    (order,) = ready_orders(sqlite_server, 1)

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            await open_handover(pilot, app, [order["orderNumber"]])
            courier, tracking = fields(app)[:2]
            courier.value = ""
            courier.focus()
            await pilot.pause()
            # Keys faster than the board handles them: before, the digits behind the Tab were
            # already queued for the courier field ("Zoom888").
            await burst(pilot, "Zoom\t888")
            await wait_until(pilot, lambda: tracking.value == "888", what=f"888; courier {courier.value!r}")
            assert courier.value == "Zoom"
            await burst(pilot, "\r\r")  # the scanner's Enter: to the button, whose Enter hands over
            await wait_until(
                pilot,
                lambda: server_status(sqlite_server, order["orderId"]) == "HANDED_TO_DELIVERY",
                what="handed over",
            )
            assert delivery(sqlite_server, order["orderId"]) == {
                "courier": "Zoom",
                "trackingNumber": "888",
                "handedAt": delivery(sqlite_server, order["orderId"])["handedAt"],  # type: ignore[index]
            }

    run(scenario())


def test_each_parcel_gets_its_own_tracking_number_and_the_courier_follows(sqlite_server: Server) -> None:
    orders = ready_orders(sqlite_server, 3)
    numbers = [o["orderNumber"] for o in orders]

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            await open_handover(pilot, app, numbers)
            assert len(fields(app)) == 6  # one row (courier, tracking) per marked card
            await pilot.press("shift+tab", *"Tealca")  # the first row's courier; the others follow
            await wait_until(pilot, lambda: [f.value for f in fields(app)[::2]] == ["Tealca"] * 3)
            await pilot.press("tab")
            await burst(pilot, "TR-1\rTR-2\rTR-3\r")  # three parcels scanned in a row
            await wait_until(pilot, lambda: [f.value for f in fields(app)[1::2]] == ["TR-1", "TR-2", "TR-3"])
            await pilot.press("enter")  # the last scan's Enter went to the button
            await wait_until(
                pilot,
                lambda: all_handed_over(sqlite_server, orders),
                what="three handed over",
            )
            handed = [delivery(sqlite_server, o["orderId"]) or {} for o in orders]
            assert [(d["courier"], d["trackingNumber"]) for d in handed] == [
                ("Tealca", "TR-1"),
                ("Tealca", "TR-2"),
                ("Tealca", "TR-3"),
            ]

            # The next hand-over starts with the courier used last.
            (other,) = ready_orders(sqlite_server, 1)
            await board_screen(app).connection.workers.wait_for_complete()
            board_screen(app).request_refresh()
            await open_handover(pilot, app, [other["orderNumber"]])
            assert fields(app)[0].value == "Tealca"

    run(scenario())


def test_one_number_for_two_parcels_is_refused_and_a_pasted_column_fills_rows(sqlite_server: Server) -> None:
    orders = ready_orders(sqlite_server, 2)
    numbers = [o["orderNumber"] for o in orders]

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            await open_handover(pilot, app, numbers)
            form = app.screen
            await burst(pilot, "555\r555\r")
            await pilot.press("enter")
            await wait_until(pilot, lambda: "one per parcel" in str(form.query_one("#missing").render()))
            assert app.screen is form  # still asking
            assert all(server_status(sqlite_server, o["orderId"]) == "READY" for o in orders)
            # A column copied from a spreadsheet, pasted into the first tracking field.
            for field in fields(app)[1::2]:
                field.value = ""
            fields(app)[1].focus()
            await pilot.pause()
            fields(app)[1].post_message(events.Paste("A-1\nA-2\n"))
            await wait_until(pilot, lambda: [f.value for f in fields(app)[1::2]] == ["A-1", "A-2"])
            await pilot.press("enter")
            await wait_until(
                pilot,
                lambda: all_handed_over(sqlite_server, orders),
                what="both handed over",
            )
            tracked = [(delivery(sqlite_server, o["orderId"]) or {})["trackingNumber"] for o in orders]
            assert tracked == ["A-1", "A-2"]

    run(scenario())


def test_a_mixed_move_asks_only_for_the_handovers_and_escape_moves_none(sqlite_server: Server) -> None:
    city = f"Carache-{uuid.uuid4().hex[:6]}"
    confirmed = place_order(sqlite_server, "CONFIRMED", shippingCity=city)
    ready = place_order(sqlite_server, "READY", shippingCity=city)

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: ready["orderNumber"] in screen.numbers_in("READY"), what="orders")
            for order in (confirmed, ready):
                await select_order(pilot, order["orderNumber"])
                await pilot.press("space")
            await pilot.press("a", "y")
            await wait_until(pilot, lambda: bool(fields(app)), what="the hand-over form")
            assert len(fields(app)) == 2  # one row: the READY order only
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is screen, what="back on the board")
            await app.workers.wait_for_complete()
            assert server_status(sqlite_server, confirmed["orderId"]) == "CONFIRMED"
            assert server_status(sqlite_server, ready["orderId"]) == "READY"

            await pilot.press("a", "y")
            await wait_until(pilot, lambda: bool(fields(app)), what="the form again")
            await pilot.press(*"T-9", "enter", "enter")
            await wait_until(
                pilot,
                lambda: server_status(sqlite_server, ready["orderId"]) == "HANDED_TO_DELIVERY",
                what="handed over",
            )
            assert server_status(sqlite_server, confirmed["orderId"]) == "IN_PRODUCTION"
            assert (delivery(sqlite_server, ready["orderId"]) or {})["trackingNumber"] == "T-9"

    run(scenario())
