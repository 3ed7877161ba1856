"""The offline banner: a server of its own, stopped and started again while the board watches."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from krafta_cli.client import KraftaClient
from tests.servers import LiveServer
from tests.tui.pilot_helpers import RecordingBoard, board_screen, place_order, wait_until
from tui.widgets.banner import OfflineBanner


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LiveServer]:
    """Not the shared module server: this test stops it."""
    live = LiveServer(f"sqlite:///{tmp_path / 'krafta.db'}", tmp_path)
    live.start()
    live.bootstrap()
    yield live
    live.stop()


def test_offline_banner_while_the_server_is_down_and_cleared_when_it_answers(own_server: LiveServer) -> None:
    created = place_order(own_server, "CONFIRMED")
    number = created["orderNumber"]

    async def scenario() -> None:
        client = KraftaClient(own_server.url, own_server.admin_token, timeout=2)
        app = RecordingBoard(client, refresh_interval=0.5)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = board_screen(app)
            banner = screen.query_one("#offline", OfflineBanner)
            await wait_until(pilot, lambda: number in screen.numbers_in("CONFIRMED"), what="first paint")
            assert not banner.display

            await asyncio.to_thread(own_server.stop)
            await wait_until(pilot, lambda: bool(banner.display), what="offline banner")
            assert app.offline
            assert "offline — retrying" in str(banner.render())
            # The last known orders stay on screen, and the keys still answer.
            assert number in screen.numbers_in("CONFIRMED")
            await pilot.press("right")
            assert screen.active_column is not None and screen.active_column.status == "CONFIRMED"
            # A banner, not a pile of toasts: one per retry would bury the board.
            await pilot.pause(1.2)
            assert not [m for _, m in app.notices if "offline" in m]

            await asyncio.to_thread(own_server.start)
            await wait_until(pilot, lambda: not banner.display, what="banner cleared", timeout=20)
            assert not app.offline
            assert number in screen.numbers_in("CONFIRMED")

    asyncio.run(scenario())


def test_a_refresh_keeps_the_selection_and_shows_new_orders(own_server: LiveServer) -> None:
    first = place_order(own_server, "CONFIRMED")
    second = place_order(own_server, "CONFIRMED")

    async def scenario() -> None:
        client = KraftaClient(own_server.url, own_server.admin_token)
        app = RecordingBoard(client, refresh_interval=0.5)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = board_screen(app)
            await wait_until(
                pilot, lambda: second["orderNumber"] in screen.numbers_in("CONFIRMED"), what="paint"
            )
            # Open columns list the longest-waiting order first: `first` is on top; select `second`.
            await pilot.press("right", "down")
            selected = screen.selected
            assert selected is not None and selected.number == second["orderNumber"]
            third = await asyncio.to_thread(place_order, own_server, "CONFIRMED")
            await wait_until(
                pilot, lambda: third["orderNumber"] in screen.numbers_in("CONFIRMED"), what="auto-refresh"
            )
            # A new order arrived (at the bottom: it has waited least); the cursor stayed on the same
            # order, not the same row.
            selected = screen.selected
            assert selected is not None and selected.number == second["orderNumber"]
            assert screen.numbers_in("CONFIRMED")[-3:] == [first["orderNumber"], second["orderNumber"],
                                                          third["orderNumber"]]  # fmt: skip

    asyncio.run(scenario())


def test_a_move_while_the_server_is_down_gets_its_own_message(own_server: LiveServer) -> None:
    """Not folded into the offline banner: the operator asked for this move and must learn its fate."""
    created = place_order(own_server, "CONFIRMED")
    number = created["orderNumber"]

    async def scenario() -> None:
        client = KraftaClient(own_server.url, own_server.admin_token, timeout=2)
        app = RecordingBoard(client, refresh_interval=None)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: number in screen.numbers_in("CONFIRMED"), what="first paint")
            await pilot.press("right")
            selected = screen.selected
            assert selected is not None and selected.number == number
            await asyncio.to_thread(own_server.stop)
            await pilot.press("a")
            await pilot.pause()
            await pilot.press("y")
            await wait_until(pilot, lambda: any(number in m for _, m in app.notices), what="the failure")
            severity, message = next((s, m) for s, m in app.notices if number in m)
            assert (severity, message) == (
                "error",
                f"{number} was not moved: the server did not answer (connection refused)",
            )
            assert app.offline  # and the banner says the server is gone, as before

    asyncio.run(scenario())
