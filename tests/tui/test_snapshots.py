"""Pixel snapshots of the board (pytest-textual-snapshot), from fixed orders and a frozen clock.

The orders come from `FakeShop` through `httpx.MockTransport` — fixed data is what makes a
snapshot comparable; the live-server behaviour is covered in test_board_live.py. Regenerate
with `pytest tests/tui/test_snapshots.py --snapshot-update` and look at the SVGs before committing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot

from krafta_cli.client import KraftaClient
from tests.tui.fake_shop import FakeShop, frozen_clock, make_order
from tests.tui.pilot_helpers import wait_until
from tui.app import BoardApp
from tui.screens.detail import DetailScreen
from tui.screens.help import HelpScreen

SnapCompare = Callable[..., bool]
NARROW = (80, 24)
WIDE = (120, 40)
WALL = (200, 50)
"""The sizes issue 19 names: a laptop's terminal, a wide one, a workshop's wall screen."""


def long_item_shop(role: str = "ADMIN") -> FakeShop:
    """The default orders plus one whose item line is longer than any card at 80 or 120 columns."""
    order = make_order(
        12,
        "IN_PRODUCTION",
        hours_ago=7,
        in_status_hours=3,
        city="San Juan de los Morros",
        state="Guárico",
        product="Taza de cerámica grande con asa",
        variant_label="350 ml · blanco",
        quantity=12,
        total=75.0,
    )
    shop = FakeShop(role=role)
    shop.orders.append(order)
    return shop


def make_app(role: str = "ADMIN", shop: FakeShop | None = None) -> BoardApp:
    shop = shop or FakeShop(role=role)
    client = KraftaClient("http://krafta.test", token="fixed-token", transport=shop.transport())
    # No timer: a refresh in the middle of the screenshot would make it flaky.
    return BoardApp(client, clock=frozen_clock, refresh_interval=None)


def after(
    *keys: str, until: Callable[[BoardApp], bool] | None = None
) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A `run_before` that waits for the first paint, presses `keys`, then waits for `until`."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, BoardApp)
        await wait_until(pilot, lambda: app.first_paint is not None, what="first paint")
        if keys:
            await pilot.press(*keys)
        if until is not None:
            await wait_until(pilot, lambda: until(app), what="the screen under test")
        await app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


def fetched_one_order(shop: FakeShop) -> Callable[[BoardApp], bool]:
    """The detail screen is up and has asked for its order (so its worker exists to wait for)."""
    return lambda app: (
        isinstance(app.screen, DetailScreen)
        and any(method == "GET" and path.startswith("/api/orders/") for method, path in shop.requests)
    )


class TestBoardSnapshots:
    """Board, detail and help at 120×40; the board and help at 80×24 (columns scroll sideways) and
    200×50. The orders include a long product name with its variant and a quantity past 9."""

    def test_board_wide(self, snap_compare: SnapCompare) -> None:
        # Cursor on the first CONFIRMED card: an old (2 d, warning colour), stuck order — on top,
        # as it has waited longest.
        assert snap_compare(make_app(), terminal_size=WIDE, run_before=after("right"))

    def test_board_wide_with_a_scrolling_column(self, snap_compare: SnapCompare) -> None:
        # Twelve CONFIRMED orders overflow their column: its scrollbar must not cut the ages
        # ("31 h", "stuck").
        orders = [
            make_order(
                100 + n,
                "CONFIRMED",
                hours_ago=30 + n,
                in_status_hours=20 + n,
                city="San Cristóbal",
                state="Táchira",
            )
            for n in range(12)
        ]
        shop = FakeShop(sorted(orders, key=lambda o: o["createdAt"], reverse=True))
        assert snap_compare(make_app(shop=shop), terminal_size=WIDE, run_before=after("right"))

    def test_board_narrow(self, snap_compare: SnapCompare) -> None:
        # Cards keep number, quantity (× 12) and age whole; the footer keeps ? and q.
        shop = long_item_shop()
        assert snap_compare(make_app(shop=shop), terminal_size=NARROW, run_before=after("right", "right"))

    def test_board_wide_long_item(self, snap_compare: SnapCompare) -> None:
        shop = long_item_shop()
        assert snap_compare(make_app(shop=shop), terminal_size=WIDE, run_before=after("right", "right"))

    def test_board_wall(self, snap_compare: SnapCompare) -> None:
        shop = long_item_shop()
        assert snap_compare(make_app(shop=shop), terminal_size=WALL, run_before=after("right", "right"))

    def test_help_narrow(self, snap_compare: SnapCompare) -> None:
        # Two columns of keys: nothing to scroll at 80×24.
        assert snap_compare(
            make_app(),
            terminal_size=NARROW,
            run_before=after("question_mark", until=lambda app: isinstance(app.screen, HelpScreen)),
        )

    def test_help_narrow_taller(self, snap_compare: SnapCompare) -> None:
        # No `c`: a TALLER may not cancel.
        assert snap_compare(
            make_app(role="TALLER"),
            terminal_size=NARROW,
            run_before=after("question_mark", until=lambda app: isinstance(app.screen, HelpScreen)),
        )

    def test_board_taller_with_closed_orders(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(
            make_app(role="TALLER"),
            terminal_size=WIDE,
            run_before=after("t", until=lambda app: app.screen.query("#col-completed").first().orders != []),
        )

    def test_detail(self, snap_compare: SnapCompare) -> None:
        # The MISMATCH order whose reported payment differs from the expected amount.
        shop = FakeShop()
        assert snap_compare(
            make_app(shop=shop),
            terminal_size=WIDE,
            run_before=after("right", "enter", until=fetched_one_order(shop)),
        )

    def test_help(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(
            make_app(),
            terminal_size=WIDE,
            run_before=after("question_mark", until=lambda app: isinstance(app.screen, HelpScreen)),
        )

    def test_confirm_advance(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(make_app(), terminal_size=NARROW, run_before=after("right", "a"))
