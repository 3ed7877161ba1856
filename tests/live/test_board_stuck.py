"""A card turns stuck on a live board the moment its time passes: no reload, no poll, stream up.

Time is steered honestly: the server runs with a one-minute rule for READY
(`KRAFTA_STUCK_AFTER=READY=1m`, the shortest it takes), and the order's `entered_status_at` is
set in the test's database to 45 seconds ago before the board loads it, so it turns stuck about
15 seconds into the test. The board, the server and the database all read the real clock; nothing
is faked. (An injectable clock would have been shorter, but the board's timer waits in real time
anyway: shifting the clock proves less than shifting the data.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from krafta_cli.client import KraftaClient
from server.storage.models import orders_t
from tests.servers import LiveServer
from tests.tui.pilot_helpers import RecordingBoard, board_screen, place_order, wait_until
from tui.widgets.card import CARD_HEIGHT

RULE = timedelta(minutes=1)
WAITED = timedelta(seconds=45)


@pytest.fixture(scope="module")
def ruled_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    base: Path = tmp_path_factory.mktemp("stuck-server")
    live = LiveServer(f"sqlite:///{base / 'krafta.db'}", base, extra_env={"KRAFTA_STUCK_AFTER": "READY=1m"})
    live.start()
    live.bootstrap()
    yield live
    live.stop()


def _entered(server: LiveServer, order_id: str, at: datetime) -> None:
    """Set when the order entered its status, in the server's own database."""
    engine = create_engine(server.db_url)
    try:
        with engine.begin() as db:
            # Written around the server: the stored list JSON marked stale, lists build it again.
            db.execute(
                orders_t.update()
                .where(orders_t.c.id == order_id)
                .values(entered_status_at=at, list_shape=None)
            )
    finally:
        engine.dispose()


def test_a_card_turns_stuck_when_its_time_passes_with_no_reload(ruled_server: LiveServer) -> None:
    created = place_order(ruled_server, "READY")
    entered = datetime.now(UTC) - WAITED
    _entered(ruled_server, created["orderId"], entered)
    due = entered + RULE

    async def scenario() -> None:
        client = KraftaClient(ruled_server.url, ruled_server.admin_token)
        # Polling on (5 s), so the board follows the live stream: the test then shows it needs neither.
        app = RecordingBoard(client, refresh_interval=5.0)
        async with app.run_test(size=(160, 40)) as pilot:
            screen = board_screen(app)
            # Two loads: the first paint, then the one the stream's opening asks for (what changed
            # before it opened). After that only events would bring anything.
            await wait_until(
                pilot,
                lambda: (
                    created["orderNumber"] in screen.numbers_in("READY")
                    and screen.connection.streaming
                    and screen.refreshes >= 2
                ),
                what="the order on a live board",
            )
            column = next(c for c in screen.columns if c.status == "READY")
            row = [o.number for o in column.orders].index(created["orderNumber"]) * CARD_HEIGHT

            def painted() -> str:
                column.scroll_to(y=row, animate=False, immediate=True)
                return "\n".join(column.render_line(line).text for line in range(CARD_HEIGHT))

            assert datetime.now(UTC) < due, "the board took too long to load: nothing left to prove"
            assert "stuck" not in painted()
            loads, events = screen.refreshes, screen.live_events

            await wait_until(pilot, lambda: "stuck" in painted(), timeout=40, what="the card turning stuck")

            turned = datetime.now(UTC)
            assert due <= turned < due + timedelta(seconds=5), (due, turned)
            # Nothing was fetched or received meanwhile: the model's time did it.
            assert (screen.refreshes, screen.live_events) == (loads, events)
            assert screen.connection.streaming

    asyncio.run(scenario())
