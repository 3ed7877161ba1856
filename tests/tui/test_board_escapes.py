"""Issue 8, finding 1: no text from the server reaches the terminal with its control characters.

An order whose `shippingCity` holds OSC 52 (`ESC ] 52 ; c ; … BEL`: write the operator's clipboard)
and `ESC [2J` (clear the screen), with more in the payer, product, note and error messages. The
board, the detail screen, a toast and the login screen are rendered exactly as Textual would write
them to the terminal (the compositor's full update, escape codes included), and every escape
that is not Textual's own styling or cursor movement must be gone.
Fixed data through `httpx.MockTransport`: this is about what is painted, not about the server.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx

from krafta_cli.client import KraftaClient
from tests.tui.fake_shop import FakeShop, frozen_clock, make_order
from tests.tui.pilot_helpers import RecordingBoard, board_screen, wait_until
from tui.app import BoardApp
from tui.screens.detail import DetailScreen
from tui.screens.login import LoginScreen

OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
CLEAR = "\x1b[2J"
TITLE = "\x1b]0;pwned\x1b\\"
C1 = "\x9b2J\x9d0;x\x9c"
HOSTILE = OSC52 + CLEAR + TITLE + C1 + "\x00\x7f"

# Textual's own output: CSI sequences for colours and cursor moves (plus synchronized-output
# mode switches). Anything else starting with ESC, and any other control character, is foreign.
TEXTUAL_CSI = re.compile(r"\x1b\[[0-9;:?<=>]*[ -/]*[@-~]")
FOREIGN = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def hostile_order() -> dict[str, Any]:
    order = make_order(1, "CONFIRMED", hours_ago=3, city=f"Caracas{HOSTILE}", payer=f"Eve{HOSTILE}")
    order["shippingState"] = f"Miranda{CLEAR}"
    order["shippingAddress"] = f"Calle{OSC52} 1"
    order["items"][0]["productName"] = f"Franela{TITLE}"
    order["items"][0]["variantId"] = f"var-1{C1}"
    order["history"][0]["note"] = f"note{OSC52}\nsecond line"
    order["payments"][0]["reference"] = f"ref{CLEAR}"
    return order


class HostileShop(FakeShop):
    """FakeShop whose refusals and login errors also carry escapes in their sentences."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/orders" and request.method == "PUT":
            self.puts.append(json.loads(request.content))
            return self._json(403, {"success": False, "error": f"Nope{HOSTILE}", "code": "forbidden"})
        if request.url.path == "/api/auth/login":
            return self._json(429, {"success": False, "error": f"Slow down{HOSTILE}", "code": "rate_limited"})
        return super().handle(request)


def terminal_output(app: BoardApp) -> str:
    """What Textual would write to the terminal for the current screen (a full repaint)."""
    update = app.screen._compositor.render_full_update()  # the bytes are the point
    return update.render_segments(app.console)


def assert_clean(output: str, where: str) -> None:
    for attack in (OSC52, CLEAR, "\x1b]", "\x07", "\x9b", "\x9d"):
        assert attack not in output, f"{where}: {attack!r} reached the terminal"
    rest = TEXTUAL_CSI.sub("", output)
    assert "\x1b" not in rest, f"{where}: a foreign escape sequence: {rest[rest.index(chr(27)) :][:40]!r}"
    assert not FOREIGN.search(rest), f"{where}: control character {FOREIGN.search(rest)!r}"


def test_hostile_order_text_never_reaches_the_terminal() -> None:
    shop = HostileShop([hostile_order()])

    async def scenario() -> None:
        client = KraftaClient("http://krafta.test", token="t", transport=shop.transport())
        app = RecordingBoard(client, clock=frozen_clock, refresh_interval=None)
        async with app.run_test(size=(160, 50), notifications=True) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="load")
            await pilot.press("l")
            await pilot.pause()
            output = terminal_output(app)
            assert "Caracas" in output and "\ufffd]52;c;" in output  # shown, as inert text
            assert_clean(output, "board")

            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), what="detail")
            detail = app.screen
            assert isinstance(detail, DetailScreen)
            await wait_until(pilot, lambda: detail.order is not None, what="the order")
            await pilot.pause()
            output = terminal_output(app)
            assert "Eve" in output and "Franela" in output and "second line" in output
            assert_clean(output, "detail")

            # A refused move: the server's sentence becomes a toast.
            await pilot.press("a")
            await pilot.pause()
            await pilot.press("y")
            await wait_until(pilot, lambda: any("Nope" in m for _, m in app.notices), what="the refusal")
            await pilot.pause(0.3)
            output = terminal_output(app)
            assert "Nope" in output
            assert_clean(output, "toast")
            assert all("\x1b" not in m for _, m in app.notices), app.notices

    asyncio.run(scenario())


def test_login_screen_shows_a_hostile_error_inert() -> None:
    shop = HostileShop([hostile_order()])

    async def scenario() -> None:
        client = KraftaClient("http://krafta.test", transport=shop.transport())
        app = BoardApp(client, clock=frozen_clock, refresh_interval=None)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), what="login screen")
            await pilot.press(*"eve@x.y", "tab", *"password", "enter")
            await wait_until(pilot, lambda: "Slow" in terminal_output(app), what="the login error")
            assert_clean(terminal_output(app), "login")

    asyncio.run(scenario())
