"""`BoardApp`: the board's application object — session, clock, and the one error policy.

Everything that talks to the server runs in a worker; when one fails, its screen hands the
error to `BoardApp.report_error`, the single place that turns client errors into a banner, a
notification or the login screen (wording in `tui.errors`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from krafta_cli.client import KraftaClient, LoginResult
from tui.errors import notice_for
from tui.screens.board import BoardData, BoardScreen
from tui.screens.login import LoginScreen

__all__ = ["BoardApp", "BoardSummary", "local_now"]

REFRESH_SECONDS = 5.0
# COMPLETED/CANCELLED only grow; the toggle shows the latest ones, not years of history.
CLOSED_LIMIT = 100
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

    offline: reactive[bool] = reactive(False)
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
                collector's permanent generation (see `board_painted`); for a process that runs
                nothing but the board, i.e. `krafta board` and `krafta demo`, not tests.
        """
        super().__init__()
        self.client = client
        self.clock = clock
        self.save_login = save_login
        self.refresh_interval = refresh_interval
        self.closed_limit = closed_limit
        self.exit_after_first_paint = exit_after_first_paint
        self.offline_reason = ""
        self.first_paint: BoardSummary | None = None
        self.freeze_gc = freeze_gc
        self._gc_frozen = False

    def get_default_screen(self) -> Screen[Any]:
        return BoardScreen()

    def on_mount(self) -> None:
        self.sub_title = self.client.base_url
        if self.exit_after_first_paint:
            self.set_timer(FIRST_PAINT_TIMEOUT, lambda: self.exit(None, return_code=1))
        if not self.client.token:
            self.request_login()

    def watch_user(self, user: dict[str, Any] | None) -> None:
        who = f"{user.get('email')} ({user.get('role')}) · " if user else ""
        self.sub_title = f"{who}{self.client.base_url}"

    # -- session -------------------------------------------------------------------------------

    def request_login(self, message: str = "") -> None:
        """Show the login screen unless it is already up."""
        if not isinstance(self.screen, LoginScreen):
            email = (self.user or {}).get("email", "")
            self.push_screen(LoginScreen(message=message, email=email))

    def logged_in(self, result: LoginResult) -> None:
        """The login screen succeeded: keep the token, then back to a fresh board."""
        if self.save_login is not None:
            self.save_login(result)
        self.user = result.user
        if isinstance(self.screen, LoginScreen):
            self.pop_screen()
        self.refresh_board()

    def refresh_board(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, BoardScreen):
                screen.action_refresh()

    # -- errors --------------------------------------------------------------------------------

    def mark_online(self) -> None:
        self.offline = False

    def report_error(self, error: BaseException) -> None:
        """The one place a failed network call becomes something the user sees."""
        notice = notice_for(error)
        if notice.offline:
            # A banner, not a toast: the board retries every few seconds and would stack them.
            self.offline_reason = getattr(error, "reason", "") or str(error)
            self.offline = True
            return
        self.mark_online()
        if notice.login:
            self.request_login(notice.message)
            return
        self.notify(notice.message, title=notice.title, severity=notice.severity, timeout=6)
        if notice.refresh:
            self.refresh_board()

    # -- first paint (headless runs, the bench) --------------------------------------------------

    def board_painted(self, data: BoardData) -> None:
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
        if self.first_paint is not None:
            return
        self.first_paint = BoardSummary(
            orders=data.total,
            columns={status: len(orders) for status, orders in data.by_status.items()},
            role=data.user.get("role"),
        )
        if self.exit_after_first_paint:
            self.call_after_refresh(self.exit, self.first_paint)

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
