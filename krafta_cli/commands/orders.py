"""`krafta orders list|show|advance|cancel|create|watch` (planning: `commands/planning.py`).

Which move is allowed is never decided here: `advance` takes the order's `nextStatuses` from the
server, always sends `expectedStatus`, and reports the server's 403/409 as they come.
"""

# Annotations stay unevaluated, so the moves' types (`workflows`) and the event stream's are loaded
# only by the commands that use them; Typer resolves the commands' own annotations (plain options).
from __future__ import annotations

import contextlib
import json
import os
import re
import select
import stat
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from krafta_cli import render, view, workflows
from krafta_cli.client import (
    CLOSED_STATUSES,
    Conflict,
    Forbidden,
    KraftaClient,
    KraftaError,
    NotFound,
    Order,
    Status,
    UnknownName,
    Unreachable,
    ValidationFailed,
    order_ref,
)
from krafta_cli.client import parse_status as parse_status_as_typed
from krafta_cli.commands.options import (
    FormatOption,
    JsonOption,
    ListJsonOption,
    StatusesOption,
    parse_status,
    statuses_help,
)
from krafta_cli.errors_cli import InputError, describe, fail, print_error
from krafta_cli.exit_codes import ExitCode
from krafta_cli.json_file import read_json_file
from krafta_cli.prompts import ask_courier, ask_tracking, confirm, require_yes_without_tty, stdin_is_tty
from krafta_cli.session import connect

if TYPE_CHECKING:
    # `orders list` and `show` move nothing and read no events: `workflows` loads the moves, and the
    # client its event stream, only when a command asks for them (issue 19, start-up).
    from krafta_cli.client import EventStream
    from krafta_cli.workflows import Handover, MoveOutcome, MoveRequest

__all__ = ["orders_app"]

orders_app = typer.Typer(
    help=(
        "List, inspect and move orders through the pipeline: REPORTED → CONFIRMED → IN_PRODUCTION → READY "
        "→ HANDED_TO_DELIVERY → COMPLETED (or CANCELLED). PENDING is an order whose payment an ADMIN "
        "rejected (`reject`), waiting for the customer's new evidence (`pay`)."
    ),
    no_args_is_help=True,
)

OrderRef = Annotated[
    str, typer.Argument(metavar="NUMBER", help="Order number (KRFT-482031, or just 482031) or uuid.")
]
YesOption = Annotated[
    bool,
    typer.Option("--yes", "-y", help="Do not ask for confirmation (required when stdin is not a terminal)."),
]

DEFAULT_LIMIT = 50


def _checked_ref(ref: str) -> str:
    """The order as typed (`482031` is `KRFT-482031`); an empty one is a usage error before any request."""
    if not ref.strip():
        fail("NUMBER is empty: give an order number (KRFT-482031) or uuid", ExitCode.USAGE)
    return order_ref(ref)


def _fetch(client: KraftaClient, ref: str) -> Order:
    try:
        return client.get_order(ref)
    except NotFound:
        fail(f"no order {ref!r} on {client.base_url}", ExitCode.NOT_FOUND)


def _move(client: KraftaClient, request: MoveRequest) -> Order:
    """Send the move with the status we saw; a refusal is one line, with its reason said once."""
    outcome = workflows.send_move(client, request)
    if outcome.order is not None:
        return outcome.order
    number, current = view.text(request.number), view.text(request.source)
    match outcome.error:
        case Conflict() as exc if exc.code == workflows.SAME_REFERENCE:
            # Not a race: the payment's reference is on other orders too (the server names them).
            fail(
                f"{number}: {exc.message} (krafta orders advance {number} --force --note …)",
                ExitCode.CONFLICT,
            )
        case Conflict() as exc:
            now = exc.current_status or "?"
            if now != current:
                fail(
                    f"{number} was moved by someone else meanwhile: it is now {now}, not {current}; "
                    "nothing changed (check it with `krafta orders show`)",
                    ExitCode.CONFLICT,
                )
            if not exc.next_statuses:
                fail(f"{number}: {exc.message} It is {now}: it has no next status.", ExitCode.CONFLICT)
            offered = ", ".join(exc.next_statuses)
            fail(f"{number}: {exc.message} You may move it to: {offered}.", ExitCode.CONFLICT)
        case Forbidden() as exc:
            said = exc.message if exc.message.startswith(number) else f"{number}: {exc.message}"
            fail(f"forbidden: {said}", ExitCode.FORBIDDEN)
        case error:
            raise error or RuntimeError("the move returned nothing")


