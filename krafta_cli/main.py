"""The root `krafta` Typer app and `main()`, the console-script entry point.

Start-up stays light (issue 19: `krafta --help` was 1.4× the cost of importing typer, rich and
httpx): no command module is imported until its command runs. The root lists its commands from
`COMMANDS` (name, where it lives, its one-line help) and loads one when click asks for it; `krafta
--help` loads none. A test holds each line of `COMMANDS` to the help of the command it loads, so the
list cannot drift from the commands. `serve`/`admin`/`db`/`fallback`/`board`/`demo` import the server
stack or Textual inside their bodies, as before.
"""

import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from krafta_cli import __version__
from krafta_cli.exit_codes import ExitCode

__all__ = ["COMMANDS", "LazyCommand", "app", "main"]

# Click's base error, whichever click Typer uses (its own vendored copy in recent releases, the
# click package in older ones): found from a public Typer name rather than a private module.
_ClickException: type[Exception] = next(
    cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException"
)


class _StdoutClosed(Exception):
    """Whoever read stdout went away (`krafta orders list | head -1`): not an error of ours."""


@dataclass(frozen=True)
class LazyCommand:
    """A top-level command or group, loaded when it is run: `attr` of `module` is a command
    function or a `typer.Typer` group; `help` is the first paragraph of its help, for the list."""

    module: str
    attr: str
    help: str


# In this order: `krafta --help` lists the commands as they were added (board and demo first,
# the server machine's commands last).
COMMANDS: dict[str, LazyCommand] = {
    "board": LazyCommand(
        "krafta_cli.commands.board",
        "board",
        "Open the workshop board: orders in columns by status, advance them with two keys.",
    ),
    "demo": LazyCommand(
        "krafta_cli.commands.board",
        "demo",
        "Start a demo shop (fresh database, demo users, ~40 orders) and open the board on it, logged in.",
    ),
    "login": LazyCommand(
        "krafta_cli.commands.auth",
        "login",
        "Log in and save the token for this server (file mode 0600 in your config dir).",
    ),
    "logout": LazyCommand("krafta_cli.commands.auth", "logout", "Forget the saved token for this server."),
    "whoami": LazyCommand(
        "krafta_cli.commands.auth", "whoami", "Show the server, your e-mail, role and when the token expires."
    ),
    "passwd": LazyCommand(
        "krafta_cli.commands.auth",
        "passwd",
        "Change your own password: the current one, then the new one twice (at least 8 characters).",
    ),
    "scan": LazyCommand(
        "krafta_cli.commands.paper",
        "scan",
        "A scan station: each scan (a ticket's QR code or barcode, or a number typed and Enter) moves that "
        "order one step, with the status it was seen in; one line per scan, a bell on refusals.",
    ),
    "serve": LazyCommand(
        "krafta_cli.commands.server_admin", "serve", "Run the orders server (migrates the database first)."
    ),
    "auth": LazyCommand("krafta_cli.commands.auth", "auth_app", "The session's token, for scripts and curl."),
    "orders": LazyCommand(
        # `orders ticket` and `orders manifest` are paper's, `orders due|rush|hold|release|note`
        # planning's: importing planning imports paper, and each adds its commands to the group.
        "krafta_cli.commands.planning",
        "orders_app",
        "List, inspect and move orders through the pipeline: REPORTED → CONFIRMED → IN_PRODUCTION → READY "
        "→ HANDED_TO_DELIVERY → COMPLETED (or CANCELLED). PENDING is an order without payment evidence, "
        "which `POST /api/orders` never creates.",
    ),
    "users": LazyCommand("krafta_cli.commands.users", "users_app", "Staff and customer accounts (ADMIN)."),
    "catalog": LazyCommand(
        "krafta_cli.commands.catalog", "catalog_app", "The product catalog used for the price check."
    ),
    "admin": LazyCommand(
        "krafta_cli.commands.server_admin",
        "admin_app",
        "Administration on the server machine (direct database access).",
    ),
    "db": LazyCommand("krafta_cli.commands.server_admin", "db_app", "Database schema."),
    "fallback": LazyCommand(
        "krafta_cli.commands.server_admin",
        "fallback_app",
        "Orders held in the JSON fallback while the database was down.",
    ),
}


def load_command(name: str) -> Any:
    """The click command `name` of `COMMANDS`, converted by Typer as the root's own would be."""
    entry = COMMANDS[name]
    target = getattr(importlib.import_module(entry.module), entry.attr)
    # A holder with the root's settings: Typer converts what it holds with them (plain help, no rich
    # markup), and a callback makes it a group whatever it holds, so the command is found by name.
    holder = typer.Typer(rich_markup_mode=None)
    holder.callback()(lambda: None)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    return typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]


class _KraftaGroup(TyperGroup):
    # `Any`: the context class is click's, which Typer may bundle under another module name.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            # Typer turns EPIPE into a silent `sys.exit(1)`; main() wants to see it and exit 0.
            raise _StdoutClosed from exc

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in COMMANDS if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = load_command(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """click's list of commands, from `COMMANDS` for those not loaded: `krafta --help` loads none."""
        shown = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name) or TyperCommand(name, help=COMMANDS[name].help)
            if not command.hidden:
                shown.append((name, command))
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        with formatter.section("Commands"):
            formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in shown])


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


def _known_errors() -> tuple[type[Exception], ...]:
    """Our errors with a documented exit code. Called only when something was raised (an `except`
    clause is evaluated then), so `krafta --help` never imports the client for them."""
    from krafta_cli.client import KraftaError
    from krafta_cli.config import ConfigError
    from krafta_cli.errors_cli import InputError

    return (KraftaError, ConfigError, InputError)


def _usage_error(exc: Any) -> int:
    """Click's usage errors as our one line, with a pointer to the right `--help`."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        return int(exc.exit_code)  # bare `krafta` / `krafta orders`: the help is already on screen
    ctx = getattr(exc, "ctx", None)
    hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    from krafta_cli.errors_cli import print_error

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
        from krafta_cli.errors_cli import print_error

        print_error("aborted, nothing changed")
        sys.exit(int(ExitCode.ERROR))
    except _known_errors() as exc:
        from krafta_cli.errors_cli import describe, print_error

        message, code = describe(exc)
        print_error(message)
        sys.exit(int(code))
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        sys.exit(int(ExitCode.INTERRUPTED))
    except Exception as exc:
        if os.environ.get("KRAFTA_DEBUG"):
            raise
        from krafta_cli.errors_cli import print_error

        print_error(f"unexpected error: {type(exc).__name__}: {exc} (KRAFTA_DEBUG=1 shows the traceback)")
        sys.exit(int(ExitCode.ERROR))
    # Without standalone mode Typer returns the code of a `typer.Exit` (our `fail`), else None.
    sys.exit(result if isinstance(result, int) else 0)
