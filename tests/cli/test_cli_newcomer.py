"""The rough edges a newcomer hit (issue 10), each pinned: help texts, status names, one exit code
per cause, one clear line per error, the password rule said up front, `--format` on list commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from krafta_cli.client import Status
from tests.cli.conftest import Krafta, assert_error, run_on_tty
from tests.helpers import create_order
from tests.servers import Server
from tests.tui.pilot_helpers import place_order

# Every command with its own help page.
COMMANDS = [
    (), ("demo",), ("board",), ("login",), ("logout",), ("whoami",),
    ("orders",), ("orders", "list"), ("orders", "show"), ("orders", "advance"), ("orders", "cancel"),
    ("orders", "create"), ("users",), ("users", "add"), ("users", "list"), ("catalog",),
    ("catalog", "import"), ("catalog", "list"), ("serve",), ("admin",), ("admin", "create"),
    ("db",), ("db", "upgrade"), ("fallback",), ("fallback", "status"), ("fallback", "sync"),
]  # fmt: skip
# A status written lower-case as a name (quoted, or with its underscores), not the English word "ready".
LOWER_STATUS = re.compile(
    r"'(" + "|".join(s.value.lower() for s in Status) + r")'|\b(in_production|handed_to_delivery)\b"
)


@pytest.fixture
def offline(tmp_path: Path) -> Krafta:
    return Krafta(tmp_path / "home", None)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "krafta")
def test_help_has_no_type_junk_and_upper_case_statuses(offline: Krafta, command: tuple[str, ...]) -> None:
    run = offline(*command, "--help", COLUMNS="120")

    assert run.code == 0, run
    for junk in ("<bool>", "<str>", "{NUMBER}", "[[", "]]", "<list", "CHOICE"):
        assert junk not in run.out, (junk, run)
    assert not LOWER_STATUS.search(run.out), run


def test_top_help_points_a_newcomer_at_krafta_demo(offline: Krafta) -> None:
    run = offline("--help", COLUMNS="120")
    assert "krafta demo" in run.out and "demo " in run.out, run


def test_orders_help_says_what_pending_is(offline: Krafta) -> None:
    assert (
        "PENDING is an order whose payment an ADMIN rejected"
        in offline("orders", "--help", COLUMNS="200").out
    )
    assert "PENDING: its payment was rejected" in offline("orders", "list", "--help", COLUMNS="200").out


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("orders", "list", "--status", "foo"), "status"),
        (("orders", "advance", "KRFT-000001", "shipped", "--yes"), "status"),
        (("users", "add", "x@y.zz", "--role", "jefe", "--password-stdin"), "role"),
        (("admin", "create", "x@y.zz", "--role", "jefe", "--password-stdin"), "role"),
    ],
)
def test_a_bad_status_or_role_is_named_upper_case_without_pydantic_prefixes(
    offline: Krafta, args: tuple[str, ...], named: str
) -> None:
    run = offline(*args, input="long-enough-1\n", KRAFTA_URL="http://127.0.0.1:9")

    line = assert_error(run, 2, f"is not a {named}")
    assert "Value error" not in line and not LOWER_STATUS.search(line), line
    assert ("REPORTED, CONFIRMED" if named == "status" else "ADMIN, TALLER") in line


def test_statuses_are_accepted_in_any_case(admin: Krafta, sqlite_server: Server) -> None:
    order = place_order(sqlite_server, "CONFIRMED")

    run = admin(
        "orders", "list", "--status", "confirmed", "--search", order["orderNumber"], "--format", "tsv"
    )

    assert run.code == 0 and run.out.startswith(order["orderNumber"] + "\tCONFIRMED\t"), run


def test_taller_advancing_a_reported_order_is_forbidden_both_ways(
    taller: Krafta, sqlite_server: Server
) -> None:
    order = create_order(sqlite_server)

    default = taller("orders", "advance", order["orderNumber"], "--yes")
    explicit = taller("orders", "advance", order["orderNumber"], "CONFIRMED", "--yes")

    assert_error(default, 7, "forbidden:", order["orderNumber"], "REPORTED", "your role may not move it")
    assert_error(explicit, 7, "forbidden:", order["orderNumber"], "TALLER")


def test_a_refused_move_says_its_reason_once(admin: Krafta, sqlite_server: Server) -> None:
    order = create_order(sqlite_server)

    run = admin("orders", "advance", order["orderNumber"], "READY", "--yes")

    line = assert_error(run, 5, order["orderNumber"], "You may move it to: CONFIRMED, PENDING, CANCELLED")
    assert line.count("REPORTED") == 1 and line.count("READY") == 1, line


def test_a_rejected_krafta_token_says_what_to_do(krafta: Krafta) -> None:
    run = krafta("orders", "list", KRAFTA_TOKEN="not-a-token")

    line = assert_error(run, 3)
    assert line == "error: the token in KRAFTA_TOKEN was refused; unset it or run `krafta login`"


def test_format_tsv_json_and_table_on_list_commands(admin: Krafta, sqlite_server: Server) -> None:
    order = create_order(sqlite_server, shippingCity="Tucupita", shippingState="Delta Amacuro")
    search = ("--search", order["orderNumber"])

    tsv = admin("orders", "list", *search, "--format", "tsv")
    as_json = admin("orders", "list", *search, "--format", "json")
    table = admin("orders", "list", *search, "--format", "table", COLUMNS="160")
    flag = admin("orders", "list", *search, "--json")

    assert tsv.out.split("\t")[:2] == [order["orderNumber"], "REPORTED"] and tsv.out.count("\n") == 1, tsv
    assert tsv.out.rstrip("\n").split("\t")[-2:] == ["15.00", "600.00"], tsv
    assert [o["orderNumber"] for o in json.loads(as_json.out)] == [order["orderNumber"]]
    assert json.loads(flag.out) == json.loads(as_json.out)
    assert "NUMBER" in table.out and "Tucupita, Delta Amacuro" in table.out and "\t" not in table.out, table
    for command in (("users", "list"), ("catalog", "list")):
        rows = admin(*command, "--format", "json")
        assert rows.code == 0 and isinstance(json.loads(rows.out), list), rows
        assert "\t" in admin(*command, "--format", "tsv").out
        assert "\t" not in admin(*command, "--format", "table", COLUMNS="160").out
    assert_error(admin("orders", "list", "--format", "xml"), 2, "--format")


def test_admin_create_states_the_password_rule_and_asks_again(offline: Krafta, tmp_path: Path) -> None:
    """The length is checked after the first entry: a short password is not asked for twice
    (issue 19, finding 7; on main the repeat came first)."""
    data = tmp_path / "server-data"
    run = run_on_tty(
        offline,
        "admin", "create", "primera@tienda.test", "--data-dir", str(data),
        # Each answer waits for the space getpass writes after turning echo off (typing sooner races it).
        script=[
            ("Password (at least 8 characters): ", "short\n"),
            ("Password (at least 8 characters): ", "long-enough-1\n"),
            ("Repeat for confirmation: ", "long-enough-2\n"),
            ("Password (at least 8 characters): ", "long-enough-1\n"),
            ("Repeat for confirmation: ", "long-enough-1\n"),
        ],
    )  # fmt: skip

    assert run.code == 0, (run.screen, run.err)
    assert run.err.count("it needs at least 8 characters. Try again.") == 1, run.err
    assert "The two entries differ. Try again." in run.err
    # Asked to repeat only the long ones: twice, for the two attempts at the 8-character password.
    assert run.screen.count("Repeat for confirmation") == 2, run.screen
    assert "created ADMIN primera@tienda.test" in run.screen
    assert "short" not in run.screen and "long-enough-1" not in run.screen  # hidden input


def test_a_short_password_from_stdin_is_refused_before_anything_is_written(
    offline: Krafta, tmp_path: Path
) -> None:
    data = tmp_path / "server-data"

    run = offline(
        "admin", "create", "x@tienda.test", "--password-stdin", "--data-dir", str(data), input="short\n"
    )

    assert_error(run, 8, "at least 8 characters")
    assert not data.exists()


def test_the_password_rule_is_the_servers() -> None:
    from krafta_cli.prompts import MIN_PASSWORD
    from server.domain.schemas import UserIn

    assert UserIn.model_fields["password"].metadata[0].min_length == MIN_PASSWORD
