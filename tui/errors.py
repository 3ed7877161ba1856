"""How the board words a failed network call — the one table from client errors to what the user sees.

`BoardApp.report_error` is the only caller: every worker that fails ends there (through the
`ClientFailed` message), so the same error always reads the same way wherever it happened. The
server's sentences are passed through `view.sanitize` here, before any toast shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from krafta_cli.client import (
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
from krafta_cli.view import reason, sanitize
from krafta_cli.workflows import SAME_REFERENCE

__all__ = ["Notice", "notice_for"]

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True)
class Notice:
    """What to tell the user, and what the board should do about it."""

    message: str
    severity: Severity = "error"
    title: str = ""
    offline: bool = False
    """The server did not answer: show the banner."""
    toast: bool = True
    """Also show `message` as a notification (a background refresh that failed offline does not:
    the board retries every few seconds and would stack them; a failed move always does)."""
    login: bool = False
    """The session is gone: show the login screen."""
    refresh: bool = False
    """The board's picture is stale (409, 404): fetch it again."""


def _what_failed(doing: str, subject: str) -> str:
    """ "KRFT-1 was not moved: " for a failed user action, "" for background work."""
    if doing == "move":
        return f"{subject} was not moved: "
    if doing == "cancel":
        return f"{subject} was not cancelled: "
    return ""


def _join(prefix: str, sentence: str) -> str:
    return prefix + sentence[:1].lower() + sentence[1:] if prefix else sentence


def notice_for(error: BaseException, *, doing: str = "", subject: str = "") -> Notice:
    """The notice for `error` raised while `doing` (e.g. "move") `subject` (an order number).

    Anything that is not a client error is a bug and says so.
    """
    subject = sanitize(subject)
    prefix = _what_failed(doing, subject)
    if isinstance(error, Unreachable):
        why = sanitize(error.reason)
        if prefix:
            # The user asked for this move and is waiting for its outcome: a banner alone would
            # leave them guessing whether it went through.
            return Notice(
                f"{prefix}the server did not answer ({why})", "error", title="Offline", offline=True
            )
        return Notice(f"offline — retrying ({why})", "warning", offline=True, toast=False)
    message = sanitize(error.message) if isinstance(error, KraftaError) else ""
    if isinstance(error, NotLoggedIn):
        return Notice(_join(prefix, "Your session has ended — please log in again."), "warning", login=True)
    if isinstance(error, Conflict) and error.code == SAME_REFERENCE:
        # Nobody moved it: its payment's reference is on other orders too (the server names them).
        return Notice(f"{prefix}{message}", "error", title="Same reference")
    if isinstance(error, Conflict):
        now = f" (now {sanitize(error.current_status)})" if error.current_status else ""
        return Notice(
            f"{prefix}moved by someone else — refreshed{now}", "warning", title="Conflict", refresh=True
        )
    if isinstance(error, Forbidden):
        # The server's sentence names the role and the move ("The TALLER role may not …"); the
        # refresh then shows what this user may do now — their role may have just changed.
        return Notice(
            f"{prefix}{message} The board was refreshed to show what your role may do.",
            "error",
            title="Not allowed",
            refresh=True,
        )
    if isinstance(error, NotFound):
        return Notice(_join(prefix, "That order no longer exists — refreshed."), "warning", refresh=True)
    if isinstance(error, ValidationFailed):
        detail = "; ".join(f"{sanitize(field)}: {reason(why)}" for field, why in error.fields.items())
        return Notice(f"{prefix}{message}{' — ' + detail if detail else ''}", "error", title="Rejected")
    if isinstance(error, RateLimited):
        wait = f" Try again in {error.retry_after} s." if error.retry_after else ""
        return Notice(f"{prefix}{message}.{wait}", "warning", title="Too many attempts")
    if isinstance(error, DatabaseDown):
        # Not a failure of the server: its database is down, and its sentence says what it could not do.
        return Notice(_join(prefix, message), "warning", title="Database down")
    if isinstance(error, ServerError):
        return Notice(_join(prefix, f"The server failed: {message}"), "error", title="Server error")
    if isinstance(error, KraftaError):
        return Notice(f"{prefix}{message}", "error")
    return Notice(
        _join(prefix, f"Unexpected error: {type(error).__name__}: {sanitize(str(error))}"),
        "error",
        title="Bug",
    )
