"""`krafta orders due|rush|hold|release|note`: planning the day, one change for one or many orders.

Each order gets one line (`KRFT-482031: due 2026-12-10`, or `error: KRFT-482032: not changed: …`
on stderr); the exit code is 0 only when every order took the change, else the first failure's. A
planning change moves nothing, so none asks for confirmation. Orders are named as for `advance`:
numbers as typed, or `-` for stdin.
"""

import sys
from datetime import date
from typing import Annotated, Any

import typer

from krafta_cli import render, workflows
from krafta_cli.client import Unreachable

# The group's paper commands (`ticket`, `manifest`) first: `krafta_cli.main.COMMANDS` loads the
# `orders` group through this module.
from krafta_cli.commands import paper  # noqa: F401
from krafta_cli.commands.options import JsonOption
from krafta_cli.commands.orders import orders_app
from krafta_cli.errors_cli import describe, fail, print_error
from krafta_cli.exit_codes import ExitCode
from krafta_cli.session import connect

__all__ = ["due", "hold", "note", "release", "rush"]

Refs = Annotated[
    list[str],
    typer.Argument(
        metavar="NUMBER...",
        help="Order numbers (KRFT-482031, or just 482031) or uuids, `-` to read them from stdin.",
        show_default=False,
    ),
]


def _reasons(incomplete: str) -> list[str]:
    return [r for r in workflows.HOLD_REASONS if r.startswith(incomplete.upper())]


def _day(typed: str, option: str) -> date | None:
    try:
        return workflows.read_day(typed, date.today())
    except ValueError as exc:
        fail(f"{option}: {exc}", ExitCode.USAGE)


def _apply(refs: list[str], changes: dict[str, Any], *, as_json: bool) -> None:
    try:
        wanted = workflows.order_refs(refs, sys.stdin.read)
    except ValueError as exc:
        fail(str(exc), ExitCode.USAGE)
    if not wanted:
        fail("no order numbers given", ExitCode.USAGE)
    outcomes: list[workflows.PlanOutcome] = []
    with connect() as client:
        for outcome in workflows.send_plans(client, [w.ref for w in wanted], changes):
            # Nothing changed yet: an unreachable server is the command's one error, not N lines.
            if isinstance(outcome.error, Unreachable) and not outcomes:
                raise outcome.error
            outcomes.append(outcome)
            if as_json:
                continue
            if outcome.error is not None:
                print_error(f"{outcome.number}: not changed: {describe(outcome.error)[0]}")
            elif outcome.order is not None:
                render.print_line(workflows.plan_line(changes, outcome.order))
    if as_json:
        render.print_json([_outcome_json(o) for o in outcomes])
    failed = [o for o in outcomes if o.error is not None]
    if failed:
        raise typer.Exit(int(describe(failed[0].error)[1]) if failed[0].error else int(ExitCode.ERROR))


def _outcome_json(outcome: workflows.PlanOutcome) -> dict[str, Any]:
    if outcome.order is not None:
        return {"ref": outcome.ref, "changed": True, "order": outcome.order}
    message, code = describe(outcome.error) if outcome.error else ("not changed", ExitCode.ERROR)
    return {"ref": outcome.ref, "changed": False, "error": {"message": message, "exitCode": int(code)}}


def _last(refs: list[str], what: str) -> tuple[list[str], str]:
    if len(refs) < 2:
        fail(f"give the order numbers, then {what}", ExitCode.USAGE)
    return refs[:-1], refs[-1]


def due(
    refs: Annotated[
        list[str],
        typer.Argument(
            metavar="NUMBER... DATE",
            help="Order numbers (or `-` for stdin), then the day: 2026-12-10, today, tomorrow, +3, or none.",
            show_default=False,
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Set the day promised to the customer (or `none` to clear it).

    \b
    Examples:
      krafta orders due 482031 2026-12-10
      krafta orders due 482031 482032 tomorrow
    """
    numbers, typed = _last(refs, "the DATE (2026-12-10, today, tomorrow, +3 or none)")
    _apply(numbers, workflows.due_change(_day(typed, "DATE")), as_json=as_json)


def rush(
    refs: Refs,
    off: Annotated[bool, typer.Option("--off", help="Back to normal priority.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Put orders first (rush), or back to normal with --off.

    Example: krafta orders rush 482031
    """
    _apply(refs, workflows.rush_change(not off), as_json=as_json)


def hold(
    refs: Refs,
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            "-r",
            help=f"Why: {', '.join(workflows.HOLD_REASONS)}.",
            autocompletion=_reasons,
            show_default=False,
        ),
    ],
    until: Annotated[
        str | None,
        typer.Option("--until", help="The day the hold ends by itself: 2026-12-10, tomorrow, +3."),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", "-n", help="What is missing, for the workshop.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Park orders without cancelling them: they keep their status and place, and are never stuck.

    Example: krafta orders hold 482031 --reason MATERIAL --until +2 --note "no blank M shirts"
    """
    day = _day(until, "--until") if until is not None else None
    _apply(refs, workflows.hold_change(reason, until=day, note=note), as_json=as_json)


def release(refs: Refs, as_json: JsonOption = False) -> None:
    """End the hold of orders.

    Example: krafta orders release 482031
    """
    _apply(refs, workflows.release_change(), as_json=as_json)


def note(
    refs: Annotated[
        list[str],
        typer.Argument(
            metavar="NUMBER... TEXT",
            help="Order numbers (or `-` for stdin), then the note.",
            show_default=False,
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Add a note to the orders' timeline (who and when are recorded).

    Example: krafta orders note 482031 "customer called: deliver after 3 pm"
    """
    numbers, text = _last(refs, "the note's TEXT")
    if not text.strip():
        fail("the note is empty", ExitCode.USAGE)
    _apply(numbers, workflows.note_change(text), as_json=as_json)


# Part of the `orders` group: importing this module adds them.
for _command in (due, rush, hold, release, note):
    orders_app.command(_command.__name__)(_command)
