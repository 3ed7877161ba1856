"""`krafta users add|list` (ADMIN), through `POST/GET /api/users`."""

from typing import Annotated

import typer

from krafta_cli import render
from krafta_cli.commands.options import FormatOption, JsonOption, ListJsonOption, RoleOption
from krafta_cli.prompts import read_new_password
from krafta_cli.session import connect

__all__ = ["register", "users_app"]

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


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users", rich_help_panel="Administration")
