"""Issue 19, finding 7 — the CLI's details, each as the operator meets it: `--server …/api` at login,
a move refused by role, the customer by e-mail, `--json` help that is true of its command. (The
password length before the repeat is `test_cli_newcomer.py::test_admin_create_states_the_password_rule…`.)

Exit codes come from the installed `krafta` as a process.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Krafta, assert_error
from tests.helpers import PASSWORD, create_order
from tests.servers import Server
from tests.tui.pilot_helpers import place_order


@pytest.fixture
def offline(tmp_path: Path) -> Krafta:
    return Krafta(tmp_path / "home", None)


def test_login_to_the_apis_address_says_which_address_to_give(krafta: Krafta, sqlite_server: Server) -> None:
    run = krafta.process(
        "login", "--server", f"{sqlite_server.url}/api", "--email", "admin@test.krafta", "--password-stdin",
        input=PASSWORD + "\n",
    )  # fmt: skip

    line = assert_error(run, 2, f"{sqlite_server.url}/api is the API's address")
    assert f"krafta login --server {sqlite_server.url}`" in line, line
    assert "Not Found" not in line and not krafta.credentials.exists()


def test_login_where_no_krafta_answers_says_so(krafta: Krafta, sqlite_server: Server) -> None:
    run = krafta.process(
        "login", "--server", f"{sqlite_server.url}/shop", "--email", "admin@test.krafta", "--password-stdin",
        input=PASSWORD + "\n",
    )  # fmt: skip

    assert_error(run, 2, f"no krafta server at {sqlite_server.url}/shop", "/api/auth/login")


def test_a_move_the_role_may_not_make_is_forbidden_with_the_reason(
    taller: Krafta, sqlite_server: Server
) -> None:
    """REPORTED → IN_PRODUCTION skips a stage (the server's 409), but from REPORTED a TALLER has no
    move at all: exit 7 and why, never "conflict" and "You may move it to: nothing" (exit 5 on main)."""
    order = create_order(sqlite_server)
    number = order["orderNumber"]

    run = taller.process("orders", "advance", number, "in production", "--yes")

    line = assert_error(run, 7, "forbidden:", number, "REPORTED", "your role may not move it")
    assert "nothing" not in line.replace("no move is offered", ""), line
    assert "REPORTED to IN_PRODUCTION" in line, line  # the server's own reason, kept


def test_a_bulk_move_the_role_may_not_make_is_forbidden(taller: Krafta, sqlite_server: Server) -> None:
    first, second = create_order(sqlite_server), create_order(sqlite_server)

    run = taller.process("orders", "advance", first["orderNumber"], second["orderNumber"], "--yes")

    assert run.code == 7, run
    lines = run.err.splitlines()
    assert len(lines) == 2 and all("your role may not move it" in line for line in lines), run


def test_a_closed_order_is_still_a_conflict_without_nothing(admin: Krafta, sqlite_server: Server) -> None:
    order = place_order(sqlite_server, "COMPLETED")

    run = admin.process("orders", "advance", order["orderNumber"], "ready", "--yes")

    line = assert_error(run, 5, order["orderNumber"], "COMPLETED", "it has no next status")
    assert "You may move it to" not in line, line


def test_staff_see_the_customers_email_and_guests_as_guests(admin: Krafta, sqlite_server: Server) -> None:
    email = f"cliente-{uuid.uuid4().hex[:8]}@tienda.test"
    sqlite_server.make_user(email)
    token = sqlite_server.login(email)
    own = create_order(sqlite_server, token)
    guest = create_order(sqlite_server)

    shown = admin("orders", "show", own["orderNumber"], COLUMNS="160")
    shown_json = json.loads(admin("orders", "show", own["orderNumber"], "--json").out)
    guest_json = json.loads(admin("orders", "show", guest["orderNumber"], "--json").out)
    listed = json.loads(admin("orders", "list", "--search", own["orderNumber"], "--json").out)
    guest_shown = admin("orders", "show", guest["orderNumber"], COLUMNS="160")
    with sqlite_server.client(token) as http:
        as_customer = http.get(f"/api/orders/{own['orderNumber']}").json()

    assert shown.code == 0 and f"Customer: {email}" in shown.out, shown
    assert shown_json["customerEmail"] == email and listed[0]["customerEmail"] == email
    assert guest_json["customerEmail"] is None
    assert "Customer: guest (no account)" in guest_shown.out, guest_shown
    assert "customerEmail" not in as_customer  # staff views only


def _commands(offline: Krafta, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command of `krafta`, from the help pages themselves."""
    from typer.main import get_command

    from krafta_cli.main import app

    found: list[tuple[str, ...]] = []

    def walk(command: Any, prefix: tuple[str, ...]) -> None:
        if not hasattr(command, "list_commands"):
            found.append(prefix)
            return
        # Asked by name, as click does: the root loads its commands only then.
        for name in command.list_commands(None):
            walk(command.get_command(None, name), (*prefix, name))

    walk(get_command(app), path)
    return found


def test_json_help_names_format_only_where_there_is_one(offline: Krafta) -> None:
    commands = _commands(offline)
    checked = 0
    for command in commands:
        run = offline(*command, "--help", COLUMNS="200")
        assert run.code == 0, run
        if "--json" not in run.out:
            continue
        checked += 1
        names_format = "same as --format json" in run.out
        has_format = "--format" in run.out.replace("same as --format json", "")
        assert names_format == has_format, (command, run.out)
    assert checked >= 10 and ("orders", "show") in commands  # the walk found the commands
