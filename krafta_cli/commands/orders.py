"""`krafta orders list|show|advance|cancel|create`.

Which move is allowed is never decided here: `advance` takes the order's `nextStatuses` from the
server, always sends `expectedStatus`, and reports the server's 403/409 as they come.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from krafta_cli import render
from krafta_cli.client import Conflict, KraftaClient, NotFound, Order, Status, ValidationFailed
from krafta_cli.commands.options import JsonOption
from krafta_cli.errors_cli import InputError, fail
from krafta_cli.exit_codes import ExitCode
from krafta_cli.json_file import read_json_file
from krafta_cli.prompts import confirm, require_yes_without_tty
from krafta_cli.session import connect

__all__ = ["orders_app", "register"]

orders_app = typer.Typer(help="List, inspect and move orders through the pipeline.", no_args_is_help=True)

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
    """Send the move with the status we saw; explain a 409 in terms of this order."""
    number, current = order.get("orderNumber", order["id"]), order.get("status", "?")
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
        offered = ", ".join(exc.next_statuses) or "none"
        fail(
            f"{number} cannot go from {now} to {target}: {exc.message} (you may move it to: {offered})",
            ExitCode.CONFLICT,
        )


@orders_app.command("list")
def list_orders(
    status: Annotated[
        list[Status] | None,
        typer.Option("--status", "-S", case_sensitive=False, help="Only this status (repeatable)."),
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Order number, city, state or payer name.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-L", min=1, max=500, help="At most this many orders.")] = (
        DEFAULT_LIMIT
    ),
    all_pages: Annotated[bool, typer.Option("--all", help="Every matching order (ignores --limit).")] = False,
    as_json: JsonOption = False,
) -> None:
    """List orders, newest first.

    Example: krafta orders list --status CONFIRMED --status IN_PRODUCTION --search Lara
    """
    statuses = [s.value for s in status or []]
    more = False
    with connect() as client:
        if all_pages:
            orders = list(client.iter_orders(status=statuses, q=search))
        else:
            page = client.list_orders(status=statuses, q=search, limit=limit)
            orders, more = page.orders, page.next_cursor is not None
    if as_json:
        render.print_json(orders)
        return
    render.print_orders(orders)
    if more and render.stdout_is_tty():
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
    to: Annotated[
        Status | None,
        typer.Argument(
            metavar="[STATUS]",
            case_sensitive=False,
            help="Target status (default: the next one the server offers).",
        ),
    ] = None,
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
        number, current = order.get("orderNumber", ref), order.get("status", "?")
        if to is not None:
            target = to.value
        else:
            offered = [s for s in order.get("nextStatuses") or [] if s != Status.CANCELLED]
            if not offered:
                fail(f"{number} is {current}: there is no next status you may move it to", ExitCode.CONFLICT)
            target = offered[0]
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
        number, current = order.get("orderNumber", ref), order.get("status", "?")
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


def register(app: typer.Typer) -> None:
    app.add_typer(orders_app, name="orders", rich_help_panel="Work")
