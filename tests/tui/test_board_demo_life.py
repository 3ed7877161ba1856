"""The living demo on the board (issue 19, finding 8): a beat's new order and its move reach the
board by the live stream, with no key pressed and no poll; a refused session is logged in again by
itself (a real server in a thread, Pilot)."""

from __future__ import annotations

import asyncio

from krafta_cli.client import KraftaClient
from server.demo import DemoLife, seed_demo
from tests.helpers import PASSWORD
from tests.servers import Server
from tests.tui.pilot_helpers import RecordingBoard, board_screen, wait_until
from tui.screens.login import LoginScreen

ADMIN = "admin@test.krafta"


def test_a_demo_beat_shows_on_the_board_by_the_stream(sqlite_server: Server) -> None:
    services = sqlite_server.app.state.services
    seed_demo(services.db, password="demo-password-1")
    life = DemoLife(services, rng_seed=5)

    async def scenario() -> None:
        # A poll a minute apart: what shows within seconds came by the stream.
        app = RecordingBoard(KraftaClient(sqlite_server.url, sqlite_server.admin_token), refresh_interval=60)
        async with app.run_test(size=(160, 40)) as pilot:
            screen = board_screen(app)
            await wait_until(
                pilot, lambda: screen.refreshes >= 1 and screen.connection.streaming, what="live"
            )
            created, moved = await asyncio.to_thread(life.beat)
            await wait_until(
                pilot, lambda: created["orderNumber"] in screen.numbers_in("REPORTED"), timeout=5, what="new"
            )
            assert moved is not None
            if moved["status"] in [c.status for c in screen.columns]:
                await wait_until(
                    pilot,
                    lambda: moved["orderNumber"] in screen.numbers_in(moved["status"]),
                    timeout=5,
                    what=f"{moved['orderNumber']} moved to {moved['status']}",
                )

    asyncio.run(scenario())


def test_a_refused_session_logs_in_again_by_itself_when_the_board_can(sqlite_server: Server) -> None:
    """`krafta demo` logs in by itself every time: also when the server refuses its session later
    (here: logged out from elsewhere). On main the login screen came up."""
    client = KraftaClient(sqlite_server.url)
    client.login(ADMIN, PASSWORD)
    relogins: list[str] = []

    def relogin() -> None:
        relogins.append("again")
        client.login(ADMIN, PASSWORD)

    async def scenario() -> None:
        app = RecordingBoard(client, refresh_interval=None, relogin=relogin)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="first load")
            with KraftaClient(sqlite_server.url, client.token) as elsewhere:
                elsewhere.logout()  # the board's token is refused from now on
            await pilot.press("r")
            await wait_until(pilot, lambda: screen.refreshes >= 2, what="a load after logging in again")
            assert relogins == ["again"]
            assert not isinstance(app.screen, LoginScreen)
            assert app.first_paint is not None and app.first_paint.role == "ADMIN"

    asyncio.run(scenario())
