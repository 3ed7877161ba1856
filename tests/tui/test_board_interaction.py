"""Mouse, narrow terminals and the footer, on fixed orders (MockTransport; no end-to-end claim)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Coroutine
from typing import Any

from rich.console import Console
from textual.widgets import Static

from krafta_cli.client import KraftaClient
from tests.tui.fake_shop import FakeShop, frozen_clock, make_order
from tests.tui.pilot_helpers import board_screen, wait_until
from tui.app import BoardApp
from tui.screens.detail import DetailScreen
from tui.widgets.card import CARD_HEIGHT
from tui.widgets.column import OrderColumn


def run(scenario: Coroutine[Any, Any, None]) -> None:
    asyncio.run(scenario)


def make_app(shop: FakeShop | None = None) -> BoardApp:
    client = KraftaClient("http://krafta.test", token="t", transport=(shop or FakeShop()).transport())
    return BoardApp(client, clock=frozen_clock, refresh_interval=None)


def test_click_selects_a_card_and_double_click_opens_it() -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(120, 36)) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="load")
            confirmed = screen.query_one("#col-confirmed", OrderColumn)
            # Third card of CONFIRMED: one row of border, then CARD_HEIGHT rows per card.
            await pilot.click(confirmed, offset=(5, 1 + 2 * CARD_HEIGHT + 1))
            assert screen.active_column is confirmed
            assert confirmed.cursor == 2
            selected = screen.selected
            assert selected is not None and selected.number == confirmed.orders[2].number
            await pilot.click(confirmed, offset=(5, 1 + CARD_HEIGHT + 1), times=2)
            await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), what="detail")
            detail = app.screen
            assert isinstance(detail, DetailScreen) and detail.number == confirmed.orders[1].number

    run(scenario())


def test_narrow_terminal_scrolls_columns_sideways_to_the_active_one() -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="load")
            row = screen.query_one("#columns")
            assert row.max_scroll_x > 0  # five columns of at least 24 cells do not fit in 80
            await pilot.press("l", "l", "l", "l")
            await pilot.pause()
            last = screen.columns[-1]
            assert screen.active_column is last and last.status == "HANDED_TO_DELIVERY"
            assert row.scroll_x > 0
            assert last.region.right <= app.size.width  # the active column is fully on screen
            await pilot.press("h", "h", "h", "h")
            await pilot.pause()
            assert row.scroll_x == 0

    run(scenario())


def test_footer_offers_cancel_only_when_the_server_offers_it() -> None:
    shop = FakeShop(role="TALLER")

    async def scenario() -> None:
        app = make_app(shop)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="load")
            shown = {b.binding.action for b in screen.active_bindings.values() if b.binding.show}
            assert "advance" in shown
            assert "cancel_order" not in shown  # not in the footer, nor in the palette
            assert "Cancel" not in {c.title for c in app.get_system_commands(screen)}
            assert screen.check_action("cancel_order", ()) is False
            assert screen.check_action("advance", ()) is True
            # `c` does nothing for this user: no dialog, no request.
            before = list(shop.requests)
            await pilot.press("c")
            await pilot.pause()
            assert app.screen is screen
            assert shop.requests == before

    run(scenario())


def test_advance_sends_the_status_the_operator_saw() -> None:
    shop = FakeShop()

    async def scenario() -> None:
        app = make_app(shop)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="load")
            await pilot.press("l", "a", "enter")  # `enter` accepts the dialog like `y`
            await wait_until(pilot, lambda: bool(shop.puts), what="the PUT")
            top = screen.query_one("#col-confirmed", OrderColumn)
            await wait_until(pilot, lambda: len(top.orders) == 2, what="refreshed column")

    run(scenario())
    order = next(o for o in shop.orders if o["id"] == shop.puts[0]["orderId"])
    assert shop.puts == [{"orderId": order["id"], "status": "IN_PRODUCTION", "expectedStatus": "CONFIRMED"}]


def test_a_refresh_keeps_the_selection_and_the_scroll_of_a_long_column() -> None:
    orders = [make_order(n, "CONFIRMED", hours_ago=100 - n) for n in range(1, 41)]
    shop = FakeShop(sorted(orders, key=lambda o: o["createdAt"], reverse=True))

    async def scenario() -> None:
        app = make_app(shop)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="load")
            column = screen.query_one("#col-confirmed", OrderColumn)
            await pilot.press("l", *["j"] * 20)
            chosen = screen.selected
            assert chosen is not None and column.cursor == 20
            scrolled = column.scroll_y
            assert scrolled > 0
            # An order arrives on top of the column (it has waited in CONFIRMED longer than any).
            shop.orders.insert(0, make_order(99, "CONFIRMED", hours_ago=300, in_status_hours=299))
            await pilot.press("r")
            await wait_until(pilot, lambda: screen.refreshes >= 2, what="refresh")
            await pilot.pause()
            assert screen.selected == chosen and column.cursor == 21
            # Still where the operator was reading: moved by at most the one new card.
            assert scrolled <= column.scroll_y <= scrolled + CARD_HEIGHT
            top, bottom = column.scroll_y, column.scroll_y + column.size.height
            assert top <= column.cursor * CARD_HEIGHT and (column.cursor + 1) * CARD_HEIGHT - 1 <= bottom

    run(scenario())


def test_every_binding_has_a_description_and_an_id() -> None:
    from textual.binding import Binding

    from tui.screens.batches import BatchesScreen
    from tui.screens.board import BoardScreen
    from tui.screens.cancel_note import CancelDialog
    from tui.screens.confirm import ConfirmDialog
    from tui.screens.detail import DetailScreen as Detail
    from tui.screens.handover import HandoverForm
    from tui.screens.help import HelpScreen
    from tui.screens.login import LoginScreen

    ids: list[str] = []
    owners = (BoardApp, BoardScreen, ConfirmDialog, CancelDialog, Detail, HelpScreen, LoginScreen)
    for owner in (*owners, HandoverForm, BatchesScreen):
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding), (owner, binding)
            assert binding.description and binding.id, (owner, binding)
            ids.append(binding.id)
    assert len(ids) == len(set(ids)), "binding ids must be unique (they are what a keymap names)"


def test_detail_of_an_order_with_null_and_odd_list_elements_shows_dashes() -> None:
    """`null` or a non-object inside items/payments/history must not raise on the UI thread."""
    order = make_order(1, "CONFIRMED", hours_ago=5, payer="Lucía Rota")
    order["items"] = [None, *order["items"], "franela"]
    order["payments"] = [None, *order["payments"], 7]
    order["history"] = [None, *order["history"], ["CONFIRMED"]]
    order["nextStatuses"] = 3
    shop = FakeShop([order])

    async def scenario() -> None:
        app = make_app(shop)
        async with app.run_test(size=(120, 60)) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="load")
            await pilot.press("l", "enter")
            await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), what="detail")
            detail = app.screen
            assert isinstance(detail, DetailScreen)
            await wait_until(pilot, lambda: detail.order is not None, what="the order")
            await pilot.pause()
            console = Console(width=118, record=True, file=io.StringIO())
            console.print(detail.query_one("#order", Static).content)
            shown = console.export_text()
            for fragment in (
                order["orderNumber"],
                "Franela blanca",  # the good elements are still there…
                "Lucía Rota",
                "— (a payment the server sent unreadable)",  # …and each bad one is a dash
                "REPORTED → CONFIRMED",
                "— (nothing you may do now)",
            ):
                assert fragment in shown, (fragment, shown)
            assert shown.count("— (a payment") == 2

    run(scenario())
