"""Options shared by several command groups, declared once so their flags and help read the same.

Statuses and roles are parsed by the client's one reading of them (`krafta_cli.client.parse_status`)
rather than by Typer's enum choices: Typer shows and reports choices lower-case ("'foo' is not one
of 'pending', 'reported', …"), while the API — and our README, errors and tables — write them
upper-case. Input is taken as people type it (`in production`, `in-production`) and a typo gets
"did you mean".
"""

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

import typer

from krafta_cli.client import STATUS_MEANINGS, Role, Status, UnknownName
from krafta_cli.client import parse_role as _role
from krafta_cli.client import parse_status as _status
from krafta_cli.render import OutputFormat

__all__ = [
    "FormatOption",
    "JsonOption",
    "ListJsonOption",
    "RoleOption",
    "ServerOption",
    "StatusArgument",
    "StatusesOption",
    "parse_role",
    "parse_status",
    "statuses_help",
]

# Two texts, so each command's help is true of it: only the list commands have a `--format` to name.
JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON.")]
ListJsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON (same as --format json).")]
ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server", "-s", help="Server URL (default: KRAFTA_URL, the last login, http://127.0.0.1:8000)."
    ),
]


def _names(kind: type[StrEnum]) -> str:
    return ", ".join(member.value for member in kind)


def parse_status(value: str | None) -> str | None:
    """A status as typed → the API's name; a usage error names the closest and all of them."""
    if value is None:
        return None
    try:
        return _status(value).value
    except UnknownName as exc:
        raise typer.BadParameter(str(exc)) from None


def _parse_statuses(values: Sequence[str] | None) -> list[str]:
    return [name for v in values or () if (name := parse_status(v))]


def parse_role(value: str) -> str:
    try:
        return _role(value).value
    except UnknownName as exc:
        raise typer.BadParameter(str(exc)) from None


def _complete_status(incomplete: str) -> list[str]:
    return [s.value for s in Status if s.value.startswith(incomplete.upper())]


def _complete_role(incomplete: str) -> list[str]:
    return [r.value for r in Role if r.value.startswith(incomplete.upper())]


def statuses_help() -> str:
    """The statuses and what each means, for `--help` texts (PENDING included, said for what it is)."""
    return " · ".join(f"{status.value}: {meaning}" for status, meaning in STATUS_MEANINGS.items())


StatusesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        "-S",
        metavar="STATUS",
        callback=_parse_statuses,
        autocompletion=_complete_status,
        help=f"Only this status (repeatable; as typed: `in production`, `in-production`): {_names(Status)}.",
    ),
]
StatusArgument = Annotated[
    str | None,
    typer.Argument(
        metavar="[STATUS]",
        callback=parse_status,
        autocompletion=_complete_status,
        show_default=False,
        help="Target status (default: the next one the server offers you).",
    ),
]
RoleOption = Annotated[
    str,
    typer.Option(
        "--role",
        "-r",
        metavar="ROLE",
        callback=parse_role,
        autocompletion=_complete_role,
        help=f"The account's role: {_names(Role)}.",
    ),
]
FormatOption = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-F",
        metavar="table|tsv|json",
        case_sensitive=False,
        show_default=False,
        help="Output: a table (default on a terminal), tab-separated rows (default when piped), or JSON.",
    ),
]
