"""Asking the operator things: passwords (hidden), e-mail addresses, yes/no confirmations.

Prompts need a terminal. Without one (a script, a pipe) they fail with a usage error that says
which flag to pass instead, rather than blocking on stdin or echoing a password.
"""

from __future__ import annotations

import sys

import typer

from krafta_cli.errors_cli import InputError, fail
from krafta_cli.exit_codes import ExitCode

__all__ = ["ask_email", "confirm", "read_password", "stdin_is_tty"]


def stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def read_password(*, from_stdin: bool, confirm_twice: bool = False) -> str:
    """The password from the first line of stdin (`--password-stdin`) or a hidden prompt."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif stdin_is_tty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=confirm_twice)
    else:
        fail("stdin is not a terminal, so the password cannot be asked: use --password-stdin", ExitCode.USAGE)
    if not password:
        raise InputError("the password is empty")
    return password


def ask_email(given: str | None) -> str:
    if given and given.strip():
        return given.strip()
    if not stdin_is_tty():
        fail("stdin is not a terminal, so the e-mail cannot be asked: pass --email", ExitCode.USAGE)
    return str(typer.prompt("E-mail")).strip()


def confirm(question: str, *, assume_yes: bool) -> None:
    """Ask on a terminal unless `--yes`; without a terminal, go ahead (scripts cannot answer)."""
    if assume_yes or not stdin_is_tty():
        return
    if not typer.confirm(question, default=True):
        fail("aborted, nothing changed", ExitCode.ERROR)
