"""Helpers for driving the board with Textual's Pilot against a live server."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot

from krafta_cli.client import KraftaClient
from tests.helpers import create_order
from tui.app import BoardApp
from tui.screens.board import BoardScreen

if TYPE_CHECKING:
    from tests.servers import Server

__all__ = [
    "PIPELINE",
    "RecordingBoard",
    "board_screen",
    "burst",
    "move",
    "place_order",
    "select_order",
    "server_status",
    "wait_until",
]

PIPELINE = ["REPORTED", "CONFIRMED", "IN_PRODUCTION", "READY", "HANDED_TO_DELIVERY", "COMPLETED"]


class RecordingBoard(BoardApp):
    """The real app, also keeping every notification it showed so tests can read them."""

    def __init__(self, client: KraftaClient, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self.notices: list[tuple[str, str]] = []

    def notify(self, message: str, *, title: str = "", severity: Any = "information", **kwargs: Any) -> None:
        self.notices.append((str(severity), str(message)))
        super().notify(message, title=title, severity=severity, **kwargs)


def board_screen(app: BoardApp) -> BoardScreen:
    return app.board


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], bool], *, timeout: float = 15.0, what: str = ""
) -> None:
    """Let the app run until `condition()` holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await pilot.pause(0.05)
        await asyncio.sleep(0)


def move(server: Server, order_id: str, source: str, target: str, token: str | None = None) -> None:
    with server.client(token or server.admin_token) as http:
        response = http.put(
            "/api/orders", json={"orderId": order_id, "status": target, "expectedStatus": source}
        )
    assert response.status_code == 200, response.text


def place_order(server: Server, status: str, **overrides: Any) -> dict[str, Any]:
    """Create an order over HTTP and advance it (as the admin) until it is in `status`."""
    created = create_order(server, **overrides)
    for source, target in itertools.pairwise(PIPELINE):
        if source == status:
            break
        move(server, created["orderId"], source, target)
    return created


def server_status(server: Server, order_id: str) -> str:
    with server.client(server.admin_token) as http:
        response = http.get(f"/api/orders/{order_id}")
    assert response.status_code == 200, response.text
    return response.json()["order"]["status"]


async def select_order(pilot: Pilot[Any], number: str) -> None:
    """Put the cursor on `number` the way an operator would: arrow keys only."""
    screen = board_screen(pilot.app)  # type: ignore[arg-type]
    for col_index, column in enumerate(screen.columns):
        numbers = [o.number for o in column.orders]
        if number in numbers:
            await pilot.press(*(["left"] * len(screen.columns)), *(["right"] * col_index))
            await pilot.press(*(["up"] * len(numbers)), *(["down"] * numbers.index(number)))
            await pilot.pause()
            selected = screen.selected
            assert selected is not None and selected.number == number, selected
            return
    raise AssertionError(f"{number} is on no column of the board")


async def burst(pilot: Pilot[Any], text: str) -> None:
    """Type `text` as a barcode scanner or a paste without brackets does: every key handed to the
    app at once, with no wait between them (Pilot's `press` waits for each key to be handled).
    A tab is Tab, a line end is Enter."""
    app = pilot.app
    driver = app._driver
    assert driver is not None
    for char in text:
        if char == "\t":
            key, character = "tab", "\t"
        elif char in "\r\n":
            key, character = "enter", "\r"
        else:
            key, character = (char if char.isalnum() else _character_to_key(char)), char
        event = events.Key(key, character)
        event.set_sender(app)
        driver.send_message(event)
    await pilot.pause()
    await pilot.pause()