@orders_app.command("list", epilog=f"Statuses: {statuses_help()}.")
def list_orders(
    status: StatusesOption = None,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Order number, city, state or payer name.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-L", min=1, max=500, help="At most this many orders.")] = (
        DEFAULT_LIMIT
    ),
    all_pages: Annotated[bool, typer.Option("--all", help="Every matching order (ignores --limit).")] = False,
    fmt: FormatOption = None,
    stuck: Annotated[
        bool, typer.Option("--stuck", help="Only orders the server says are stuck (KRAFTA_STUCK_AFTER).")
    ] = False,
    late: Annotated[bool, typer.Option("--late", help="Only orders past their due date.")] = False,
    held: Annotated[bool, typer.Option("--held", help="Only orders on hold.")] = False,
    rush: Annotated[bool, typer.Option("--rush", help="Only rush orders.")] = False,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort", metavar="due", help="due: the day's plan — rush first, then due date, then oldest."
        ),
    ] = None,
    same_reference: Annotated[
        bool,
        typer.Option(
            "--same-reference",
            help="Only orders paid with a reference another order's payment carries (staff).",
        ),
    ] = False,
    as_json: ListJsonOption = False,
) -> None:
    """List orders, newest first (or the day's plan with --sort due).

    Piped (or --format tsv): one tab-separated line per order, no header — number, status,
    createdAt (ISO 8601), city and state, items, total USD, total Bs (two decimals).

    Example: krafta orders list --status CONFIRMED --status IN_PRODUCTION --search Lara
    """
    output = render.default_format(fmt, as_json=as_json)
    if sort is not None and sort.strip().lower() != "due":
        fail(f"--sort {sort!r}: the one sort is `due` (without --sort: newest first)", ExitCode.USAGE)
    plan = workflows.plan_params(late=late, held=True if held else None, rush=rush, sort_due=sort is not None)
    more = False
    with connect() as client:
        if all_pages:
            pages = list(
                client.iter_pages(
                    status=status or (), q=search, stuck=stuck, plan=plan, same_reference=same_reference
                )
            )
            orders = [order for page in pages for order in page.orders]
            down = any(page.database_down for page in pages)
        else:
            page = client.list_orders(
                status=status or (),
                q=search,
                limit=limit,
                stuck=stuck,
                plan=plan,
                same_reference=same_reference,
            )
            orders, more, down = page.orders, page.next_cursor is not None, page.database_down
    render.print_orders(orders, output)
    if down:
        # Never a silent partial list: what the server has is printed, then said to be partial.
        count = f"{len(orders)} order{'' if len(orders) == 1 else 's'}"
        sys.stderr.write(
            f"warning: the server's database is down: this list holds only the {count} in its "
            "fallback store, not every order; run it again when the database is back\n"
        )
        raise typer.Exit(ExitCode.DATABASE_DOWN)
    if more and output is render.OutputFormat.TABLE and render.stdout_is_tty():
        first = "first" if sort else "newest"
        typer.echo(f"Showing the {first} {limit}; use --all or --limit N for more.", err=True)


@orders_app.command("show")
def show(ref: OrderRef, as_json: JsonOption = False) -> None:
    """Show one order: plan, shipping, items, payment evidence, price check, and its timeline
    (moves, notes and planning changes with who and when).

    Example: krafta orders show KRFT-482031
    """
    ref = _checked_ref(ref)
    with connect() as client:
        order = _fetch(client, ref)
    if as_json:
        render.print_json(order)
    else:
        render.print_order(order)


def _complete_status(incomplete: str) -> list[str]:
    return [s.value for s in Status if s.value.startswith(incomplete.upper())] if incomplete else []


