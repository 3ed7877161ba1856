"""`krafta login`, `logout`, `whoami`, `passwd`, `auth token`: the session with one server."""

from datetime import UTC, datetime
from typing import Annotated, NoReturn
from urllib.parse import urlsplit

import typer

from krafta_cli import render, view, workflows
from krafta_cli.client import KraftaClient, KraftaError, NotFound, NotLoggedIn
from krafta_cli.commands.options import JsonOption, ServerOption
from krafta_cli.config import ENV_TOKEN, forget_login, save_login
from krafta_cli.errors_cli import cli_errors, fail
from krafta_cli.exit_codes import ExitCode
from krafta_cli.prompts import ask_email, read_new_password, read_password
from krafta_cli.session import connect, current_session

__all__ = ["auth_app", "login", "logout", "passwd", "whoami"]


# Logout only tells the server as a courtesy (tokens are stateless JWTs); do not hang on it.
_LOGOUT_TIMEOUT = 3.0


def login(
    server: ServerOption = None,
    email: Annotated[
        str | None, typer.Option("--email", "-e", help="Account e-mail (asked when omitted).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
) -> None:
    """Log in and save the token for this server (file mode 0600 in your config dir).

    Example: krafta login --server http://127.0.0.1:8000 --email admin@krafta.demo
    """
    session = current_session(server)
    address = ask_email(email)
    password = read_password(from_stdin=password_stdin)
    with cli_errors(session), KraftaClient(session.url) as client:
        try:
            result = client.login(address, password)
        except NotLoggedIn as exc:
            fail(f"login to {session.url} failed: {exc.message}", ExitCode.AUTH)
        except NotFound:
            _no_login_there(session.url)
        path = save_login(session.url, result.token, result.user, result.expires_at)
    role = result.user.get("role", "?")
    render.print_line(f"Logged in to {session.url} as {result.user.get('email', address)} ({role}).")
    until = f", valid until {view.when(result.expires_at, datetime.now(UTC))}" if result.expires_at else ""
    render.print_line(f"Token saved to {path}{until}.")
    if session.token_source == "env":
        render.print_line(f"Note: {ENV_TOKEN} is set and takes precedence over the saved token.")


def _no_login_there(url: str) -> NoReturn:
    """The address answers, but has no `/api/auth/login`: usually the API's path given as the server's.

    `--server` is where `krafta serve` listens (its own prefix, behind a proxy, included): the client
    adds `/api/...` itself, so `http://host:8000/api` asks for `/api/api/auth/login`.
    """
    path = urlsplit(url).path.rstrip("/")
    if path.endswith("/api"):
        root = url.rstrip("/")[: -len("/api")]
        fail(
            f"{url} is the API's address, not the server's: krafta adds /api itself; "
            f"run `krafta login --server {root}`",
            ExitCode.USAGE,
        )
    fail(
        f"no krafta server at {url}: it answered 404 for {url}/api/auth/login; give the address "
        "`krafta serve` prints (http://HOST:PORT)",
        ExitCode.USAGE,
    )


def logout(server: ServerOption = None) -> None:
    """Forget the saved token for this server.

    Example: krafta logout
    """
    session = current_session(server)
    if session.token and session.token_source == "file":
        try:
            with KraftaClient(session.url, session.token, timeout=_LOGOUT_TIMEOUT) as client:
                client.logout()
        except KraftaError:
            pass  # the local token is what matters; the server keeps no session to end
    with cli_errors(session):
        forgotten = forget_login(session.url)
    render.print_line(f"Logged out of {session.url}." if forgotten else f"Not logged in to {session.url}.")
    if session.token_source == "env":
        render.print_line(f"Note: {ENV_TOKEN} is still set in your environment.")


def whoami(server: ServerOption = None, as_json: JsonOption = False) -> None:
    """Show the server, your e-mail, role and when the token expires.

    Example: krafta whoami --json
    """
    session = current_session(server)
    with connect(server) as client:
        user = client.me()
    expires = user.pop("expiresAt", None) or session.expires_at
    if as_json:
        render.print_json({"server": session.url, "user": user, "expiresAt": expires})
        return
    render.print_sections(
        [
            workflows.Section(
                "Session",
                [
                    ("Server", session.url),
                    ("E-mail", user.get("email")),
                    ("Role", user.get("role")),
                    ("Expires", view.when(expires, datetime.now(UTC))),
                    ("Token from", ENV_TOKEN if session.token_source == "env" else "saved login"),
                ],
            )
        ]
    )


def passwd(
    server: ServerOption = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the current password, then the new one, from the first two lines of stdin.",
        ),
    ] = False,
) -> None:
    """Change your own password: the current one, then the new one twice (at least 8 characters).

    Every session you had ends (other machines, boards); this one gets a new token, saved as a login is.

    Example: krafta passwd
    """
    session = current_session(server)
    current = read_password(from_stdin=password_stdin, prompt="Current password")
    new = read_new_password(from_stdin=password_stdin)
    with connect(server) as client:
        try:
            result = client.change_password(current, new)
        except NotLoggedIn as exc:
            fail(f"password not changed: {exc.message}", ExitCode.AUTH)
    with cli_errors(session):
        save_login(session.url, result.token, result.user, result.expires_at)
    render.print_line(
        f"Password changed for {result.user.get('email', '?')}; "
        "your other sessions ended, this one was renewed."
    )
    if session.token_source == "env":
        render.print_line(f"Note: the token in {ENV_TOKEN} ended too; unset it (the new one is saved).")


auth_app = typer.Typer(help="The session's token, for scripts and curl.", no_args_is_help=True)


@auth_app.command("token")
def token(server: ServerOption = None) -> None:
    """Print the current session's token (KRAFTA_TOKEN's, else the saved login's) alone on one line.

    Example: curl -H "Authorization: Bearer $(krafta auth token)" http://127.0.0.1:8000/api/orders
    """
    session = current_session(server)
    if not session.token:
        fail(f"not logged in to {session.url}: run `krafta login`", ExitCode.AUTH)
    typer.echo(session.token)
