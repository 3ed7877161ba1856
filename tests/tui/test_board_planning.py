"""Planning on the board (issue 15), driven with Pilot against a real server in a thread: `!` rush,
`H` hold (asks the reason) and release, `D` the due date, `n` a note, marks for `!`, `H` and `D`;
the card's RUSH badge, due day and hold; rush cards first in their column; the detail's timeline."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Coroutine
from datetime import date, timedelta
from typing import Any

from rich.console import Console
from textual.widgets import Input, Static

from krafta_cli.client import KraftaClient
from tests.servers import Server
from tests.tui.pilot_helpers import RecordingBoard, board_screen, place_order, select_order, wait_until
from tui.screens.detail import DetailScreen
from tui.screens.plan import DueDialog, HoldDialog, NoteDialog

SIZE = (160, 40)


def run(scenario: Coroutine[Any, Any, None]) -> None:
    asyncio.run(scenario)


def _order(server: Server, order_id: str) -> dict[str, Any]:
    with server.client(server.admin_token) as http:
        return http.get(f"/api/orders/{order_id}").json()["order"]  # type: ignore[no-any-return]


def _card(screen: Any, number: str) -> Any:
    return next(o for column in screen.columns for o in column.orders if o.number == number)


async def _type(pilot: Any, text: str) -> None:
    for char in text:
        await pilot.press(char if char.isalnum() else {"+": "plus", " ": "space", "-": "minus"}[char])


def test_rush_hold_due_and_note_from_the_keys(sqlite_server: Server) -> None:
    city = f"Coro-{uuid.uuid4().hex[:6]}"
    older, newer = (place_order(sqlite_server, "CONFIRMED", shippingCity=city) for _ in range(2))
    numbers = [older["orderNumber"], newer["orderNumber"]]

    async def scenario() -> None:
        app = RecordingBoard(
            KraftaClient(sqlite_server.url, sqlite_server.admin_token), refresh_interval=None
        )
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: set(numbers) <= set(screen.numbers_in("CONFIRMED")), what="both")
            column = list(screen.numbers_in("CONFIRMED"))
            assert column.index(numbers[0]) < column.index(numbers[1])  # oldest on top

            await select_order(pilot, numbers[1])
            await pilot.press("exclamation_mark")
            await wait_until(
                pilot, lambda: _order(sqlite_server, newer["orderId"])["priority"] == "rush", what="rush"
            )
            # The live event brings it back: the rush card goes first in its column, with its badge.
            await wait_until(pilot, lambda: _card(screen, numbers[1]).rush, what="the card says RUSH")
            column = list(screen.numbers_in("CONFIRMED"))
            assert column.index(numbers[1]) < column.index(numbers[0])

            await select_order(pilot, numbers[0])
            await pilot.press("H")
            await wait_until(pilot, lambda: isinstance(app.screen, HoldDialog), what="the hold dialog")
            await _type(pilot, "mat")
            app.screen.query_one("#note", Input).value = "no blanks"
            await pilot.press("enter")
            await wait_until(
                pilot,
                lambda: (_order(sqlite_server, older["orderId"])["hold"] or {}).get("reason") == "MATERIAL",
                what="held on the server",
            )
            await wait_until(
                pilot, lambda: _card(screen, numbers[0]).hold == "MATERIAL", what="the card held"
            )

            await pilot.press("D")
            await wait_until(pilot, lambda: isinstance(app.screen, DueDialog), what="the due dialog")
            await _type(pilot, "+3")
            await pilot.press("enter")
            day = (date.today() + timedelta(days=3)).isoformat()
            await wait_until(
                pilot, lambda: _order(sqlite_server, older["orderId"])["dueAt"] == day, what="due"
            )

            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, NoteDialog), what="the note dialog")
            app.screen.query_one("#text", Input).value = "supplier comes thursday"
            await pilot.press("enter")
            await wait_until(
                pilot,
                lambda: (
                    _order(sqlite_server, older["orderId"])["history"][-1].get("note")
                    == "supplier comes thursday"
                ),
                what="the note",
            )

            await pilot.press("H")  # held: H releases, without a question
            await wait_until(
                pilot, lambda: _order(sqlite_server, older["orderId"])["hold"] is None, what="released"
            )
            await wait_until(pilot, lambda: _card(screen, numbers[0]).hold is None, what="the card released")

            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the detail")
            detail = app.screen
            assert isinstance(detail, DetailScreen)
            await wait_until(pilot, lambda: detail.order is not None, what="the order")
            await pilot.pause()
            console = Console(width=150, record=True, file=io.StringIO())
            console.print(detail.query_one("#order", Static).content)
            shown = console.export_text()
            for fragment in ("supplier comes thursday", "hold", "release", "due", "MATERIAL: no blanks"):
                assert fragment in shown, shown

        kinds = [e["kind"] for e in _order(sqlite_server, older["orderId"])["history"]]
        assert kinds[-4:] == ["hold", "due", "note", "release"], kinds

    run(scenario())


def test_marked_cards_take_rush_hold_and_due_together(sqlite_server: Server) -> None:
    city = f"Tucacas-{uuid.uuid4().hex[:6]}"
    orders = [place_order(sqlite_server, "IN_PRODUCTION", shippingCity=city) for _ in range(3)]
    numbers = [o["orderNumber"] for o in orders]

    async def scenario() -> None:
        app = RecordingBoard(
            KraftaClient(sqlite_server.url, sqlite_server.admin_token), refresh_interval=None
        )
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await wait_until(
                pilot, lambda: set(numbers) <= set(screen.numbers_in("IN_PRODUCTION")), what="all"
            )
            for number in numbers[:2]:
                await select_order(pilot, number)
                await pilot.press("space")
            await pilot.press("exclamation_mark")
            await wait_until(
                pilot,
                lambda: (
                    [_order(sqlite_server, o["orderId"])["priority"] for o in orders]
                    == ["rush", "rush", "normal"]
                ),
                what="the two marked are rush",
            )
            await pilot.press("H")
            await wait_until(pilot, lambda: isinstance(app.screen, HoldDialog), what="one hold dialog")
            await _type(pilot, "artwork")
            await pilot.press("enter")
            await wait_until(
                pilot,
                lambda: (
                    [bool(_order(sqlite_server, o["orderId"])["hold"]) for o in orders] == [True, True, False]
                ),
                what="the two marked held",
            )
            third = _order(sqlite_server, orders[2]["orderId"])["dueAt"]
            assert third is not None  # set when it was confirmed
            await pilot.press("D")
            await wait_until(pilot, lambda: isinstance(app.screen, DueDialog), what="one due dialog")
            await _type(pilot, "tomorrow")
            await pilot.press("enter")
            tomorrow = (date.today() + timedelta(days=1)).isoformat()
            await wait_until(
                pilot,
                lambda: (
                    [_order(sqlite_server, o["orderId"])["dueAt"] for o in orders]
                    == [tomorrow, tomorrow, third]
                ),
                what="the two marked due tomorrow, the third as its confirmation set it",
            )
            await wait_until(
                pilot, lambda: _card(screen, numbers[0]).due is not None, what="the card's due day"
            )

    run(scenario())
