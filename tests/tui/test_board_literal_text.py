"""Issue 14: the board shows every string the server sends as literal text, never as markup.

Against a real server (uvicorn in a thread, SQLite) holding orders, a product and an admin account
whose every text field carries rich markup (`[/close]`, `[link=…]`, `[bold red]PAID[/]`), an OSC 8
escape and bidi / zero-width characters (tests/hostile_text.py), the hostile admin runs the board:
cards, the status line, the detail screen, the confirm, cancel and hand-over dialogs, the production
batches and the toast of a hand-over to a courier typed as markup. What Textual writes to the
terminal (the compositor's full repaint) must hold the markup as typed and nothing a terminal
would act on. On main the detail of such an order closed the board with a MarkupError.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from krafta_cli.client import KraftaClient
from tests.conftest import started
from tests.hostile_text import (
    CLOSE,
    COURIER,
    DETAIL,
    EMAIL_SHOWN,
    PAID,
    HostileShop,
    assert_inert,
    hostile_shop,
    shown,
    visible,
)
from tests.servers import ThreadedServer
from tests.tui.pilot_helpers import RecordingBoard, board_screen, select_order, server_status, wait_until
from tests.tui.test_board_escapes import terminal_output
from tui.screens.batches import BatchesScreen
from tui.screens.cancel_note import CancelDialog
from tui.screens.confirm import ConfirmDialog
from tui.screens.detail import DetailScreen

# Wide and tall enough that the detail's panels show whole, unwrapped.
SIZE = (260, 120)


@pytest.fixture(scope="module")
def shop(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ThreadedServer, HostileShop]]:
    server = started(ThreadedServer, "sqlite", request, tmp_path_factory)
    yield server, hostile_shop(server)
    server.stop()


def screen_text(app: RecordingBoard, where: str) -> str:
    """The terminal's bytes for the screen on top, checked inert, as plain text."""
    output = terminal_output(app)
    assert_inert(output, where)
    return visible(output)


def test_every_board_surface_shows_hostile_text_as_typed(shop: tuple[ThreadedServer, HostileShop]) -> None:
    server, made = shop
    ready, handed = made.ready, made.handed

    async def scenario() -> None:
        app = RecordingBoard(KraftaClient(server.url, made.token), refresh_interval=None)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            board = board_screen(app)
            await wait_until(pilot, lambda: ready["orderNumber"] in board.numbers_in("READY"), what="cards")
            await pilot.pause()
            text = screen_text(app, "board")
            # A card is narrow: its place line starts with the city, markup included.
            assert f"Caracas{CLOSE}" in text, text
            assert EMAIL_SHOWN in text  # the status line names who is logged in

            await select_order(pilot, handed["orderNumber"])
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), what="detail")
            detail = app.screen
            assert isinstance(detail, DetailScreen)
            await wait_until(pilot, lambda: detail.order is not None, what="the order")
            await pilot.pause()
            text = screen_text(app, "detail")
            for expected in DETAIL:
                assert expected in text, (expected, text)
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is board, what="the board")

            await pilot.press("b")
            await wait_until(pilot, lambda: isinstance(app.screen, BatchesScreen), what="batches")
            batches = app.screen
            assert isinstance(batches, BatchesScreen)
            await wait_until(pilot, lambda: bool(batches.batches), what="the batches")
            await pilot.pause()
            assert f"Franela{CLOSE}" in screen_text(app, "batches")
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is board, what="the board")

            # The cancel dialog names the order; nothing is sent on escape.
            confirmed = made.confirmed
            await select_order(pilot, confirmed["orderNumber"])
            await pilot.press("c")
            await wait_until(pilot, lambda: isinstance(app.screen, CancelDialog), what="cancel dialog")
            await pilot.pause()
            assert confirmed["orderNumber"] in screen_text(app, "cancel dialog")
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is board, what="the board")

            # Hand the READY order over to a courier typed as markup: dialog, form, toast.
            await select_order(pilot, ready["orderNumber"])
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
            await pilot.pause()
            assert ready["orderNumber"] in screen_text(app, "confirm dialog")
            await pilot.press("y")
            await wait_until(pilot, lambda: len(app.screen.query("Input")) >= 2, what="the hand-over form")
            courier, tracking = list(app.screen.query("Input"))[:2]
            courier.value = COURIER  # type: ignore[attr-defined]
            tracking.value = "T-77"  # type: ignore[attr-defined]
            screen_text(app, "hand-over form")
            tracking.focus()
            await pilot.press("enter", "enter")
            await wait_until(
                pilot,
                lambda: server_status(server, ready["id"]) == "HANDED_TO_DELIVERY",
                what="handed over",
            )
            await wait_until(pilot, lambda: any(COURIER in m for _, m in app.notices), what="the toast")
            await pilot.pause(0.3)
            text = screen_text(app, "toast")
            # The toast wraps its line at its width: "… (MRW[/close][bold" / "red]PAID[/] · tracking T-77)".
            assert "(MRW[/close][bold" in text and "red]PAID[/] · tracking T-77)" in text, text
            assert app.is_running

    asyncio.run(scenario())


def test_shown_is_what_the_fields_say(shop: tuple[ThreadedServer, HostileShop]) -> None:
    # The fixture's orders really carry the attacks (a server that stripped them would make the
    # test above prove nothing).
    _, made = shop
    order: dict[str, Any] = made.confirmed
    assert order["shippingCity"].startswith(f"Caracas{CLOSE}") and "\u202e" in order["shippingCity"]
    assert PAID in order["payments"][0]["payerName"]
    assert shown("Caracas").startswith(f"Caracas{CLOSE}")