@orders_app.command("advance")
def advance(
    refs: Annotated[
        list[str],
        typer.Argument(
            metavar="NUMBER... [STATUS]",
            help="Order numbers (KRFT-482031, or just 482031) or uuids, `-` to read them from stdin; "
            "then the target status (default: each order's next one the server offers).",
            show_default=False,
            autocompletion=_complete_status,
        ),
    ],
    note: Annotated[str | None, typer.Option("--note", "-n", help="A note for the order's history.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="ADMIN correction to any status; needs --note.")
    ] = False,
    courier: Annotated[
        str | None,
        typer.Option("--courier", help="Hand-over: the courier (MRW, Zoom, …); implies HANDED_TO_DELIVERY."),
    ] = None,
    tracking: Annotated[
        str | None,
        typer.Option(
            "--tracking",
            help="Hand-over of ONE order: its tracking number (several orders: NUMBER<TAB>TRACKING lines on "
            "stdin).",
        ),
    ] = None,
    no_tracking: Annotated[
        bool,
        typer.Option("--no-tracking", help="Hand over without a tracking number, on purpose."),
    ] = False,
    yes: YesOption = False,
    as_json: JsonOption = False,
) -> None:
    """Move orders to their next pipeline status (or to STATUS), each with the status it had.

    A hand-over (HANDED_TO_DELIVERY) takes each parcel's own tracking number: asked at a terminal,
    `--tracking` for one order, `NUMBER<TAB>TRACKING` lines on stdin for several. Without one it
    needs `--no-tracking`: nothing is handed over without a tracking number by accident.

    \b
    Examples:
      krafta orders advance 482031        →   KRFT-482031: CONFIRMED → IN_PRODUCTION
      krafta orders advance 482031 in production --yes
      krafta orders advance KRFT-482031 --courier MRW --tracking 1234567890
      cut -f1,3 parcels.tsv | krafta orders advance - --courier MRW --yes
    """
    numbers, target = _split_target(refs)
    if force and not (note and note.strip()):
        fail("--force needs a --note saying why", ExitCode.USAGE)
    if tracking is not None and not tracking.strip():
        fail("--tracking is empty: give the parcel's tracking number, or --no-tracking", ExitCode.USAGE)
    if tracking and no_tracking:
        fail("--tracking and --no-tracking contradict each other: give one", ExitCode.USAGE)
    handover = workflows.Handover(courier=(courier or "").strip() or None, tracking_number=tracking)
    reads_stdin = any(n.strip() == "-" for n in numbers)
    if tracking and (reads_stdin or len(numbers) > 1):
        fail(
            "--tracking is one parcel's number, and these are several orders: give each its own as "
            "NUMBER<TAB>TRACKING lines on stdin (`-`)",
            ExitCode.USAGE,
        )
    target = _handover_target(target, implied=not handover.empty)
    # Checked before stdin is read or any request is made: a script that forgot --yes changes nothing.
    if reads_stdin and not yes:
        fail("the order numbers come from stdin, so the move cannot be confirmed: pass --yes", ExitCode.USAGE)
    require_yes_without_tty(assume_yes=yes, action="move")
    if target == workflows.HANDOVER and yes and not (tracking or no_tracking or reads_stdin):
        _no_tracking_error(numbers)
    try:
        wanted = workflows.order_refs(numbers, sys.stdin.read)
    except ValueError as exc:
        fail(str(exc), ExitCode.USAGE)
    if not wanted:
        fail("no order numbers given" + (" on stdin" if reads_stdin else ""), ExitCode.USAGE)
    target = _handover_target(target, implied=any(w.tracking_number for w in wanted))
    moving = _Moving(target, note=note, handover=handover, no_tracking=no_tracking, yes=yes)
    if len(wanted) == 1 and not reads_stdin:
        _advance_one(wanted[0].ref, moving, force=force, as_json=as_json)
    else:
        _advance_many(wanted, moving, as_json=as_json)


def _handover_target(target: str | None, *, implied: bool) -> str | None:
    """A courier or a tracking number means a hand-over: the target, unless another was named."""
    if not implied or target == workflows.HANDOVER:
        return target
    if target is None:
        return workflows.HANDOVER
    fail(
        f"--courier, --tracking and stdin tracking numbers go with a move to {workflows.HANDOVER}, "
        f"not {target}",
        ExitCode.USAGE,
    )


def _no_tracking_error(numbers: Sequence[str]) -> NoReturn:
    """A hand-over asked for without a tracking number, where nobody can be asked: nothing moves."""
    named = ", ".join(view.text(order_ref(n)) for n in numbers[:5]) + (", …" if len(numbers) > 5 else "")
    fail(
        f"{named}: a hand-over needs each parcel's tracking number: --tracking for one order, "
        "NUMBER<TAB>TRACKING lines on stdin for several, or --no-tracking to hand over without one; "
        "nothing moved",
        ExitCode.USAGE,
    )


@dataclass(frozen=True)
class _Moving:
    """What the operator asked of every order of one `advance`."""

    target: str | None
    note: str | None
    handover: Handover
    no_tracking: bool
    yes: bool

    @property
    def can_ask(self) -> bool:
        return not self.yes and stdin_is_tty()

    def plan(
        self, seen: workflows.Seen, ref: str, *, tracking: str | None = None, force: bool = False
    ) -> MoveRequest:
        handover = replace(self.handover, tracking_number=tracking) if tracking else self.handover
        return workflows.plan_move(seen, self.target, note=self.note, handover=handover, force=force, ref=ref)


_ORDER_REF = re.compile(r"^(KRFT-\d{6}|[0-9a-fA-F-]{32,36}|-)$", re.IGNORECASE)
# "handed to delivery" is three words when typed unquoted.
_LONGEST_STATUS_WORDS = 3


def _split_target(refs: list[str]) -> tuple[list[str], str | None]:
    """`KRFT-1 KRFT-2 ready` → (["KRFT-1", "KRFT-2"], "READY"): a last word naming a status is the target.

    The target may be typed as people type statuses, unquoted words included (`… in production`).
    A last word that is neither a status nor looks like an order (`shipped`) is a usage error naming
    the closest status, before any request, rather than an order number nobody has.
    """
    for words in range(min(_LONGEST_STATUS_WORDS, len(refs) - 1), 1, -1):
        with contextlib.suppress(UnknownName):
            status = parse_status_as_typed(" ".join(refs[-words:]))
            return refs[:-words], status.value
    if len(refs) >= 2:
        last = refs[-1].strip()
        if _is_status(last) or not _ORDER_REF.match(order_ref(last)):
            return refs[:-1], parse_status(last)
    if len(refs) == 1 and _is_status(refs[0]):
        fail(f"{refs[0]} is a status: give the order number(s) before it", ExitCode.USAGE)
    for ref in refs:
        if not ref.strip():
            fail("NUMBER is empty: give an order number (KRFT-482031) or uuid", ExitCode.USAGE)
    return refs, None


def _is_status(word: str) -> bool:
    try:
        parse_status_as_typed(word)
    except UnknownName:
        return False
    return True


def _advance_one(ref: str, moving: _Moving, *, force: bool, as_json: bool) -> None:
    with connect() as client:
        order = _fetch(client, ref)
        seen = workflows.Seen.of(order)
        number, current = view.text(seen.number), view.text(seen.status)
        request = moving.plan(seen, ref, force=force)
        if request.target is None:
            if current in CLOSED_STATUSES:
                fail(f"{number} is {current}: it has no next status", ExitCode.CONFLICT)
            # Open, yet nothing offered: the server says this user's role may not move it. The same
            # cause as a 403 for an explicit STATUS, so the same exit code.
            fail(f"forbidden: {workflows.role_refusal(number, current).message}", ExitCode.FORBIDDEN)
        if request.is_handover and not (request.handover.tracking_number or moving.no_tracking):
            if not moving.can_ask:
                _no_tracking_error([seen.number])
            courier = ask_courier(request.handover.courier)
            request = request.with_handover(workflows.Handover(courier, ask_tracking(number)))
        confirm(f"Move {_plan_line(request)}?", assume_yes=moving.yes, action="move")
        updated = _move(client, request)
    if as_json:
        render.print_json(updated)
    else:
        render.print_line(view.moved_line(number, current, updated))


def _plan_line(request: MoveRequest) -> str:
    """`KRFT-1 from READY to HANDED_TO_DELIVERY (MRW · tracking 123)`: what a confirmation asks about."""
    line = f"{view.text(request.number)} from {view.text(request.source)} to {request.target or '?'}"
    if request.is_handover:
        h = request.handover
        parts = [view.text(h.courier) if h.courier else "no courier"]
        parts.append(
            f"tracking {view.text(h.tracking_number)}" if h.tracking_number else "no tracking number"
        )
        line += f" ({' · '.join(parts)})"
    return line


def _advance_many(wanted: list[workflows.Wanted], moving: _Moving, *, as_json: bool) -> None:
    with connect() as client:
        planned: list[MoveRequest | MoveOutcome] = []
        for item in wanted:
            seen = workflows.look_up(client, item.ref)
            if isinstance(seen, workflows.MoveOutcome):
                # Nothing has moved yet: an unreachable server is the whole command's error, not N lines.
                if isinstance(seen.error, Unreachable):
                    raise seen.error
                planned.append(seen)
            else:
                planned.append(moving.plan(seen, item.ref, tracking=item.tracking_number))
        planned = _with_tracking(planned, moving)
        if not moving.yes:
            requests = [r for r in planned if isinstance(r, workflows.MoveRequest)]
            lines = [f"  {_plan_line(r)}" for r in requests]
            typer.echo("\n".join(lines), err=True)
            confirm(f"Move these {len(lines)} orders?", assume_yes=moving.yes, action="move")
        outcomes = []
        for outcome in workflows.send_moves(client, planned):
            outcomes.append(outcome)
            if not as_json:
                _print_outcome(outcome)
    if as_json:
        render.print_json([_outcome_json(o) for o in outcomes])
    failed = [o for o in outcomes if not o.moved]
    if failed:
        raise typer.Exit(int(describe(failed[0].error)[1]) if failed[0].error else int(ExitCode.ERROR))


def _with_tracking(
    planned: list[MoveRequest | MoveOutcome], moving: _Moving
) -> list[MoveRequest | MoveOutcome]:
    """Every hand-over with its own tracking number: asked per parcel at a terminal; else, when any
    lacks one (a READY order in a mixed bulk move), nothing moves, unless `--no-tracking` said so."""
    lacking = [
        r
        for r in planned
        if isinstance(r, workflows.MoveRequest) and r.is_handover and not r.handover.tracking_number
    ]
    if not lacking or moving.no_tracking:
        return planned
    if not moving.can_ask:
        _no_tracking_error([r.number for r in lacking])
    courier = ask_courier(moving.handover.courier)
    asked = {id(r): workflows.Handover(courier, ask_tracking(view.text(r.number))) for r in lacking}
    return [
        item.with_handover(asked[id(item)])
        if id(item) in asked and isinstance(item, workflows.MoveRequest)
        else item
        for item in planned
    ]


def _why_not(outcome: MoveOutcome) -> str:
    error = outcome.error
    if isinstance(error, Conflict) and error.code == workflows.SAME_REFERENCE:
        return describe(error)[0]
    if isinstance(error, Conflict) and outcome.source and error.current_status != outcome.source:
        return f"moved by someone else meanwhile: it is now {error.current_status}, not {outcome.source}"
    return describe(error)[0] if error else "not moved"


def _print_outcome(outcome: MoveOutcome) -> None:
    if outcome.order is not None:
        render.print_line(view.moved_line(outcome.number, outcome.source, outcome.order))
    else:
        print_error(f"{outcome.number}: not moved: {_why_not(outcome)}")


def _outcome_json(outcome: MoveOutcome) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ref": outcome.ref,
        "orderNumber": outcome.number,
        "moved": outcome.moved,
        "from": outcome.source,
        "to": outcome.target,
    }
    if outcome.order is not None:
        out["order"] = outcome.order
    else:
        message, code = describe(outcome.error) if outcome.error else ("not moved", ExitCode.ERROR)
        out["error"] = {"message": message, "exitCode": int(code)}
    return out


