"""The board's link to the server: its loads, its live event stream and its moves, in workers.

`BoardConnection` is an invisible widget the board screen mounts. It runs the network in thread
workers and reports by messages ("attributes down, messages up"): `Loaded` (an answer to show),
`LiveEvent` (an order changed), `StreamChanged` (the stream came or went), and for the app
`ServerAnswered`, `ClientFailed`, `OrderMoved`, `MovesDone` and `TicketsSaved` (`tui.messages`),
which bubble up through the screen. What each load fetches is `tui.loading.LoadPolicy`'s
decision; it never runs two loads at once (a refresh asked meanwhile runs right after).

Live: a worker follows the server's event stream (`KraftaClient.follow_events`); the refresh
timer polls only while the stream is unavailable — or while the server's database is down. A
stream keeps flowing through an outage (orders then go to the server's fallback), so while it is
connected each tick asks `/api/health` instead, a ping and a count: an outage is noticed within a
tick, and the board then polls until a load finds the database back (issue 14).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import on, work
from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from krafta_cli.client import EventStream, Forbidden, KraftaClient, KraftaError, NotLoggedIn, OrderEvent
from krafta_cli.workflows import MoveOutcome, MoveRequest, save_new, send_move, send_moves, send_plans
from tui.board_model import BoardModel
from tui.loading import CLOSED_LIMIT, BoardData, LoadKind, LoadPolicy, OpenOrders, load_board
from tui.messages import ClientFailed, MovesDone, PlansDone, ServerAnswered, TicketsSaved, moved_or_failed

__all__ = ["BoardConnection", "ConnectFailed"]

# At most this long the first load waits for its preview to be painted (a frame, normally).
PREVIEW_PAINT_WAIT = 1.0


class ConnectFailed(Exception):
    """The `connect` step before the first load failed (`error` says why)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class BoardConnection(Widget):
    """Loads, the live stream and moves for one board; shows nothing."""

    DEFAULT_CSS = "BoardConnection { display: none; }"

    class Loaded(Message):
        """An answer to show. For the first paint's preview, `painted` is set once it is on screen
        (the load waits for that before it parses the rest)."""

        def __init__(self, data: BoardData, painted: threading.Event | None = None) -> None:
            super().__init__()
            self.data = data
            self.painted = painted

    class LiveEvent(Message):
        """An event from the server's stream."""

        def __init__(self, event: OrderEvent) -> None:
            super().__init__()
            self.event = event

    class StreamChanged(Message):
        """The live stream opened (`connected`) or was lost."""

        def __init__(self, connected: bool) -> None:
            super().__init__()
            self.connected = connected

    def __init__(
        self,
        client: KraftaClient,
        model: BoardModel,
        *,
        policy: LoadPolicy,
        refresh_interval: float | None,
        closed_limit: int = CLOSED_LIMIT,
        connect: Callable[[], None] | None = None,
        live: bool = True,
    ) -> None:
        """`model` is read for what to load (closed orders or not, the open orders known); see
        `BoardScreen` for the rest."""
        super().__init__()
        self.client = client
        self.model = model
        self.policy = policy
        self.refresh_interval = refresh_interval
        self.closed_limit = closed_limit
        self._connect = connect
        self.live = live and refresh_interval is not None
        self._refreshing = False
        self._refresh_again = False
        self._probing = False
        self._live_stop = threading.Event()
        self._live_stream: EventStream | None = None

    def on_mount(self) -> None:
        if self.refresh_interval:
            self.set_interval(self.refresh_interval, self._tick)
        self.request_refresh()
        if self.live:
            self._follow()

    def on_unmount(self) -> None:
        self.stop_live()

    @property
    def streaming(self) -> bool:
        return self.live and self.policy.streaming

    # -- loads ---------------------------------------------------------------------------------

    def _tick(self) -> None:
        if self.policy.poll_due():
            self.request_refresh()
        elif not self._probing:
            self._probing = True
            self._probe_database()

    @work(thread=True, group="health", exit_on_error=False)
    def _probe_database(self) -> bool:
        """Is the server's database down? (Its health answer; a failure here is the loads' business.)"""
        return self.client.health().get("database") == "down"

    def request_refresh(self) -> None:
        """Fetch the orders now, or right after the fetch already running (never two at once)."""
        if not self.client.token and self._connect is None:
            return
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        self._refresh_again = False
        known = self.model.open_orders
        self._fetch(self.model.show_closed, self.policy.plan(known), known)

    def full_reload(self) -> None:
        """Refresh by loading every open order again, not just what changed."""
        self.policy.forget()
        self.request_refresh()

    @work(thread=True, group="refresh", exit_on_error=False)
    def _fetch(self, show_closed: bool, kind: LoadKind, known: OpenOrders | None) -> BoardData:
        connect, self._connect = self._connect, None
        if connect is not None:
            try:
                connect()
            except Exception as error:
                raise ConnectFailed(error) from error

        def show_preview(data: BoardData) -> None:
            # Let the preview reach the screen before the full load starts: parsing thousands of
            # orders in this thread holds the GIL in long stretches, and the first frame would wait
            # behind it (measured with 5,000 open orders on a busy machine: first paint 1.5 s).
            painted = threading.Event()
            self.post_message(self.Loaded(data, painted))
            painted.wait(timeout=PREVIEW_PAINT_WAIT)

        return load_board(
            self.client,
            kind,
            known,
            show_closed=show_closed,
            closed_limit=self.closed_limit,
            on_preview=show_preview,
        )

    # -- moves ---------------------------------------------------------------------------------

    def move(self, request: MoveRequest) -> None:
        """Send one move; the app hears `OrderMoved` or `ClientFailed`."""
        self._move(request)

    def move_many(self, requests: list[MoveRequest]) -> None:
        """Send moves one by one; the screen and the app hear `MovesDone`."""
        self._move_many(requests)

    @work(thread=True, group="move", exit_on_error=False)
    def _move(self, request: MoveRequest) -> MoveOutcome:
        return send_move(self.client, request)

    @work(thread=True, group="move", exit_on_error=False)
    def _move_many(self, requests: list[MoveRequest]) -> tuple[MoveOutcome, ...]:
        return tuple(send_moves(self.client, requests))

    # -- planning ------------------------------------------------------------------------------

    def plan(self, numbers: list[str], changes: dict[str, Any], what: str) -> None:
        """Send one planning change to each order, one by one; the screen hears `PlansDone`."""
        self._plan(numbers, changes, what)

    @work(thread=True, group="plan", exit_on_error=False)
    def _plan(self, numbers: list[str], changes: dict[str, Any], what: str) -> PlansDone:
        return PlansDone(what, tuple(send_plans(self.client, numbers, changes)))

    # -- paper ---------------------------------------------------------------------------------

    def save_tickets(self, numbers: list[str], folder: Path, name: str) -> None:
        """Job tickets for `numbers`, written to a new file `name` in `folder` (`-2`… when taken);
        the app hears `TicketsSaved` or `ClientFailed`."""
        self._save_tickets(numbers, folder, name)

    @work(thread=True, group="tickets", exit_on_error=False)
    def _save_tickets(self, numbers: list[str], folder: Path, name: str) -> TicketsSaved:
        paper = self.client.tickets(numbers)
        return TicketsSaved(save_new(paper.content, name, folder), paper.count or len(numbers))

    @on(Worker.StateChanged)
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == "health" and worker.is_finished:
            self._probing = False
            if event.state is WorkerState.SUCCESS and worker.result is True:
                self.policy.database(down=True)
                self.request_refresh()  # a load that says so, and lays the fallback's orders over
            return
        if not worker.is_finished or worker.group not in ("refresh", "move", "tickets", "plan"):
            return
        if worker.group == "refresh":
            self._refreshing = False
        if event.state is WorkerState.SUCCESS:
            self.post_message(ServerAnswered())
            result = worker.result
            if isinstance(result, BoardData):
                if self.policy.database(down=result.database_down) and result.kind is LoadKind.CHANGES:
                    # Back: only what changed was loaded; every open order is loaded right after.
                    self._refresh_again = True
                self.post_message(self.Loaded(result))
            elif isinstance(result, MoveOutcome):
                self.post_message(moved_or_failed(result))
            elif isinstance(result, tuple):
                self.post_message(MovesDone(result))
            elif isinstance(result, TicketsSaved | PlansDone):
                self.post_message(result)
        elif event.state is WorkerState.ERROR and worker.error is not None:
            doing = "print tickets" if worker.group == "tickets" else worker.group
            self.post_message(ClientFailed(worker.error, doing=doing))
        if worker.group == "refresh" and self._refresh_again:
            self.request_refresh()

    # -- live events ---------------------------------------------------------------------------

    @work(thread=True, group="live", exit_on_error=False)
    def _follow(self) -> None:
        """Follow the event stream until the board goes; reconnects by itself (the client does)."""
        stop = self._live_stop
        while not stop.is_set():
            try:
                for event in self.client.follow_events(
                    stop=stop, on_state=self._stream_state_from_thread, on_open=self._stream_opened
                ):
                    self._call_on_ui(self.post_message, self.LiveEvent(event))
            except (NotLoggedIn, Forbidden) as error:
                # No session yet (the login screen is up) or no longer: poll meanwhile, try again later.
                self._stream_state_from_thread(False, error)
                stop.wait(self.refresh_interval or 5.0)

    def _stream_opened(self, stream: EventStream) -> None:
        self._live_stream = stream
        if self._live_stop.is_set():
            stream.close()

    def _stream_state_from_thread(self, connected: bool, error: KraftaError | None) -> None:
        self._call_on_ui(self._stream_state, connected)

    def _call_on_ui(self, callback: Callable[..., Any], *args: Any) -> None:
        if self._live_stop.is_set():
            return
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:
            self._live_stop.set()  # the app is gone

    def _stream_state(self, connected: bool) -> None:
        was = self.policy.streaming
        if connected:
            self.policy.stream_connected()
            # What changed while there was no stream (or before the first one): fetched once.
            self.request_refresh()
        elif was:
            self.policy.stream_lost()
        self.post_message(self.StreamChanged(connected))

    def stop_live(self) -> None:
        """End the stream now (the board is going); the worker's thread then returns."""
        self._live_stop.set()
        if self._live_stream is not None:
            self._live_stream.close()
