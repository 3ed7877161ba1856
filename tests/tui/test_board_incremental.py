"""After its first full load the board asks only for what changed (`updatedSince`), and still shows it.

Against a live server: the orders are moved, created and completed over HTTP between two refreshes;
the client records the query of each list request it sends (what went over the wire, not a mock).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from krafta_cli.client import KraftaClient, OrderPage
from tests.servers import Server
from tests.tui.pilot_helpers import RecordingBoard, board_screen, move, place_order, wait_until
from tui.loading import FULL_RELOAD_EVERY


class CountingClient(KraftaClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.list_calls: list[dict[str, Any]] = []

    def list_orders(self, *, status: Sequence[str] = (), **kwargs: Any) -> OrderPage:
        self.list_calls.append({"status": tuple(status), **kwargs})
        return super().list_orders(status=status, **kwargs)


def test_refreshes_fetch_only_changes_and_show_them(sqlite_server: Server) -> None:
    moving = place_order(sqlite_server, "CONFIRMED", shippingCity="Acarigua")
    finishing = place_order(sqlite_server, "HANDED_TO_DELIVERY", shippingCity="Guanare")

    async def scenario() -> None:
        client = CountingClient(sqlite_server.url, sqlite_server.admin_token)
        app = RecordingBoard(client, refresh_interval=None)
        async with app.run_test(size=(160, 40)) as pilot:
            screen = board_screen(app)
            await wait_until(pilot, lambda: screen.refreshes >= 1, what="first full load")
            assert moving["orderNumber"] in screen.numbers_in("CONFIRMED")
            full_load_calls = len(client.list_calls)
            assert all(c.get("updated_since") is None for c in client.list_calls)

            move(sqlite_server, moving["orderId"], "CONFIRMED", "IN_PRODUCTION")
            move(sqlite_server, finishing["orderId"], "HANDED_TO_DELIVERY", "COMPLETED")
            arriving = place_order(sqlite_server, "CONFIRMED", shippingCity="San Felipe")

            screen.action_refresh()
            await wait_until(pilot, lambda: screen.refreshes >= 2, what="an incremental refresh")
            step = client.list_calls[full_load_calls:]
            assert step and all(c.get("updated_since") for c in step), step
            assert moving["orderNumber"] in screen.numbers_in("IN_PRODUCTION")
            assert moving["orderNumber"] not in screen.numbers_in("CONFIRMED")
            assert finishing["orderNumber"] not in screen.numbers_in("HANDED_TO_DELIVERY")
            assert arriving["orderNumber"] in screen.numbers_in("CONFIRMED")
            # Newest first inside a column, as after a full load.
            assert screen.numbers_in("CONFIRMED")[0] == arriving["orderNumber"]

            # Every FULL_RELOAD_EVERY steps the board loads in full again, to heal what a step could miss.
            for n in range(FULL_RELOAD_EVERY):
                before = len(client.list_calls)
                screen.action_refresh()
                await wait_until(pilot, lambda n=n: screen.refreshes >= 3 + n, what="another refresh")
            last = client.list_calls[before:]
            assert last and all(c.get("updated_since") is None for c in last), last

    asyncio.run(scenario())
