"""The payment desk on the board, driven with Pilot against a real server (SQLite): `x` on a REPORTED
card asks the reason and rejects the payment; the reason is required; the detail lists the payment
with its reason."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.widgets import Input

from krafta_cli.client import KraftaClient
from tests.helpers import reference
from tests.servers import Server
from tests.tui.pilot_helpers import RecordingBoard, board_screen, place_order, select_order, wait_until
from tui.screens.cancel_note import ConfirmReusedDialog, RejectDialog

SIZE = (160, 40)
REASON = "no transfer with this reference"


def _order(server: Server, order_id: str) -> dict[str, Any]:
    with server.client(server.admin_token) as http:
        return dict(http.get(f"/api/orders/{order_id}").json()["order"])


def test_x_rejects_the_payment_with_the_reason_asked(sqlite_server: Server) -> None:
    created = place_order(sqlite_server, "REPORTED")
    number = created["orderNumber"]

    async def scenario() -> None:
        app = RecordingBoard(
            KraftaClient(sqlite_server.url, sqlite_server.admin_token), refresh_interval=None
        )
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: number in screen.numbers_in("REPORTED"), what="the card")
            await select_order(pilot, number)
            await pilot.press("x")
            await wait_until(pilot, lambda: isinstance(app.screen, RejectDialog), what="the dialog")
            await pilot.press("enter")  # no reason yet: refused in the dialog, nothing sent
            await pilot.pause()
            assert isinstance(app.screen, RejectDialog)
            app.screen.query_one("#note", Input).value = REASON
            await pilot.press("enter")
            await wait_until(
                pilot,
                lambda: _order(sqlite_server, created["orderId"])["status"] == "PENDING",
                what="the rejection",
            )

    asyncio.run(scenario())
    order = _order(sqlite_server, created["orderId"])
    assert [(p["status"], p["rejectReason"]) for p in order["payments"]] == [("REJECTED", REASON)]


def test_x_on_a_card_with_no_payment_to_reject_sends_nothing(sqlite_server: Server) -> None:
    created = place_order(sqlite_server, "CONFIRMED")

    async def scenario() -> None:
        app = RecordingBoard(
            KraftaClient(sqlite_server.url, sqlite_server.admin_token), refresh_interval=None
        )
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await wait_until(
                pilot, lambda: created["orderNumber"] in screen.numbers_in("CONFIRMED"), what="the card"
            )
            await select_order(pilot, created["orderNumber"])
            await pilot.press("x")
            await pilot.pause()
            assert not isinstance(app.screen, RejectDialog)

    asyncio.run(scenario())
    assert _order(sqlite_server, created["orderId"])["status"] == "CONFIRMED"


def test_confirming_a_reused_reference_asks_for_the_note_and_forces(sqlite_server: Server) -> None:
    digits = reference()
    first = place_order(sqlite_server, "REPORTED", payment={"reference": f"00{digits}"})
    second = place_order(sqlite_server, "REPORTED", payment={"reference": digits})

    async def scenario() -> None:
        app = RecordingBoard(
            KraftaClient(sqlite_server.url, sqlite_server.admin_token), refresh_interval=None
        )
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await wait_until(
                pilot, lambda: first["orderNumber"] in screen.numbers_in("REPORTED"), what="the card"
            )
            await select_order(pilot, first["orderNumber"])
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmReusedDialog), what="the dialog")
            app.screen.query_one("#note", Input).value = "both transfers are in the statement"
            await pilot.press("enter")
            await wait_until(
                pilot,
                lambda: _order(sqlite_server, first["orderId"])["status"] == "CONFIRMED",
                what="the confirmation",
            )

    asyncio.run(scenario())
    order = _order(sqlite_server, first["orderId"])
    assert order["history"][-1]["forced"] is True
    assert order["history"][-1]["note"] == "both transfers are in the statement"
    assert _order(sqlite_server, second["orderId"])["status"] == "REPORTED"
