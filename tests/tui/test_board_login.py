"""The login screen's way out (issue 19, finding 6): Esc leaves the board, as ctrl+q does.

On main Esc did nothing there; the only way out was ctrl+q, which the footer showed as `^q`.
"""

from __future__ import annotations

import asyncio

import pytest

from krafta_cli.client import KraftaClient
from tests.tui.fake_shop import FakeShop, frozen_clock
from tests.tui.pilot_helpers import wait_until
from tui.app import BoardApp
from tui.screens.login import LoginScreen


@pytest.mark.parametrize("key", ["escape", "ctrl+q"])
def test_the_login_screen_can_be_left_with_esc_or_ctrl_q(key: str) -> None:
    shop = FakeShop()
    client = KraftaClient("http://krafta.test", token="", transport=shop.transport())
    app = BoardApp(client, clock=frozen_clock, refresh_interval=None)

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), what="login screen")
            await pilot.press(*"ana@")  # Esc leaves from the email field too, half typed
            footer = "".join(segment.text for segment in app.screen._compositor.render_strips()[-1])
            assert "esc Quit" in footer, footer
            await pilot.press(key)
            await wait_until(pilot, lambda: app._exit, what=f"{key} to leave the board")

    asyncio.run(scenario())
    assert app.return_value is None
    assert shop.requests == []  # nothing was sent: no login was tried
