"""Keys a newcomer tried (issue 10) on fixed orders (MockTransport): filter then enter, enter on an
empty column, `t` at 160 columns, `a`/`c` on the detail screen."""

from __future__ import annotations

import asyncio
from typing import Any

from krafta_cli.client import KraftaClient
from tests.tui.fake_shop import FakeShop, frozen_clock
from tests.tui.pilot_helpers import RecordingBoard, board_screen, wait_until
from tui.screens.cancel_note import CancelDialog
from tui.screens.confirm import ConfirmDialog
from tui.screens.detail import DetailScreen


def make_app(shop: FakeShop) -> RecordingBoard:
    client = KraftaClient("http://krafta.test", token="t", transport=shop.transport())
    return RecordingBoard(client, clock=frozen_clock, refresh_interval=None)


def run(scenario: Any) -> None:
    asyncio.run(scenario)


def test_filter_selects_the_first_visible_card_and_enter_opens_it() -> None:
    shop = FakeShop()

    async def scenario() -> None:
        app = make_app(shop)
        async with app.run_test(size=(160, 40)) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="load")
            assert screen.active_column is not None and screen.active_column.status == "REPORTED"
            # Cumaná's order is IN_PRODUCTION: the REPORTED column goes empty under the filter.
            await pilot.press("slash", *"cumana", "enter")
            await pilot.pause()
            selected = screen.selected
            assert selected is not None and selected.place.startswith("Cumaná"), selected
            assert screen.active_column is not None and screen.active_column.status == "IN_PRODUCTION"
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), what="detail")
            detail = app.screen
            assert isinstance(detail, DetailScreen) and detail.number == selected.number

    run(scenario())


def test_enter_on_an_empty_column_says_so() -> None:
    shop = FakeShop([o for o in FakeShop().orders if o["status"] != "READY"])

    async def scenario() -> None:
        app = make_app(shop)
        async with app.run_test(size=(160, 40)) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="load")
            await pilot.press("right", "right", "right")
            assert screen.active_column is not None and screen.active_column.status == "READY"
            assert screen.selected is None
            await pilot.press("enter")
            await pilot.pause()
            assert not isinstance(app.screen, DetailScreen)
            assert ("warning", "No order in the READY column.") in app.notices

    run(scenario())


def test_t_at_160_columns_shows_all_seven_statuses() -> None:
    async def scenario() -> None:
        app = make_app(FakeShop())
        async with app.run_test(size=(160, 40)) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="load")
            await pilot.press("t")
            await wait_until(pilot, lambda: len(screen.columns) == 7 and screen.refreshes >= 2, what="closed")
            await pilot.pause()
            row = screen.query_one("#columns")
            assert row.max_scroll_x == 0, "all seven fit: nothing to scroll to"
            for column in screen.columns:
                region = column.region
                assert region.width >= 22 and region.right <= 160, (column.status, region)
            assert screen.columns[-1].status == "CANCELLED" and screen.columns[-1].orders

    run(scenario())


def test_detail_screen_advances_and_cancels() -> None:
    shop = FakeShop()

    async def scenario() -> None:
        app = make_app(shop)
        async with app.run_test(size=(160, 40)) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="load")
            await pilot.press("right")  # CONFIRMED
            order = screen.selected
            assert order is not None and order.status == "CONFIRMED"
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), what="detail")
            detail = app.screen
            assert isinstance(detail, DetailScreen)
            await wait_until(pilot, lambda: detail.order is not None, what="the order")

            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
            await pilot.press("y")
            await wait_until(pilot, lambda: bool(shop.puts), what="the move")
            assert shop.puts[-1] == {
                "orderId": order.id, "status": "IN_PRODUCTION", "expectedStatus": "CONFIRMED",
            }  # fmt: skip
            await wait_until(pilot, lambda: detail.status == "IN_PRODUCTION", what="detail shows the move")
            assert app.screen is detail  # the operator stays on the order

            await pilot.press("c")
            await wait_until(pilot, lambda: isinstance(app.screen, CancelDialog), what="cancel dialog")
            await pilot.press(*"cliente desistió", "enter")
            await wait_until(pilot, lambda: len(shop.puts) == 2, what="the cancellation")
            assert shop.puts[-1] == {
                "orderId": order.id, "status": "CANCELLED", "expectedStatus": "IN_PRODUCTION",
                "note": "cliente desistió",
            }  # fmt: skip
            await wait_until(pilot, lambda: detail.status == "CANCELLED", what="cancelled")
            # The board behind was refreshed after each move.
            await pilot.press("escape")
            await wait_until(
                pilot, lambda: order.number not in screen.numbers_in("CONFIRMED"), what="board refreshed"
            )

    run(scenario())


def test_connect_runs_before_the_first_load_with_the_board_on_screen() -> None:
    """`krafta demo`'s path: no token yet; `connect` (wait for the server, get a token) runs in the worker."""
    shop = FakeShop()
    client = KraftaClient("http://krafta.test", transport=shop.transport())
    seen_before: list[int] = []

    def connect() -> None:
        seen_before.append(len(shop.requests))
        client.token = "from-connect"

    async def scenario() -> None:
        app = RecordingBoard(client, clock=frozen_clock, refresh_interval=None, connect=connect)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="load")
            assert seen_before == [0]  # nothing was asked of the server before connect
            assert screen.numbers_in("CONFIRMED") and app.connect_error is None
            assert app.screen is screen  # no login screen was asked for

    run(scenario())


def test_a_failed_connect_ends_the_app_with_the_error() -> None:
    client = KraftaClient("http://krafta.test", transport=FakeShop().transport())

    def connect() -> None:
        raise RuntimeError("the demo server exited")

    async def scenario() -> None:
        app = RecordingBoard(client, clock=frozen_clock, refresh_interval=None, connect=connect)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_until(pilot, lambda: app.connect_error is not None, what="the failure")
        assert str(app.connect_error) == "the demo server exited" and app.return_code == 1

    run(scenario())