@orders_app.command("batches")
def batches(
    status: StatusesOption = None,
    fmt: FormatOption = None,
    as_json: ListJsonOption = False,
) -> None:
    """Production batches: CONFIRMED and IN_PRODUCTION orders (or --status) grouped by product and
    variant, quantities summed, oldest order first.

    Piped (or --format tsv): one tab-separated line per batch — status, quantity, product and
    variant, its order numbers (oldest first, comma-separated).

    Example: krafta orders batches   →   CONFIRMED  12  Franela blanca · M · blanco  KRFT-104233, …
    """
    statuses = list(status or workflows.BATCH_STATUSES)
    output = render.default_format(fmt, as_json=as_json)
    with connect() as client:
        orders = list(client.iter_orders(status=statuses))
        catalog = client.list_catalog()
    found = workflows.production_batches(orders, catalog, statuses=statuses)
    if output is render.OutputFormat.JSON:
        render.print_json(workflows.batches_json(found))
    else:
        render.print_batches(found, output)


@orders_app.command("cancel")
def cancel(
    ref: OrderRef,
    note: Annotated[str, typer.Option("--note", "-n", help="Why it is cancelled (kept in the history).")],
    yes: YesOption = False,
    as_json: JsonOption = False,
) -> None:
    """Cancel an order (ADMIN).

    Example: krafta orders cancel KRFT-482031 --note "customer asked, refund sent"
    """
    ref = _checked_ref(ref)
    if not note.strip():
        fail("--note must say why the order is cancelled", ExitCode.USAGE)
    require_yes_without_tty(assume_yes=yes, action="cancellation")
    with connect() as client:
        order = _fetch(client, ref)
        number, current = view.text(order.get("orderNumber", ref)), view.text(order.get("status"))
        confirm(f"Cancel {number} (now {current})?", assume_yes=yes, action="cancellation")
        # Sent whatever is offered: the server's refusal (403 for a TALLER, 409 when closed) is the answer.
        updated = _move(client, workflows.plan_move(workflows.Seen.of(order), Status.CANCELLED, note=note))
    if as_json:
        render.print_json(updated)
    else:
        render.print_line(view.moved_line(number, current, updated))


