"""The root `krafta` Typer app and `main()`, the console-script entry point.

Start-up stays light: nothing here (or in the command modules it imports) loads the server
stack or Textual; `serve`/`admin`/`db`/`fallback`/`board`/`demo` import them inside their bodies.
"""

import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from krafta_cli import __version__
from krafta_cli.client import KraftaError
from krafta_cli.commands import auth, board, catalog, orders, paper, server_admin, users
from krafta_cli.config import ConfigError
from krafta_cli.errors_cli import InputError, describe, print_error
from krafta_cli.exit_codes import ExitCode

__all__ = ["app", "main"]

# Click's base error, whichever click Typer uses (its own vendored copy in recent releases, the
# click package in older ones): found from a public Typer name rather than a private module.
_ClickException: type[Exception] = next(
    cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException"
)


class _StdoutClosed(Exception):
    """Whoever read stdout went away (`krafta orders list | head -1`): not an error of ours."""


class _KraftaGroup(TyperGroup):
    # `Any`: the context class is click's, which Typer may bundle under another module name.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            # Typer turns EPIPE into a silent `sys.exit(1)`; main() wants to see it and exit 0.
            raise _StdoutClosed from exc


app = typer.Typer(
    name="krafta",
    cls=_KraftaGroup,
    help=(
        "Krafta orders: the staff command line. New here? `krafta demo` opens the board on a throw-away "
        "demo shop. On a real server: `krafta login`, then `krafta orders list` or `krafta board`."
    ),
    no_args_is_help=True,
    # Our errors are one line on stderr (see errors_cli); a rich traceback would bury that line.
    pretty_exceptions_enable=False,
    # Plain click-style help: Typer's rich help imports rich.markdown and markdown-it and boxes every
    # panel, which made `krafta --help` 1.6× the cost of importing typer, rich and httpx (goal 1.3×).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"krafta {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Krafta orders: the staff command line.

    New here? `krafta demo` starts a throw-away demo shop and opens the board on it.

    Server and token come from `krafta login` (saved per server), or from KRAFTA_URL and
    KRAFTA_TOKEN. Statuses: REPORTED → CONFIRMED → IN_PRODUCTION → READY → HANDED_TO_DELIVERY →
    COMPLETED, or CANCELLED. Exit codes: 0 ok, 1 error, 2 usage, 3 auth, 4 not found, 5 conflict,
    6 server unreachable, 7 forbidden, 8 invalid input, 130 interrupted (Ctrl-C).
    """


# In this order: `krafta --help` lists the commands as they were added (board and demo first,
# the server machine's commands last).
board.register(app)
auth.register(app)
orders.register(app)
paper.register(app)
users.register(app)
catalog.register(app)
server_admin.register(app)


def _usage_error(exc: Any) -> int:
    """Click's usage errors as our one line, with a pointer to the right `--help`."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        return int(exc.exit_code)  # bare `krafta` / `krafta orders`: the help is already on screen
    ctx = getattr(exc, "ctx", None)
    hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    print_error(exc.format_message() + hint)
    return int(exc.exit_code)


def _interrupted(exc: BaseException) -> bool:
    """Was this Ctrl-C? Click raises Abort from the KeyboardInterrupt (as cause or as context)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _discard_stdout() -> None:
    """Point stdout at /dev/null so that Python's flush at exit cannot fail on the closed pipe.

    The recipe of the Python docs ("Note on SIGPIPE", signal module); restoring SIG_DFL instead
    would kill the process mid-write with status 141.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> None:
    """Run `krafta`; every error ends as one line on stderr and a documented exit code."""
    # A non-UTF-8 terminal must get "?" for "→", not a UnicodeEncodeError traceback.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    try:
        # standalone_mode=False: Typer would print usage errors as a multi-line box; we want one line.
        result = app(args=list(argv) if argv is not None else None, prog_name="krafta", standalone_mode=False)
        # Inside the try, so that a reader gone after our last write is noticed here too.
        sys.stdout.flush()
    except (_StdoutClosed, BrokenPipeError):
        # Output cut short by its reader (`| head`) is what the reader asked for: exit 0, quietly.
        _discard_stdout()
        sys.exit(int(ExitCode.OK))
    except _ClickException as exc:
        sys.exit(_usage_error(exc))
    except typer.Abort as exc:
        if _interrupted(exc):
            # Click turns Ctrl-C (in a prompt or anywhere in a command) into Abort: still Ctrl-C.
            sys.stderr.write("\n")
            sys.exit(int(ExitCode.INTERRUPTED))
        print_error("aborted, nothing changed")
        sys.exit(int(ExitCode.ERROR))
    except (KraftaError, ConfigError, InputError) as exc:
        message, code = describe(exc)
        print_error(message)
        sys.exit(int(code))
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        sys.exit(int(ExitCode.INTERRUPTED))
    except Exception as exc:
        if os.environ.get("KRAFTA_DEBUG"):
            raise
        print_error(f"unexpected error: {type(exc).__name__}: {exc} (KRAFTA_DEBUG=1 shows the traceback)")
        sys.exit(int(ExitCode.ERROR))
    # Without standalone mode Typer returns the code of a `typer.Exit` (our `fail`), else None.
    sys.exit(result if isinstance(result, int) else 0)
