"""`krafta orders list|show|advance|cancel|create|watch`.

Which move is allowed is never decided here: `advance` takes the order's `nextStatuses` from the
server, always sends `expectedStatus`, and reports the server's 403/409 as they come.
"""

import json
import os
import select
import stat
import sys
import threading
from typing import Annotated, Any

import typer

from krafta_cli import render, view
from krafta_cli.client import (
    CLOSED_STATUSES,
    RESYNC,
    Conflict,
    EventStream,
    Forbidden,
    KraftaClient,
    KraftaError,
    NotFound,
    Order,
    Status,
    ValidationFailed,
)
from krafta_cli.commands.options import (
    FormatOption,
    JsonOption,
    StatusArgument,
    StatusesOption,
    statuses_help,
)
from krafta_cli.errors_cli import InputError, fail
from krafta_cli.exit_codes import ExitCode
from krafta_cli.json_file import read_json_file
from krafta_cli.prompts import confirm, require_yes_without_tty
from krafta_cli.session import connect

__all__ = ["orders_app", "register"]

orders_app = typer.Typer(
    help=(
        "List, inspect and move orders through the pipeline: REPORTED → CONFIRMED → IN_PRODUCTION → READY "
        "→ HANDED_TO_DELIVERY → COMPLETED (or CANCELLED). PENDING is an order without payment evidence, "
        "which `POST /api/orders` never creates."
    ),
    no_args_is_help=True,
)

OrderRef = Annotated[str, typer.Argument(metavar="NUMBER", help="Order number (KRFT-482031) or uuid.")]
YesOption = Annotated[
    bool,
    typer.Option("--yes", "-y", help="Do not ask for confirmation (required when stdin is not a terminal)."),
]

DEFAULT_LIMIT = 50


def _checked_ref(ref: str) -> str:
    """The order reference, stripped; an empty one is a usage error before any request."""
    if not ref.strip():
        fail("NUMBER is empty: give an order number (KRFT-482031) or uuid", ExitCode.USAGE)
    return ref.strip()


def _fetch(client: KraftaClient, ref: str) -> Order:
    try:
        return client.get_order(ref)
    except NotFound:
        fail(f"no order {ref!r} on {client.base_url}", ExitCode.NOT_FOUND)


def _move(client: KraftaClient, order: Order, target: str, *, note: str | None, force: bool = False) -> Order:
    """Send the move with the status we saw; a refusal is one line, with its reason said once."""
    number, current = view.text(order.get("orderNumber", order["id"])), view.text(order.get("status"))
    try:
        return client.advance(order["id"], target, expected=current, note=note, force=force)
    except Conflict as exc:
        now = exc.current_status or "?"
        if now != current:
            fail(
                f"{number} was moved by someone else meanwhile: it is now {now}, not {current}; "
                "nothing changed (check it with `krafta orders show`)",
                ExitCode.CONFLICT,
            )
        offered = ", ".join(exc.next_statuses) or "nothing"
        fail(f"{number}: {exc.message} You may move it to: {offered}.", ExitCode.CONFLICT)
    except Forbidden as exc:
        fail(f"forbidden: {number}: {exc.message}", ExitCode.FORBIDDEN)


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
    as_json: JsonOption = False,
) -> None:
    """List orders, newest first.

    Piped (or --format tsv): one tab-separated line per order, no header — number, status,
    createdAt (ISO 8601), city and state, items, total USD, total Bs (two decimals).

    Example: krafta orders list --status CONFIRMED --status IN_PRODUCTION --search Lara
    """
    output = render.default_format(fmt, as_json=as_json)
    more = False
    with connect() as client:
        if all_pages:
            orders = list(client.iter_orders(status=status or (), q=search))
        else:
            page = client.list_orders(status=status or (), q=search, limit=limit)
            orders, more = page.orders, page.next_cursor is not None
    render.print_orders(orders, output)
    if more and output is render.OutputFormat.TABLE and render.stdout_is_tty():
        typer.echo(f"Showing the newest {limit}; use --all or --limit N for more.", err=True)


@orders_app.command("show")
def show(ref: OrderRef, as_json: JsonOption = False) -> None:
    """Show one order: shipping, items, payment evidence, price check, history.

    Example: krafta orders show KRFT-482031
    """
    ref = _checked_ref(ref)
    with connect() as client:
        order = _fetch(client, ref)
    if as_json:
        render.print_json(order)
    else:
        render.print_order(order)


@orders_app.command("advance")
def advance(
    ref: OrderRef,
    to: StatusArgument = None,
    note: Annotated[str | None, typer.Option("--note", "-n", help="A note for the order's history.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="ADMIN correction to any status; needs --note.")
    ] = False,
    yes: YesOption = False,
    as_json: JsonOption = False,
) -> None:
    """Move an order to its next pipeline status (or to STATUS).

    Example: krafta orders advance KRFT-482031   →   KRFT-482031: CONFIRMED → IN_PRODUCTION
    """
    ref = _checked_ref(ref)
    if force and not (note and note.strip()):
        fail("--force needs a --note saying why", ExitCode.USAGE)
    require_yes_without_tty(assume_yes=yes, action="move")
    with connect() as client:
        order = _fetch(client, ref)
        number, current = view.text(order.get("orderNumber", ref)), view.text(order.get("status"))
        target = to or view.advance_target(view.next_statuses(order))
        if target is None:
            if current in CLOSED_STATUSES:
                fail(f"{number} is {current}: it has no next status", ExitCode.CONFLICT)
            # Open, yet nothing offered: the server says this user's role may not move it. The same
            # cause as a 403 for an explicit STATUS, so the same exit code.
            fail(
                f"forbidden: {number} is {current} and your role may not move it (no move is offered to you)",
                ExitCode.FORBIDDEN,
            )
        confirm(f"Move {number} from {current} to {target}?", assume_yes=yes, action="move")
        updated = _move(client, order, target, note=note, force=force)
    if as_json:
        render.print_json(updated)
    else:
        render.print_line(f"{number}: {current} → {updated.get('status', target)}")


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
        updated = _move(client, order, Status.CANCELLED.value, note=note)
    if as_json:
        render.print_json(updated)
    else:
        render.print_line(f"{number}: {current} → {updated.get('status', Status.CANCELLED.value)}")


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


def register(app: typer.Typer) -> None:
    app.add_typer(orders_app, name="orders", rich_help_panel="Work")
