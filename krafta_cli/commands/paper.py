"""`krafta orders ticket|manifest` (paper from the server, saved where the operator is told) and
`krafta scan` (a scan station reading one scan per line)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from krafta_cli import workflows
from krafta_cli.client import Paper
from krafta_cli.commands.options import parse_status
from krafta_cli.commands.orders import orders_app
from krafta_cli.errors_cli import fail
from krafta_cli.exit_codes import ExitCode
from krafta_cli.session import connect
from krafta_cli.view import sanitize

__all__ = ["orders_app", "scan"]

INTERRUPTED = 130
BELL = "\a"

OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE", help="Write here (replacing it); `-` writes to stdout."),
]


def _deliver(paper: Paper, output: Path | None, default_name: str, what: str) -> Path | None:
    """Save (or stream) `paper`; says where on stdout. Returns the file written, None for stdout."""
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(paper.content)
        sys.stdout.flush()
        return None
    try:
        path = (
            workflows.save_to(paper.content, output)
            if output
            else workflows.save_new(paper.content, default_name, Path.cwd())
        )
    except OSError as exc:
        fail(f"could not write {what}: {exc}", ExitCode.ERROR)
    typer.echo(f"{what} → {path}")
    return path


def _print_file(path: Path) -> str | None:
    """Send `path` to the default printer with `lp` (an absolute path: never read as an option);
    lp's own line, or None when the machine has no `lp`."""
    lp = shutil.which("lp")
    if lp is None:
        return None
    done = subprocess.run([lp, str(path.resolve())], capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise OSError(f"lp failed ({done.returncode}): {(done.stderr or done.stdout).strip()}")
    return done.stdout.strip()


def ticket(
    refs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[NUMBER]...", show_default=False, help="Order numbers; `-` reads them from stdin."
        ),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", "-s", metavar="STATUS", callback=parse_status, help="Every order in this status."
        ),
    ] = None,
    size: Annotated[
        str,
        typer.Option("--size", metavar="a6|80mm", help="A6 sheets or an 80 mm roll.", case_sensitive=False),
    ] = "a6",
    output: OutputOption = None,
    send_to_printer: Annotated[
        bool, typer.Option("--print", help="Also send the file to the default printer (`lp`).")
    ] = False,
) -> None:
    """Job tickets as one PDF, a page per order: the number, its QR code and barcode, the items,
    the recipient, the design and the notes.

    Without --output the file is tickets-<date>.pdf in this folder (never replacing one).

    Examples: `krafta orders ticket KRFT-482031 KRFT-246177`, `krafta orders ticket --status CONFIRMED
    --size 80mm --print`, `krafta orders list -s READY | krafta orders ticket -`.
    """
    size = size.lower()
    if size not in ("a6", "80mm"):
        fail(f"--size {size!r}: use a6 or 80mm", ExitCode.USAGE)
    try:
        numbers = [wanted.ref for wanted in workflows.order_refs(refs or [], lambda: sys.stdin.read())]
    except ValueError as exc:
        fail(str(exc), ExitCode.USAGE)
    if not numbers and status is None:
        fail("say which tickets: order numbers (or `-` for stdin), or --status STATUS", ExitCode.USAGE)
    if numbers and status is not None:
        fail("give order numbers or --status, not both", ExitCode.USAGE)
    if send_to_printer and output is not None and str(output) == "-":
        fail("--print needs a file: drop `--output -`", ExitCode.USAGE)
    with connect() as client:
        paper = client.tickets(numbers, status=status, size=size)
    count = paper.count if paper.count is not None else len(numbers)
    noun = "ticket" if count == 1 else "tickets"
    path = _deliver(paper, output, workflows.tickets_name(date.today()), f"{count} {noun}")
    if send_to_printer and path is not None:
        try:
            said = _print_file(path)
        except OSError as exc:
            fail(str(exc), ExitCode.ERROR)
        if said is None:
            fail(f"not printed: this machine has no `lp` (the tickets are in {path})", ExitCode.ERROR)
        typer.echo(f"sent to the printer: {sanitize(said)}" if said else "sent to the printer")


def manifest(
    day: Annotated[
        str, typer.Option("--date", "-d", metavar="YYYY-MM-DD", help="The day (the shop's time zone).")
    ] = "today",
    courier: Annotated[
        str | None,
        typer.Option("--courier", "-c", metavar="NAME", help="Only parcels handed to this courier."),
    ] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="A CSV for spreadsheets instead of the PDF.")] = False,
    output: OutputOption = None,
) -> None:
    """The courier's manifest: the day's hand-overs (number, recipient, phone, ID number, city,
    tracking number, items), with lines for the courier's signature.

    Without --output the file is manifest-<date>.pdf (or .csv) in this folder (never replacing one).
    """
    when: str | None = None
    if day.strip().lower() != "today":
        try:
            when = date.fromisoformat(day.strip()).isoformat()
        except ValueError:
            fail(f"--date {day!r}: use YYYY-MM-DD or today", ExitCode.USAGE)
    fmt = "csv" if as_csv else "pdf"
    with connect() as client:
        paper = client.manifest(day=when, courier=courier, fmt=fmt)
    name = paper.filename or f"manifest-{when or date.today().isoformat()}.{fmt}"
    _deliver(paper, output, name, "manifest")


def scan(
    to: Annotated[
        str | None,
        typer.Option(
            "--to", metavar="STATUS", callback=parse_status, help="Move only orders whose next step is this."
        ),
    ] = None,
    courier: Annotated[
        str | None,
        typer.Option(
            "--courier",
            "-c",
            metavar="NAME",
            help="Hand-overs go to this courier; the next scan is the tracking number.",
        ),
    ] = None,
) -> None:
    """A scan station: each scan (a ticket's QR code or barcode, or a number typed and Enter) moves
    that order one step, with the status it was seen in; one line per scan, a bell on refusals.

    Reads the terminal, or stdin when piped. End of input or Ctrl-C prints the session's count.
    """
    bell = BELL if sys.stdout.isatty() else ""
    prompt = sys.stdin.isatty()
    with connect() as client:
        station = workflows.Station(
            client, to=to, courier=courier.strip() if courier and courier.strip() else None
        )
        interrupted = False
        try:
            while True:
                if prompt:
                    waiting = station.waiting_for
                    typer.echo(f"tracking for {waiting}> " if waiting else "scan> ", nl=False, err=True)
                raw = sys.stdin.readline()
                if not raw:
                    break
                result = station.scan(raw)
                if result is not None:
                    typer.echo(
                        f"{'✗' if result.refused else '✓'} {result.text}{bell if result.refused else ''}"
                    )
        except KeyboardInterrupt:
            interrupted = True
            if prompt:
                typer.echo("", err=True)
        left = station.close()
        if left is not None:
            typer.echo(f"✗ {left.text}{bell}")
        typer.echo(f"scan session: {station.summary()}")
    if interrupted:
        raise typer.Exit(INTERRUPTED)


# Part of the `orders` group, defined here with the rest of the paper: importing this module adds them
# (`krafta_cli.main.COMMANDS` loads the group through it).
orders_app.command("ticket")(ticket)
orders_app.command("manifest")(manifest)
