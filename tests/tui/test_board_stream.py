"""The board follows the server's live event stream (a real `krafta serve`, driven with Pilot):
a move made through the API shows within a second without a key press; when the stream is
refused, the board polls instead and says so on its status line."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

import httpx
from textual.widgets import Static

from krafta_cli.client import KraftaClient
from tests.helpers import create_order
from tests.servers import Server
from tests.tui.pilot_helpers import RecordingBoard, board_screen, move, wait_until

SIZE = (160, 40)


def run(scenario: Coroutine[Any, Any, None]) -> None:
    asyncio.run(scenario)


def status_line(app: RecordingBoard) -> str:
    return str(board_screen(app).query_one("#status", Static).render())


def column_count(app: RecordingBoard, status: str) -> str:
    for column in board_screen(app).columns:
        if column.status == status:
            return str(column.border_subtitle)
    return ""


class RefuseEvents(httpx.BaseTransport):
    """A proxy that will not pass the event stream (503), and passes everything else."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/orders/events":
            self.refused += 1
            return httpx.Response(503, json={"success": False, "error": "event streams are not allowed here"})
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_a_move_through_the_api_shows_within_a_second_without_a_key(sqlite_server: Server) -> None:
    server = sqlite_server
    first = create_order(server)

    async def scenario() -> None:
        # A long poll interval: whatever shows within a second came by the stream.
        app = RecordingBoard(KraftaClient(server.url, server.admin_token), refresh_interval=60)
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1 and "live" in status_line(app), what="live")
            assert first["orderNumber"] in screen.numbers_in("REPORTED")
            reported_before = len(screen.numbers_in("REPORTED"))

            # A new REPORTED order appears for the admin.
            made = create_order(server)
            started = time.monotonic()
            await wait_until(
                pilot,
                lambda: made["orderNumber"] in screen.numbers_in("REPORTED"),
                timeout=3,
                what="new order",
            )
            assert time.monotonic() - started < 1.0
            assert column_count(app, "REPORTED") == str(reported_before + 1)

            # A move: the card changes column and both counts change.
            confirmed_before = len(screen.numbers_in("CONFIRMED"))
            move(server, made["orderId"], "REPORTED", "CONFIRMED")
            started = time.monotonic()
            await wait_until(
                pilot, lambda: made["orderNumber"] in screen.numbers_in("CONFIRMED"), timeout=3, what="moved"
            )
            took = time.monotonic() - started
            assert took < 1.0, f"{took:.2f}s"
            assert made["orderNumber"] not in screen.numbers_in("REPORTED")
            assert column_count(app, "REPORTED") == str(reported_before)
            assert column_count(app, "CONFIRMED") == str(confirmed_before + 1)
            assert screen.live_events >= 2
            # An order leaving the open pipeline leaves the board.
            move(server, first["orderId"], "REPORTED", "CANCELLED")
            await wait_until(
                pilot,
                lambda: first["orderNumber"] not in screen.numbers_in("REPORTED"),
                timeout=3,
                what="gone",
            )
            assert "live" in status_line(app)

    run(scenario())


def test_with_the_stream_refused_the_board_polls_and_says_so(sqlite_server: Server) -> None:
    server = sqlite_server
    transport = RefuseEvents()

    async def scenario() -> None:
        client = KraftaClient(server.url, server.admin_token, transport=transport)
        app = RecordingBoard(client, refresh_interval=0.5)
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="first load")
            await wait_until(pilot, lambda: transport.refused >= 1, what="the stream tried")
            assert "polling every 0.5 s (live stream unavailable)" in status_line(app)
            assert "live" not in status_line(app).replace("live stream", "")
            made = create_order(server)
            await wait_until(
                pilot, lambda: made["orderNumber"] in screen.numbers_in("REPORTED"), timeout=5, what="polled"
            )
            assert screen.live_events == 0
            # No error toast for a stream that is simply not available: polling is the answer.
            assert not [m for sev, m in app.notices if sev == "error"]

    run(scenario())
