"""`krafta users add|list|deactivate|reset-password|device-token|device-tokens|revoke-device-token`
(ADMIN), through `/api/users`."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from krafta_cli import render, view
from krafta_cli.commands.options import FormatOption, JsonOption, ListJsonOption, RoleOption
from krafta_cli.errors_cli import cli_errors, fail
from krafta_cli.exit_codes import ExitCode
from krafta_cli.prompts import confirm, read_new_password, require_yes_without_tty
from krafta_cli.session import connect
from krafta_cli.token_file import write_token_file

__all__ = ["users_app"]

users_app = typer.Typer(help="Staff and customer accounts (ADMIN).", no_args_is_help=True)


@users_app.command("add")
def add(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The new account's e-mail.")],
    role: RoleOption,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Create an account; the password is asked twice, hidden (at least 8 characters).

    Example: krafta users add taller@krafta.example --role TALLER
    """
    password = read_new_password(from_stdin=password_stdin)
    with connect() as client:
        user = client.add_user(email.strip(), password, role)
    if as_json:
        render.print_json(user)
    else:
        who, what = user.get("email", email), user.get("role", role)
        render.print_line(f"Added {what} {who} (id {user.get('id')}).")


@users_app.command("list")
def list_users(fmt: FormatOption = None, as_json: ListJsonOption = False) -> None:
    """List accounts (piped: e-mail, role, active, created, id — tab-separated).

    Example: krafta users list
    """
    output = render.default_format(fmt, as_json=as_json)
    with connect() as client:
        users = client.list_users()
    render.print_users(users, output)


EmailArgument = Annotated[str, typer.Argument(metavar="EMAIL", help="The account's e-mail.")]


@users_app.command("deactivate")
def deactivate(
    email: EmailArgument,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask (required when stdin is not a terminal).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Deactivate an account: it can no longer log in, its sessions end at once and its live streams
    (a board, `orders watch`) close. Asks first.

    Example: krafta users deactivate maria@tienda.com
    """
    require_yes_without_tty(assume_yes=yes, action="deactivation")
    with connect() as client:
        confirm(
            f"Deactivate {email.strip()}? Their sessions end now and they can no longer log in.",
            assume_yes=yes,
            action="deactivation",
        )
        user = client.deactivate_user(email.strip())
    if as_json:
        render.print_json(user)
    else:
        render.print_line(f"Deactivated {user.get('email', email)}: their sessions and live streams ended.")


@users_app.command("reset-password")
def reset_password(
    email: EmailArgument,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from the first line of stdin.")
    ] = False,
) -> None:
    """Set a new password for an account (asked twice, hidden, at least 8 characters); the account's
    sessions end, so whoever had the old password is logged out everywhere.

    Example: krafta users reset-password maria@tienda.com
    """
    password = read_new_password(from_stdin=password_stdin)
    with connect() as client:
        user = client.reset_password(email.strip(), password)
    render.print_line(f"New password set for {user.get('email', email)}; their sessions ended.")


@users_app.command("device-token")
def device_token(
    role: RoleOption,
    name: Annotated[
        str, typer.Option("--name", "-n", help="What the device is (taller-pc): shown in lists and history.")
    ],
    days: Annotated[int, typer.Option("--days", min=1, max=365, help="How long the token lasts.")] = 90,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the token to FILE (made 0600, never replaced) for `krafta board --token-file FILE`.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Issue a long-lived token for a shared workshop screen: no password typed there, listed by
    `krafta users device-tokens`, ended by `krafta users revoke-device-token ID`.

    Without -o the token alone is printed on stdout (keep it secret).

    Example: krafta users device-token --role TALLER --name taller-pc --days 90 -o taller-pc.token
    """
    if output is not None and output.exists():
        # Checked before the token is issued too: no unused token is left valid behind a refusal.
        fail(f"{output} already exists: choose another file (a token file is never replaced)", ExitCode.USAGE)
    with connect() as client:
        device, token = client.issue_device_token(name.strip(), role, days)
    until = view.when(device.get("expiresAt"), datetime.now(UTC))
    name, role, ident = (view.text(device.get(key)) for key in ("name", "role", "id"))
    what = f"device token {name} ({role}, id {ident}), valid until {until}"
    if output is not None:
        with cli_errors():
            write_token_file(output, token)
        if as_json:
            render.print_json({"deviceToken": device, "file": str(output)})
        else:
            render.print_line(f"Wrote {what} to {output} (mode 0600): krafta board --token-file {output}")
        return
    if as_json:
        render.print_json({"deviceToken": device, "token": token})
        return
    typer.echo(token)
    typer.echo(f"That is the {what}; it is not shown again.", err=True)


@users_app.command("device-tokens")
def list_device_tokens(fmt: FormatOption = None, as_json: ListJsonOption = False) -> None:
    """List device tokens, revoked ones included (piped: name, role, expires, revoked, issued by, id).

    Example: krafta users device-tokens
    """
    output = render.default_format(fmt, as_json=as_json)
    with connect() as client:
        devices = client.list_device_tokens()
    render.print_device_tokens(devices, output)


@users_app.command("revoke-device-token")
def revoke_device_token(
    device_id: Annotated[
        str, typer.Argument(metavar="ID", help="The device token's id (krafta users device-tokens).")
    ],
    as_json: JsonOption = False,
) -> None:
    """End a device token now: the screen using it is logged out and its live stream closes.

    Example: krafta users revoke-device-token 0b5c…
    """
    with connect() as client:
        device = client.revoke_device_token(device_id.strip())
    if as_json:
        render.print_json(device)
    else:
        render.print_line(f"Revoked device token {device.get('name')} (id {device.get('id')}).")
