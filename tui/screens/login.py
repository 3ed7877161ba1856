"""The login screen, shown when there is no token for the server or the server rejects it."""

from __future__ import annotations

from typing import cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Static
from textual.worker import Worker, WorkerState

from krafta_cli.client import KraftaClient, LoginResult, NotLoggedIn
from krafta_cli.literal import literal
from krafta_cli.view import sanitize
from tui.errors import notice_for

__all__ = ["LoginScreen"]


class LoginScreen(Screen[LoginResult]):
    """Email and password (hidden); dismisses with the `LoginResult` (the app stores the token)."""

    AUTO_FOCUS = "#email"

    BINDINGS = [
        # Esc is the way out people try first (issue 19: it did nothing, only ctrl+q left).
        Binding("escape,ctrl+q", "app.quit", "Quit", id="login.quit", tooltip="Leave without logging in"),
    ]

    def __init__(self, client: KraftaClient, *, message: str = "", email: str = "") -> None:
        super().__init__()
        self.client = client
        self.message = message
        self.email = email

    def compose(self) -> ComposeResult:
        with Vertical(classes="login") as box:
            box.border_title = "Krafta board — log in"
            yield Static(literal(f"Server: {self.client.base_url}"), classes="server")
            yield Input(value=sanitize(self.email), placeholder="email", id="email")
            yield Input(placeholder="password", password=True, id="password")
            yield Button("Log in", id="login", variant="primary")
            yield Static(literal(self.message), id="message", classes="error")
        yield Footer()

    def _say(self, text: str) -> None:
        self.query_one("#message", Static).update(literal(text))

    @on(Input.Submitted, "#email")
    def on_email(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#login")
    def on_submit(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        email = self.query_one("#email", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not email or not password:
            self._say("Enter your email and password.")
            return
        self._say("Logging in…")
        self.query_one("#login", Button).disabled = True
        self._login(email, password)

    @work(thread=True, exclusive=True, group="login", exit_on_error=False)
    def _login(self, email: str, password: str) -> LoginResult:
        return self.client.login(email, password)

    @on(Worker.StateChanged)
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "login" or not event.worker.is_finished:
            return
        self.query_one("#login", Button).disabled = False
        if event.state is WorkerState.SUCCESS:
            self.dismiss(cast(LoginResult, event.worker.result))
        elif event.state is WorkerState.ERROR:
            error = event.worker.error
            # A 401 here is a wrong password, not an expired session: say so in place.
            if isinstance(error, NotLoggedIn):
                self._say("Wrong email or password.")
            else:
                self._say(notice_for(error).message if error else "Login failed.")
            self.query_one("#password", Input).value = ""
            self.query_one("#password", Input).focus()
