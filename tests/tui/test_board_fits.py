"""The board on a laptop and on a wall screen (issue 19, finding 4), read off the screen with Pilot.

At 80×24 on main the cards read `Gorra bordada con…` (the quantity cut), the footer stopped after
`s` (no `?` nor `q`), and the help needed scrolling. Fixed orders (`FakeShop`) and a frozen clock:
what is asserted is the text the terminal shows.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine
from typing import Any

import pytest
from textual.widgets._footer import FooterKey

from krafta_cli.client import KraftaClient
from tests.tui.fake_shop import FakeShop, frozen_clock, make_order
from tests.tui.pilot_helpers import wait_until
from tui.app import BoardApp
from tui.screens.board import BoardScreen
from tui.screens.help import HelpScreen

SIZES = [(80, 24), (120, 40), (200, 50), (300, 60)]


def run(scenario: Coroutine[Any, Any, None]) -> None:
    asyncio.run(scenario)


def make_app(shop: FakeShop) -> BoardApp:
    client = KraftaClient("http://krafta.test", token="t", transport=shop.transport())
    return BoardApp(client, clock=frozen_clock, refresh_interval=None)


def screen_lines(app: BoardApp) -> list[str]:
    """The terminal's rows as text, the screen on top included (what a user reads)."""
    return ["".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips()]


def long_orders() -> list[dict[str, Any]]:
    return [
        make_order(
            1,
            "CONFIRMED",
            hours_ago=5,
            city="San Juan de los Morros",
            state="Guárico",
            product="Taza de cerámica grande con asa",
            variant_label="350 ml · blanco",
            quantity=12,
        ),
        make_order(2, "CONFIRMED", hours_ago=0.4, product="Franela blanca", variant_label="L", quantity=3),
    ]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_cards_keep_number_quantity_and_age_whole(size: tuple[int, int]) -> None:
    async def scenario() -> None:
        app = make_app(FakeShop(long_orders()))
        async with app.run_test(size=size) as pilot:
            await wait_until(pilot, lambda: app.first_paint is not None, what="first paint")
            await pilot.pause()
            text = "\n".join(screen_lines(app))
            # Number and age whole on the first line; quantity whole on the item line.
            assert "KRFT-107919" in text and "5 h" in text and "KRFT-115838" in text and "24 min" in text
            assert "× 12" in text, text
            assert "× 3" in text, text
            # The size the workshop reads survives the cut: the product's name gives way first.
            assert "· L × 3" in text, text
            if size[0] >= 200:
                assert "· 350 ml · blanco × 12" in text, text
            if size[0] >= 300:
                assert "Taza de cerámica grande con asa · 350 ml · blanco × 12" in text
                assert "San Juan de los Morros, Guárico" in text

    run(scenario())


@pytest.mark.parametrize("role", ["ADMIN", "TALLER"])
@pytest.mark.parametrize("size", SIZES[:2], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_footer_keeps_help_quit_and_the_moves_never_a_cut_key(role: str, size: tuple[int, int]) -> None:
    async def scenario() -> None:
        app = make_app(FakeShop(role=role))
        async with app.run_test(size=size) as pilot:
            await wait_until(pilot, lambda: app.first_paint is not None, what="first paint")
            await pilot.press("right")
            footer = screen_lines(app)[-1]
            await wait_until(
                pilot,
                lambda: "? Help" in screen_lines(app)[-1] and "q Quit" in screen_lines(app)[-1],
                what=f"help and quit in the footer (it reads {footer!r})",
            )
            footer = screen_lines(app)[-1]
            for wanted in ("a Advance", "space Mark", "⏎ Details", "move"):
                assert wanted in footer, footer
            assert ("c Cancel" in footer) is (role == "ADMIN"), footer
            shown = [key for key in app.screen.query(FooterKey) if key.display]
            for key in shown:
                assert key.region.right <= size[0], f"{key.description} cut at the edge"

    run(scenario())


@pytest.mark.parametrize("role", ["ADMIN", "TALLER"])
@pytest.mark.parametrize("size", SIZES[:3], ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_fits_without_scrolling_and_lists_every_key_of_the_role(
    role: str, size: tuple[int, int]
) -> None:
    async def scenario() -> None:
        app = make_app(FakeShop(role=role))
        async with app.run_test(size=size) as pilot:
            await wait_until(pilot, lambda: app.first_paint is not None, what="first paint")
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
            await pilot.pause()
            help_screen = app.screen
            assert isinstance(help_screen, HelpScreen)
            box = help_screen.query_one(".dialog")
            assert box.max_scroll_y == 0, f"the help scrolls by {box.max_scroll_y} rows"
            text = "\n".join(screen_lines(app))
            board = app.board
            assert isinstance(board, BoardScreen)
            for row in help_screen.rows():
                assert row.name in text, row.name
            for name in ("Advance", "Mark", "Details", "Filter", "Help", "Quit", "Scan", "Tickets"):
                assert name in text, name
            # Keys per role: a TALLER is not told that `c` cancels.
            assert ("Cancel" in text) is (role == "ADMIN")
            assert "marked" in text  # the legend says what ◆ means

    run(scenario())


@pytest.mark.parametrize("size", SIZES[:2], ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_long_column_keeps_every_number_and_age_whole_beside_its_scrollbar(size: tuple[int, int]) -> None:
    # Eight cards in a column of 80×24 or 120×40 scroll: the scrollbar takes a cell of each card.
    orders = [
        make_order(100 + n, "CONFIRMED", hours_ago=0.2 + n * 0.1, in_status_hours=0.1) for n in range(8)
    ]

    async def scenario() -> None:
        app = make_app(FakeShop(orders))
        async with app.run_test(size=size) as pilot:
            await wait_until(pilot, lambda: app.first_paint is not None, what="first paint")
            await pilot.pause()
            column = app.board.query_one("#col-confirmed")
            assert column.max_scroll_y > 0, "the column should scroll"
            text = "\n".join(screen_lines(app))
            shown = re.findall(r"KRFT-\d+…?", text)
            assert shown and all("…" not in number for number in shown), shown
            assert re.search(r"KRFT-\d{6} +\d+ min", text), text

    run(scenario())
