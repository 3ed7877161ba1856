"""Issue 19, finding 3: a mark is a promise about one status. Driven with Pilot against the app under
uvicorn in a thread, the board following the live stream as `krafta board` does."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from typing import Any

from krafta_cli.client import KraftaClient
from tests.servers import Server
from tests.tui.pilot_helpers import (
    RecordingBoard,
    board_screen,
    move,
    place_order,
    select_order,
    server_status,
    wait_until,
)
from tui.screens.confirm import ConfirmDialog

SIZE = (160, 40)


def run(scenario: Coroutine[Any, Any, None]) -> None:
    asyncio.run(scenario)


def test_a_marked_order_someone_else_moves_is_unmarked_and_listed_never_retargeted(
    sqlite_server: Server,
) -> None:
    city = f"Siquisique-{uuid.uuid4().hex[:6]}"
    order = place_order(sqlite_server, "REPORTED", shippingCity=city)
    number = order["orderNumber"]

    async def scenario() -> None:
        app = RecordingBoard(KraftaClient(sqlite_server.url, sqlite_server.admin_token), refresh_interval=5.0)
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.connection.streaming, what="the live stream")
            await wait_until(pilot, lambda: number in screen.numbers_in("REPORTED"), what="the order")
            await pilot.press("slash", *city, "enter")  # only this order on the board
            await select_order(pilot, number)
            await pilot.press("space")
            assert [o.number for o in screen.marked_orders()] == [number]

            # A colleague checks the payment meanwhile.
            move(sqlite_server, order["orderId"], "REPORTED", "CONFIRMED")
            await wait_until(pilot, lambda: number in screen.numbers_in("CONFIRMED"), what="the live event")
            await wait_until(
                pilot,
                lambda: any(f"{number}: moved by someone else: now CONFIRMED" in m for _, m in app.notices),
                what=f"the unmarked order listed, notices: {app.notices}",
            )
            assert screen.marked_orders() == []
            assert "marked" not in str(screen.query_one("#status").render())

            # `a` no longer means "confirm that order": it is not carried to IN PRODUCTION.
            await pilot.press("a")
            await pilot.pause()
            question = app.screen.question if isinstance(app.screen, ConfirmDialog) else ""
            assert number not in question, question
            await pilot.pause(0.2)
            assert server_status(sqlite_server, order["orderId"]) == "CONFIRMED"

    run(scenario())