@orders_app.command("reject")
def reject(
    refs: Annotated[
        list[str],
        typer.Argument(
            metavar="NUMBER...",
            help="REPORTED orders (KRFT-482031, or just 482031) or uuids, `-` to read them from stdin.",
            show_default=False,
        ),
    ],
    reason: Annotated[
        str,
        typer.Option("--reason", "-r", help="Why the payment is rejected: the customer is shown it."),
    ],
    yes: YesOption = False,
    as_json: JsonOption = False,
) -> None:
    """Reject the payment of REPORTED orders (ADMIN): each goes back to PENDING, its latest payment
    REJECTED with the reason, until the customer sends new evidence (`krafta orders pay`).

    \b
    Examples:
      krafta orders reject 482031 --reason "no transfer with this reference in the statement"
      krafta orders list --same-reference | cut -f1 | krafta orders reject - -r "reference reused" --yes
    """
    if not reason.strip():
        fail("--reason must say why the payment is rejected (the customer is shown it)", ExitCode.USAGE)
    reads_stdin = any(n.strip() == "-" for n in refs)
    if reads_stdin and not yes:
        fail(
            "the order numbers come from stdin, so the rejection cannot be confirmed: pass --yes",
            ExitCode.USAGE,
        )
    require_yes_without_tty(assume_yes=yes, action="rejection")
    try:
        wanted = workflows.order_refs(refs, sys.stdin.read)
    except ValueError as exc:
        fail(str(exc), ExitCode.USAGE)
    if not wanted:
        fail("no order numbers given" + (" on stdin" if reads_stdin else ""), ExitCode.USAGE)
    # A rejection is the move REPORTED → PENDING with its reason as the note: the server does the rest.
    moving = _Moving(
        Status.PENDING, note=reason.strip(), handover=workflows.Handover(), no_tracking=False, yes=yes
    )
    if len(wanted) == 1 and not reads_stdin:
        _advance_one(wanted[0].ref, moving, force=False, as_json=as_json)
    else:
        _advance_many(wanted, moving, as_json=as_json)


