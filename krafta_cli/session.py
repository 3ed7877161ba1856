"""`connect()`: a `KraftaClient` for the configured server and token, with CLI error handling."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from krafta_cli.client import DEFAULT_TIMEOUT, KraftaClient
from krafta_cli.config import Session, load_session
from krafta_cli.errors_cli import cli_errors

__all__ = ["connect", "current_session"]


def current_session(server: str | None = None) -> Session:
    """The resolved server and token; config problems become one error line and an exit code."""
    with cli_errors():
        return load_session(server)


@contextmanager
def connect(server: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> Iterator[KraftaClient]:
    """A client for the session; any client error inside the block ends the command cleanly.

    No local "are you logged in?" check: the request goes out without a token and the server's
    401 becomes the "run `krafta login`" message, so an unreachable server is reported as such.
    """
    session = current_session(server)
    with cli_errors(session), KraftaClient(session.url, session.token, timeout=timeout) as client:
        yield client
