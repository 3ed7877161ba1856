"""Issue 14: the board never shows an emptied shop while the server's database is down.

A PostgreSQL this module started is stopped under a running `krafta serve`; the board (Pilot,
live stream on, polling every 0.5 s) watches. It keeps its last known orders through the outage —
through a full reload too — adds the order taken meanwhile (the server's fallback), says "database
down since HH:MM" on its status line instead of "live" and shows a banner; when the database is
back it loads everything again. A board started during the outage shows what the server has,
says so, and shows the whole shop as soon as the database answers. On main the full reload
during the outage left only the fallback's order ("1 open orders … live"), and a board started
during the outage kept showing that one order after the recovery.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from krafta_cli.client import KraftaClient
from tests.helpers import create_order
from tests.pgcluster import OwnPostgres
from tests.servers import LiveServer
from tests.tui.pilot_helpers import RecordingBoard, board_screen, wait_until
from tui.screens.board import BoardScreen

SIZE = (160, 40)
DOWN = re.compile(r"database down since \d\d:\d\d")


def status_line(screen: BoardScreen) -> str:
    return str(screen.query_one("#status").render())


def banner(screen: BoardScreen) -> str | None:
    """The database banner's text while it is shown, else None."""
    shown = [w for w in screen.query("#database-down") if w.display]
    return str(shown[0].render()) if shown else None


def reported(screen: BoardScreen) -> set[str]:
    return set(screen.numbers_in("REPORTED"))


def database_up(live: LiveServer) -> bool:
    with live.client() as http:
        return bool(http.get("/api/health").json().get("database") == "up")


def board(live: LiveServer) -> RecordingBoard:
    return RecordingBoard(KraftaClient(live.url, live.admin_token, timeout=5), refresh_interval=0.5)


def test_the_board_keeps_the_shop_through_an_outage_and_reloads_after(
    live: LiveServer, pg: OwnPostgres
) -> None:
    in_db = {create_order(live)["orderNumber"] for _ in range(3)}
    taken: dict[str, Any] = {}

    async def watching() -> None:
        app = board(live)
        async with app.run_test(size=SIZE) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: in_db <= reported(screen), what="first paint")
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="the first complete load")
            await wait_until(pilot, lambda: "live" in status_line(screen), what="the live stream")
            assert banner(screen) is None

            await asyncio.to_thread(pg.stop)
            taken.update(await asyncio.to_thread(create_order, live))  # into the fallback
            await wait_until(pilot, lambda: DOWN.search(status_line(screen)) is not None, what="outage seen")
            await wait_until(
                pilot, lambda: taken["orderNumber"] in reported(screen), what="the fallback's order"
            )
            # The last known orders stay, with the one taken meanwhile; the board says what it shows.
            assert in_db <= reported(screen)
            line = status_line(screen)
            assert "live" not in line and "(last known)" in line, line
            assert "database is down since" in (banner(screen) or ""), banner(screen)

            # A full reload in the outage (the periodic one, `r` after a resync) keeps them too.
            loads = screen.refreshes
            screen.full_reload()
            await wait_until(pilot, lambda: screen.refreshes > loads, what="a full reload")
            assert in_db | {taken["orderNumber"]} <= reported(screen)
            assert DOWN.search(status_line(screen))

            await asyncio.to_thread(pg.start)
            await wait_until(
                pilot, lambda: DOWN.search(status_line(screen)) is None, what="recovery", timeout=30
            )
            await wait_until(pilot, lambda: banner(screen) is None, what="banner gone")
            assert in_db | {taken["orderNumber"]} <= reported(screen)
            assert "(last known)" not in status_line(screen)

    try:
        asyncio.run(watching())
    finally:
        if not database_up(live):
            pg.start()


def test_a_board_started_in_an_outage_shows_the_whole_shop_once_the_database_answers(
    live: LiveServer, pg: OwnPostgres
) -> None:
    in_db = {create_order(live)["orderNumber"] for _ in range(2)}

    async def starting_in_the_outage() -> None:
        await asyncio.to_thread(pg.stop)
        try:
            taken = await asyncio.to_thread(create_order, live)
            app = board(live)
            async with app.run_test(size=SIZE) as pilot:
                screen = board_screen(app)
                await wait_until(pilot, lambda: taken["orderNumber"] in reported(screen), what="first paint")
                await wait_until(pilot, lambda: screen.refreshes >= 1, what="the first complete load")
                await wait_until(
                    pilot, lambda: DOWN.search(status_line(screen)) is not None, what="outage said"
                )
                assert not in_db & reported(screen)  # the server has only its fallback to show…
                assert banner(screen) is not None  # … and the board says so

                await asyncio.to_thread(pg.start)
                # Not only what changed since the fallback's order: every order, loaded in full.
                await wait_until(pilot, lambda: in_db <= reported(screen), what="the whole shop", timeout=30)
                assert taken["orderNumber"] in reported(screen)
                await wait_until(pilot, lambda: DOWN.search(status_line(screen)) is None, what="status line")
        finally:
            if not await asyncio.to_thread(database_up, live):
                await asyncio.to_thread(pg.start)

    asyncio.run(starting_in_the_outage())
