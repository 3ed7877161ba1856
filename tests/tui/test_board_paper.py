"""The board's paper keys against a real `krafta serve`, driven with Pilot: `p` writes job tickets
for the marked cards (or the selected one) to a file and says where; `:` opens a scan field that
moves each scanned order one step and stays open for the next scan."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from krafta_cli.client import KraftaClient
from tests.pdf_pages import decode_pages
from tests.servers import Server
from tests.tui.pilot_helpers import (
    RecordingBoard,
    board_screen,
    place_order,
    select_order,
    server_status,
    wait_until,
)
from tui.screens.scan import ScanScreen

SIZE = (160, 40)


class BellBoard(RecordingBoard):
    """The board, counting the bells it rang."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bells = 0

    def bell(self) -> None:
        self.bells += 1
        super().bell()


def run(scenario: Coroutine[Any, Any, None]) -> None:
    asyncio.run(scenario)


def board(server: Server) -> BellBoard:
    return BellBoard(KraftaClient(server.url, server.taller_token), refresh_interval=None)


def _delivery(server: Server, order_id: str) -> dict[str, Any] | None:
    with server.client(server.admin_token) as http:
        delivery: dict[str, Any] | None = http.get(f"/api/orders/{order_id}").json()["order"]["delivery"]
    return delivery


def test_p_prints_the_selected_card_then_the_marked_ones_to_files(
    sqlite_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    orders = [place_order(sqlite_server, "CONFIRMED") for _ in range(3)]
    numbers = [o["orderNumber"] for o in orders]
    today = date.today().isoformat()

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await wait_until(
                pilot, lambda: set(numbers) <= set(screen.numbers_in("CONFIRMED")), what="orders"
            )
            await select_order(pilot, numbers[0])
            await pilot.press("p")
            await wait_until(pilot, lambda: any("→" in m for _, m in app.notices), what="the first file")
            for number in numbers[1:]:
                await select_order(pilot, number)
                await pilot.press("space")
            await pilot.press("p")
            await wait_until(
                pilot, lambda: sum("→" in m for _, m in app.notices) == 2, what="the second file"
            )

        first, second = tmp_path / f"tickets-{today}.pdf", tmp_path / f"tickets-{today}-2.pdf"
        assert [m for _, m in app.notices if "→" in m] == [f"1 ticket → {first}", f"2 tickets → {second}"]
        assert [p.code128 for p in decode_pages(first.read_bytes(), 203)] == [[numbers[0]]]
        assert sorted(p.code128[0] for p in decode_pages(second.read_bytes(), 203)) == sorted(numbers[1:])

    run(scenario())


def test_the_scan_field_moves_each_scan_once_and_stays_open(sqlite_server: Server) -> None:
    confirmed = place_order(sqlite_server, "CONFIRMED")
    ready = place_order(sqlite_server, "READY")

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("colon")
            await wait_until(pilot, lambda: isinstance(app.screen, ScanScreen), what="the scan field")
            scan = app.screen
            assert isinstance(scan, ScanScreen)
            # A scanner types fast: the whole QR payload and enter, then the next one.
            for typed in (f"{confirmed['orderNumber']}|1x Franela blanca", confirmed["orderNumber"]):
                await pilot.press(*typed, "enter")
            await wait_until(pilot, lambda: len(scan.lines) == 2, what="two answers")
            # The courier field: a hand-over, then its tracking number.
            scan.query_one("#scan-courier", Input).value = "MRW"
            scan.query_one("#scan-input", Input).focus()
            await pilot.press(*ready["orderNumber"], "enter", *"MRW-555", "enter")
            await wait_until(pilot, lambda: len(scan.lines) == 4, what="the hand-over")
            assert isinstance(app.screen, ScanScreen)
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, ScanScreen)

        number = confirmed["orderNumber"]
        assert [line.text for line in scan.lines] == [
            f"{number}: CONFIRMED → IN_PRODUCTION",
            f"{number}: already moved to IN_PRODUCTION by this station",
            f"{ready['orderNumber']}: READY → HANDED_TO_DELIVERY with MRW: scan its tracking number",
            f"{ready['orderNumber']}: READY → HANDED_TO_DELIVERY (MRW · tracking MRW-555)",
        ]
        assert app.bells == 1
        assert server_status(sqlite_server, confirmed["orderId"]) == "IN_PRODUCTION"
        delivery = _delivery(sqlite_server, ready["orderId"])
        assert delivery is not None and delivery["trackingNumber"] == "MRW-555"

    run(scenario())
