"""How the board words a failed network call — the one table from client errors to what the user sees.

`BoardApp.report_error` is the only caller: every worker that fails ends there, so the same
error always reads the same way wherever it happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from krafta_cli.client import (
    Conflict,
    Forbidden,
    KraftaError,
    NotFound,
    NotLoggedIn,
    RateLimited,
    ServerError,
    Unreachable,
    ValidationFailed,
)

__all__ = ["Notice", "notice_for"]

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True)
class Notice:
    """What to tell the user, and what the board should do about it."""

    message: str
    severity: Severity = "error"
    title: str = ""
    offline: bool = False
    """The server did not answer: show the banner rather than a toast per retry."""
    login: bool = False
    """The session is gone: show the login screen."""
    refresh: bool = False
    """The board's picture is stale (409, 404): fetch it again."""


def notice_for(error: BaseException) -> Notice:
    """The notice for `error`; anything that is not a client error is a bug and says so."""
    if isinstance(error, Unreachable):
        return Notice(f"offline — retrying ({error.reason})", "warning", offline=True)
    if isinstance(error, NotLoggedIn):
        return Notice("Your session has ended — please log in again.", "warning", login=True)
    if isinstance(error, Conflict):
        now = f" (now {error.current_status})" if error.current_status else ""
        return Notice(f"moved by someone else — refreshed{now}", "warning", title="Conflict", refresh=True)
    if isinstance(error, Forbidden):
        # The server's sentence names the role and the move ("The TALLER role may not …"); the
        # refresh then shows what this user may do now — their role may have just changed.
        return Notice(
            f"{error.message} The board was refreshed to show what your role may do.",
            "error",
            title="Not allowed",
            refresh=True,
        )
    if isinstance(error, NotFound):
        return Notice("That order no longer exists — refreshed.", "warning", refresh=True)
    if isinstance(error, ValidationFailed):
        detail = "; ".join(f"{field}: {why}" for field, why in error.fields.items())
        return Notice(f"{error.message}{' — ' + detail if detail else ''}", "error", title="Rejected")
    if isinstance(error, RateLimited):
        wait = f" Try again in {error.retry_after} s." if error.retry_after else ""
        return Notice(f"{error.message}.{wait}", "warning", title="Too many attempts")
    if isinstance(error, ServerError):
        return Notice(f"The server failed: {error.message}", "error", title="Server error")
    if isinstance(error, KraftaError):
        return Notice(error.message, "error")
    return Notice(f"Unexpected error: {type(error).__name__}: {error}", "error", title="Bug")
