"""The one place that turns an error into one line on stderr and an exit code.

Commands never print errors themselves: they raise (client errors, `ConfigError`,
`InputError`) or call `fail(...)`, and `cli_errors()` / `main()` do the rest. Messages name
the next step where there is one ("run `krafta login`"), never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from krafta_cli.client import (
    ApiError,
    Conflict,
    DatabaseDown,
    Forbidden,
    KraftaError,
    NotFound,
    NotLoggedIn,
    RateLimited,
    ServerError,
    Unreachable,
    ValidationFailed,
)
from krafta_cli.config import ConfigError, InvalidServerUrl, Session
from krafta_cli.exit_codes import ExitCode
from krafta_cli.view import reason, sanitize

__all__ = ["InputError", "cli_errors", "describe", "fail", "print_error"]


class InputError(Exception):
    """Local input we cannot use (a missing or non-JSON file, an empty password): exit 8."""


def print_error(message: str) -> None:
    """`error: <message>` as one line on stderr, safe for a terminal (it may quote the server)."""
    line = " ".join(sanitize(str(message)).split())
    sys.stderr.write(f"error: {line}\n")
    sys.stderr.flush()


def fail(message: str, code: ExitCode = ExitCode.ERROR) -> NoReturn:
    """Print `message` as the one error line and end the command with `code`."""
    print_error(message)
    raise typer.Exit(int(code))


def _not_logged_in(exc: NotLoggedIn, session: Session | None) -> str:
    if session is None or session.token is None:
        url = session.url if session else "the server"
        return f"not logged in to {url}: run `krafta login`"
    if session.token_source == "env":
        return "the token in KRAFTA_TOKEN was refused; unset it or run `krafta login`"
    return f"your session on {session.url} is no longer valid ({exc.message}): run `krafta login` again"


def describe(exc: BaseException, session: Session | None = None) -> tuple[str, ExitCode]:
    """The message and exit code for an error (the mapping the README documents)."""
    match exc:
        case Unreachable():
            return str(exc), ExitCode.UNREACHABLE
        case NotLoggedIn():
            return _not_logged_in(exc, session), ExitCode.AUTH
        case RateLimited():
            wait = f" (try again in {exc.retry_after} s)" if exc.retry_after else ""
            return f"{exc.message}{wait}", ExitCode.AUTH
        case Forbidden():
            return f"forbidden: {exc.message}", ExitCode.FORBIDDEN
        case NotFound():
            return exc.message, ExitCode.NOT_FOUND
        case Conflict():
            message = exc.message
            if exc.current_status and exc.current_status not in message:
                message += f" (current status: {exc.current_status})"
            return message, ExitCode.CONFLICT
        case ValidationFailed():
            if exc.fields:
                detail = "; ".join(f"{name}: {reason(problem)}" for name, problem in exc.fields.items())
                return f"invalid input: {detail}", ExitCode.INVALID
            return f"invalid input: {reason(exc.message)}", ExitCode.INVALID
        case DatabaseDown():
            # The server's own sentence: it says what could not be done and that the database is down.
            return exc.message, ExitCode.DATABASE_DOWN
        case ServerError():
            return f"server error: {exc.message}", ExitCode.ERROR
        case ApiError() | KraftaError():
            return str(exc), ExitCode.ERROR
        case InvalidServerUrl():
            return str(exc), ExitCode.USAGE
        case ConfigError():
            return str(exc), ExitCode.ERROR
        case InputError():
            return str(exc), ExitCode.INVALID
    return f"unexpected error: {type(exc).__name__}: {exc}", ExitCode.ERROR


@contextmanager
def cli_errors(session: Session | None = None) -> Iterator[None]:
    """Turn our known errors raised inside the block into `fail(...)`; `session` sharpens auth messages."""
    try:
        yield
    except (KraftaError, ConfigError, InputError) as exc:
        fail(*describe(exc, session))