@orders_app.command("pay")
def pay(
    ref: OrderRef,
    method: Annotated[
        str, typer.Option("--method", "-m", help="PAGO_MOVIL or TRANSFERENCIA.", show_default=False)
    ],
    reference: Annotated[
        str, typer.Option("--reference", help="The transfer's reference.", show_default=False)
    ],
    bank: Annotated[str, typer.Option("--bank", help="The bank it was paid from.", show_default=False)],
    payer: Annotated[str, typer.Option("--payer", help="Who paid.", show_default=False)],
    amount: Annotated[
        float | None, typer.Option("--amount", help="Bs. paid (default: the order's total in Bs.).")
    ] = None,
    receipt: Annotated[
        str | None, typer.Option("--receipt-url", help="An http(s) link to the receipt.")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="KRAFTA_ORDER_TOKEN",
            help="The order token `orders create` printed (else your login must own the order).",
        ),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        typer.Option("--idempotency-key", help="Reuse to make a retried submission add nothing new."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Send new payment evidence for an order whose payment was rejected (PENDING), as its customer.

    Example: krafta orders pay KRFT-482031 --token T --method PAGO_MOVIL --reference 0123456789
    --bank Banesco --payer "María Pérez"
    """
    ref = _checked_ref(ref)
    payment: dict[str, Any] = {
        "method": method.strip().upper(),
        "reference": reference,
        "originBank": bank,
        "payerName": payer,
    }
    if amount is not None:
        payment["amountReported"] = amount
    if receipt is not None:
        payment["receiptUrl"] = receipt
    with connect() as client:
        try:
            order = client.add_payment(ref, payment, order_token=token, idempotency_key=idempotency_key)
        except ValidationFailed as exc:
            detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message
            fail(f"invalid payment: {detail}", ExitCode.INVALID)
    if as_json:
        render.print_json(order)
    else:
        number, status = view.text(order.get("orderNumber")), view.text(order.get("status"))
        render.print_line(f"{number}: new payment evidence sent, the order is {status} again")


@orders_app.command("create")
def create(
    file: Annotated[
        str, typer.Option("--file", "-f", metavar="FILE.json", help="The order body as JSON (`-` for stdin).")
    ],
    idempotency_key: Annotated[
        str | None,
        typer.Option("--idempotency-key", help="Reuse to make a retried submission create nothing new."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Submit an order as a customer would (see examples/order.json).

    Example: krafta orders create --file examples/order.json
    """
    body: Any = read_json_file(file, what="order file")
    if not isinstance(body, dict):
        raise InputError(f"order file {file} must hold a JSON object, not {type(body).__name__}")
    with connect() as client:
        try:
            created = client.create_order(body, idempotency_key=idempotency_key)
        except ValidationFailed as exc:
            detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message
            fail(f"invalid order in {file}: {detail}", ExitCode.INVALID)
    if as_json:
        render.print_json(created)
    else:
        number, status, order_id = created.get("orderNumber"), created.get("status"), created.get("orderId")
        render.print_line(f"Created {number} ({status}), id {order_id}")
        token = created.get("orderToken")
        if isinstance(token, str):
            # The server answers it once and keeps only its hash: this is the one chance to keep it.
            render.print_line(f"Order token (shown once; opens this order): {view.text(token)}")


def _note(message: str) -> None:
    """A remark on stderr that is not an error (the watch goes on)."""
    sys.stderr.write(f"krafta: {view.sanitize(message)}\n")
    sys.stderr.flush()


def _when_stdout_closes(stop: threading.Event, streams: list[EventStream]) -> None:
    """Stop watching as soon as the reader of our pipe is gone (`watch | head -n 2`).

    Writing would tell us too, but only at the next event, which may be hours away: the pipe's
    write end reports POLLERR as soon as its read end closes, so a thread waits for that.
    """
    try:
        if not stat.S_ISFIFO(os.fstat(sys.stdout.fileno()).st_mode):
            return
    except (OSError, ValueError):
        return
    poller = select.poll()
    poller.register(sys.stdout.fileno(), 0)  # no events asked for: only POLLERR / POLLHUP come back

    def wait() -> None:
        while not stop.is_set():
            if poller.poll(500):
                stop.set()
                for stream in streams:
                    stream.close()
                return

    threading.Thread(target=wait, name="krafta-watch-stdout", daemon=True).start()


@orders_app.command("watch")
def watch(
    status: StatusesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Follow orders live: one line per order created or moved, until Ctrl-C.

    Each line: time, number, from → to, and who moved it (staff see who). With --json, one JSON
    object per line ({"id", "type", "order"}). After a dropped connection it reconnects by itself
    and resumes after the last event it printed; "resync" means some could not be resumed.

    Example: krafta orders watch --status READY --json
    """
    statuses = list(status or [])
    stop = threading.Event()
    from krafta_cli.client import RESYNC

    streams: list[EventStream] = []
    _when_stdout_closes(stop, streams)

    lost = [False]  # say it once per outage, not once per attempt

    def on_state(connected: bool, error: KraftaError | None) -> None:
        if connected and lost[0]:
            _note("event stream back; resumed after the last event shown")
        elif not connected and not lost[0] and not stop.is_set():
            _note(f"event stream lost{f': {error}' if error else ''}; reconnecting")
        lost[0] = not connected

    def on_open(stream: EventStream) -> None:
        streams[:] = [stream]
        if stop.is_set():
            stream.close()

    with connect() as client:
        try:
            for event in client.follow_events(status=statuses, stop=stop, on_state=on_state, on_open=on_open):
                if as_json:
                    # One object per line (JSON Lines), terminal-safe as print_json makes it.
                    line = json.dumps(event.as_json(), ensure_ascii=True, separators=(",", ":"))
                    sys.stdout.write(line + "\n")
                    sys.stdout.flush()
                elif event.type == RESYNC:
                    _note("events were missed after a drop; `krafta orders list` shows every order")
                elif event.order is not None:
                    render.print_line(view.event_line(event.order))
        except KeyboardInterrupt:
            # Ctrl-C is how a watch ends: not an error.
            stop.set()
