"""`BoardApp`: the board's application object — session, the board screen, and the one error policy.

Attributes down, messages up: the app makes the `BoardScreen` (and keeps it), hands each screen
the client and clock it needs, and listens. Screens post `ClientFailed`, `OrderMoved`,
`ServerAnswered` (tui.messages) and `BoardScreen.Loaded`; `report_error` is the single place that
turns a client error into the offline banner, a notification or the login screen (wording in
`tui.errors`). The app never walks the screen stack.

Adding a screen: a module in `tui/screens/` whose class takes what it shows in `__init__`
(client, order, clock…), returns its answer with `dismiss(...)` or posts a message from
`tui.messages`; a binding on the board opens it with `self.app.push_screen(Screen(...), callback)`.
Adding a key: a `Binding(key, action, description, id="board.<name>", tooltip=…)` in
`BoardScreen.BINDINGS` plus its `action_<name>` method; help and the command palette list it.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen

from krafta_cli import view
from krafta_cli.client import KraftaClient, LoginResult, Unreachable
from tui.connection import ConnectFailed
from tui.errors import notice_for
from tui.loading import CLOSED_LIMIT
from tui.messages import ClientFailed, MovesDone, OrderMoved, ServerAnswered, TicketsSaved
from tui.screens.board import BoardScreen
from tui.screens.login import LoginScreen

__all__ = ["BoardApp", "BoardSummary", "local_now"]

REFRESH_SECONDS = 5.0
# A token refused again this soon after `relogin` got it will be refused forever: ask a person.
RELOGIN_SPACING = 30.0
# A headless run that has not painted orders by then never will (server gone, bad token).
FIRST_PAINT_TIMEOUT = 30.0


def local_now() -> datetime:
    """The default clock: now, in the terminal's time zone (what the operator's wall clock says)."""
    return datetime.now().astimezone()


@dataclass(frozen=True)
class BoardSummary:
    """What the board showed on its first paint (the result of a headless run)."""

    orders: int
    columns: dict[str, int]
    role: str | None


class BoardApp(App[BoardSummary | None]):
    """The workshop board over one `KraftaClient`."""

    # Absolute, because Textual resolves a relative CSS_PATH beside the module of the *subclass*.
    CSS_PATH = Path(__file__).with_name("board.tcss")
    TITLE = "Krafta board"

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave the board"),
    ]

    offline: reactive[bool] = reactive(False, init=False)
    """True while the server does not answer; the board shows its banner."""
    user: reactive[dict[str, Any] | None] = reactive(None, always_update=False)
    """The logged-in user (`id`, `email`, `role`) as the server last said."""

    def __init__(
        self,
        client: KraftaClient,
        *,
        clock: Callable[[], datetime] = local_now,
        save_login: Callable[[LoginResult], None] | None = None,
        refresh_interval: float | None = REFRESH_SECONDS,
        closed_limit: int = CLOSED_LIMIT,
        exit_after_first_paint: bool = False,
        freeze_gc: bool = False,
        connect: Callable[[], None] | None = None,
        live: bool = True,
        relogin: Callable[[], object] | None = None,
    ) -> None:
        """
        Args:
            client: talks to the server; its token (if any) is the session.
            clock: "now", injectable so snapshots can freeze the cards' ages.
            save_login: stores a token obtained on the login screen (as `krafta login` does).
            refresh_interval: seconds between automatic refreshes; None turns them off.
            closed_limit: how many COMPLETED/CANCELLED orders the toggle shows.
            exit_after_first_paint: quit once the first orders are on screen (headless runs).
            freeze_gc: once the whole board is loaded, move every object alive to the garbage
                collector's permanent generation (see `_board_loaded`); for a process that runs
                nothing but the board, i.e. `krafta board` and `krafta demo`, not tests.
            connect: blocking work before the first load, in a worker, with the board already on
                screen (`krafta demo` waits for its server there). If it fails, the app exits with
                return code 1 and the error in `connect_error`.
            live: follow the server's event stream (with automatic refreshes on), polling only
                while it is unavailable.
            relogin: blocking work that puts a new token on the client when the server refuses the
                one it has (`krafta demo` logs in again with its own password), in a worker, instead
                of the login screen; the login screen still comes if it fails, or if the new token is
                refused within `RELOGIN_SPACING` seconds.
        """
        super().__init__()
        self.client = client
        self.clock = clock
        self.save_login = save_login
        self.refresh_interval = refresh_interval
        self.exit_after_first_paint = exit_after_first_paint
        self.offline_reason = ""
        self.first_paint: BoardSummary | None = None
        self.freeze_gc = freeze_gc
        self._gc_frozen = False
        self._login_open = False
        self.connect_error: Exception | None = None
        self.board = BoardScreen(
            client,
            clock=clock,
            refresh_interval=refresh_interval,
            closed_limit=closed_limit,
            connect=connect,
            live=live,
        )
        self._connecting = connect is not None
        self.relogin = relogin
        self._relogged_at: float | None = None

    def get_default_screen(self) -> Screen[Any]:
        return self.board

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast, the app's and each screen's (`Widget.notify` lands here), as literal text.

        A toast names orders, couriers and the server's sentences; read as markup, a courier
        called `[/close]` closed the board and `[link=…]` made a live hyperlink. `markup` is
        accepted and ignored for that reason: the board has no toast that needs it.
        """
        super().notify(
            view.sanitize(message, keep_newlines=True),
            title=view.sanitize(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def on_mount(self) -> None:
        self.sub_title = view.sanitize(self.client.base_url)
        if self.exit_after_first_paint:
            self.set_timer(FIRST_PAINT_TIMEOUT, lambda: self.exit(None, return_code=1))
        if not self.client.token and not self._connecting:
            self.request_login()

    def watch_user(self, user: dict[str, Any] | None) -> None:
        who = f"{view.text(user.get('email'))} ({view.text(user.get('role'))}) · " if user else ""
        self.sub_title = f"{who}{view.sanitize(self.client.base_url)}"

    def watch_offline(self, offline: bool) -> None:
        if offline:
            self.board.show_offline(self.offline_reason)
        else:
            self.board.clear_offline()

    # -- session -------------------------------------------------------------------------------

    def request_login(self, message: str = "") -> None:
        """Show the login screen unless it is already up."""
        if self._login_open:
            return
        self._login_open = True
        email = (self.user or {}).get("email", "")
        self.push_screen(LoginScreen(self.client, message=message, email=str(email)), self._logged_in)

    def _logged_in(self, result: LoginResult | None) -> None:
        """The login screen succeeded: keep the token, then back to a fresh board."""
        self._login_open = False
        if result is None:
            return
        if self.save_login is not None:
            self.save_login(result)
        self.user = result.user
        self.board.full_reload()

    # -- what the screens report ---------------------------------------------------------------

    @on(ServerAnswered)
    def _server_answered(self) -> None:
        self.offline = False

    @on(ClientFailed)
    def _client_failed(self, message: ClientFailed) -> None:
        if isinstance(message.error, ConnectFailed):
            self.connect_error = message.error.error
            self.exit(None, return_code=1)
            return
        self.report_error(message.error, doing=message.doing, subject=message.subject)

    @on(OrderMoved)
    def _order_moved(self, message: OrderMoved) -> None:
        self.notify(
            view.moved_line(message.number, message.source, message.order, labels=True), title="Moved"
        )
        self.board.request_refresh()

    @on(TicketsSaved)
    def _tickets_saved(self, message: TicketsSaved) -> None:
        noun = "ticket" if message.count == 1 else "tickets"
        self.notify(f"{message.count} {noun} → {message.path}", title="Tickets")

    @on(MovesDone)
    def _moves_done(self, message: MovesDone) -> None:
        """Successes move; failures are listed, each with the server's reason (a 409 names the status now)."""
        moved, failed = message.moved, message.failed
        if moved:
            lines = [view.moved_line(o.number, o.source, o.order or {}, labels=True) for o in moved]
            self.notify("\n".join(lines), title=f"Moved {len(moved)}")
        if failed:
            unmarked = " — unmarked: moved by someone else"
            lines = [
                f"{view.sanitize(o.number)}: {view.text(str(o.error))}"
                + (unmarked if o.number in message.unmarked else " — still marked")
                for o in failed
            ]
            self.notify("\n".join(lines), title=f"{len(failed)} not moved", severity="warning", timeout=15)
            unreachable = next((o.error for o in failed if isinstance(o.error, Unreachable)), None)
            if unreachable is not None:
                self.report_error(unreachable)
        self.board.request_refresh()

    @on(BoardScreen.Loaded)
    def _board_loaded(self, message: BoardScreen.Loaded) -> None:
        data = message.data
        self.user = data.user
        if data.complete and self.freeze_gc and not self._gc_frozen:
            # Measured with 5,000 orders (bench/board_bench.py): a full collection walks the
            # ~170,000 objects of Textual and its caches and took 80-230 ms, and a refresh's
            # allocations set one off every time — the keys froze for that long. Frozen objects
            # are skipped by the collector (plain reference counting still frees them), so after
            # this a full collection costs ~10 ms. Done once, after one collect, so the only
            # cyclic garbage kept forever is what exists at start-up.
            self._gc_frozen = True
            gc.collect()
            gc.freeze()
        if self.first_paint is None:
            self.first_paint = BoardSummary(
                orders=sum(len(data.by_status.get(status, [])) for status in message.columns),
                columns={status: len(data.by_status.get(status, [])) for status in message.columns},
                role=data.user.get("role"),
            )
        if self.exit_after_first_paint:
            self.call_after_refresh(self.exit, self.first_paint)

    def report_error(self, error: BaseException, *, doing: str = "", subject: str = "") -> None:
        """The one place a failed network call becomes something the user sees."""
        notice = notice_for(error, doing=doing, subject=subject)
        if notice.offline:
            # A banner for the state; a toast only for what the user asked for (a move), since
            # the board retries every few seconds and would stack them.
            self.offline_reason = view.sanitize(getattr(error, "reason", "") or str(error))
            if self.offline:
                self.board.show_offline(self.offline_reason)  # still offline, maybe for a new reason
            self.offline = True
            if notice.toast:
                self.notify(notice.message, title=notice.title, severity=notice.severity, timeout=8)
            return
        self.offline = False
        if notice.login:
            if self.relogin is not None and not self._relogged_recently():
                self._relogged_at = time.monotonic()
                self.run_worker(partial(self._log_in_again, notice.message), thread=True, group="relogin")
                return
            self.request_login(notice.message)
            return
        self.notify(notice.message, title=notice.title, severity=notice.severity, timeout=6)
        if notice.refresh:
            self.board.request_refresh()

    def _relogged_recently(self) -> bool:
        return self._relogged_at is not None and time.monotonic() - self._relogged_at < RELOGIN_SPACING

    def _log_in_again(self, message: str) -> None:
        """In a worker: `relogin`, then a fresh board; the login screen if it failed."""
        assert self.relogin is not None
        try:
            self.relogin()
        except Exception:
            self.call_from_thread(self.request_login, message)
            return
        self.call_from_thread(self.board.full_reload)

    # -- command palette -------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's commands plus every action bound on the current screen, under its description."""
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        for binding in Binding.make_bindings(screen.BINDINGS):
            if binding.action in seen or not binding.description:
                continue
            seen.add(binding.action)
            if screen.check_action(binding.action, ()) is not True:
                continue
            yield SystemCommand(
                binding.description,
                f"{binding.tooltip or binding.description} (key: {self.get_key_display(binding)})",
                partial(screen.run_action, binding.action),
            )
