"""Asking the operator things: passwords (hidden), e-mail addresses, yes/no confirmations.

Prompts need a terminal. Without one (a script, a pipe) they fail with a usage error that says
which flag to pass instead, rather than blocking on stdin or echoing a password.
"""

from __future__ import annotations

import sys

import typer

from krafta_cli.errors_cli import InputError, fail
from krafta_cli.exit_codes import ExitCode

__all__ = [
    "MIN_PASSWORD",
    "ask_courier",
    "ask_email",
    "ask_tracking",
    "confirm",
    "read_new_password",
    "read_password",
    "require_yes_without_tty",
    "stdin_is_tty",
]

MIN_PASSWORD = 8
"""The server's minimum password length (server/domain/schemas.py `Password`; a test ties the two), said in
the prompt so nobody learns it only after typing a password twice."""


def stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def read_password(*, from_stdin: bool, confirm_twice: bool = False, prompt: str = "Password") -> str:
    """The password from the next line of stdin (`--password-stdin`) or a hidden prompt."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif stdin_is_tty():
        password = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm_twice)
    else:
        fail("stdin is not a terminal, so the password cannot be asked: use --password-stdin", ExitCode.USAGE)
    if not password:
        raise InputError("the password is empty")
    return password


def read_new_password(*, from_stdin: bool) -> str:
    """A password for a new account: stated rule, typed twice, asked again while it is too short."""
    rule = f"at least {MIN_PASSWORD} characters"
    if from_stdin or not stdin_is_tty():
        password = read_password(from_stdin=from_stdin)
        if len(password) < MIN_PASSWORD:
            raise InputError(f"the password is too short: {rule}")
        return password
    # The length is checked after the first entry, before the repeat: typing a short password twice
    # to learn it was too short is what the newcomer hit (issue 19, finding 7).
    while True:
        password = str(typer.prompt(f"Password ({rule})", hide_input=True))
        if len(password) < MIN_PASSWORD:
            typer.echo(f"That password has {len(password)} characters; it needs {rule}. Try again.", err=True)
            continue
        if str(typer.prompt("Repeat for confirmation", hide_input=True)) == password:
            return password
        typer.echo("The two entries differ. Try again.", err=True)


def ask_email(given: str | None) -> str:
    if given and given.strip():
        return given.strip()
    if not stdin_is_tty():
        fail("stdin is not a terminal, so the e-mail cannot be asked: pass --email", ExitCode.USAGE)
    return str(typer.prompt("E-mail")).strip()


def ask_courier(given: str | None) -> str | None:
    """The courier of a hand-over, asked at a terminal (what `--courier` said is the default)."""
    answer = str(typer.prompt("Courier (MRW, Zoom, …)", default=given or "", show_default=bool(given)))
    return answer.strip() or None


def ask_tracking(number: str) -> str:
    """`number`'s own tracking number, asked until one is typed: couriers give one per parcel, and
    an empty answer must not hand a parcel over without one (`--no-tracking` says so on purpose)."""
    while True:
        answer = str(typer.prompt(f"Tracking number for {number}", default="", show_default=False)).strip()
        if answer:
            return answer
        typer.echo(
            "A hand-over needs this parcel's tracking number (Ctrl-C stops; --no-tracking hands over "
            "without one).",
            err=True,
        )


def require_yes_without_tty(*, assume_yes: bool, action: str) -> None:
    """Fail with a usage error naming `--yes` when `confirm` could not ask (no terminal on stdin).

    Commands call this before any request, so a script that forgot `--yes` changes nothing and
    learns about it even when the server is down or the order does not exist.
    """
    if not assume_yes and not stdin_is_tty():
        fail(f"stdin is not a terminal, so the {action} cannot be confirmed: pass --yes", ExitCode.USAGE)


def confirm(question: str, *, assume_yes: bool, action: str = "change") -> None:
    """Ask on a terminal unless `--yes`; without a terminal, a usage error naming `--yes`.

    Going ahead unasked would let `krafta orders advance N < /dev/null` move an order nobody
    confirmed.
    """
    if assume_yes:
        return
    require_yes_without_tty(assume_yes=assume_yes, action=action)
    if not typer.confirm(question, default=True):
        fail("aborted, nothing changed", ExitCode.ERROR)
