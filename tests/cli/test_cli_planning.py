"""`krafta orders due|rush|hold|release|note`, `list --late --held --rush --sort due` and the
timeline at the end of `orders show` (issue 15), run as the `krafta` command against a live server."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

from tests.cli.conftest import Krafta, assert_error
from tests.cli.test_cli_orders import api_order, new_order
from tests.servers import Server


def _order(server: Server, city: str | None = None) -> str:
    return str(new_order(server, shippingCity=city or f"Cli-{uuid.uuid4().hex[:8]}")["orderNumber"])


def test_a_morning_of_planning(admin: Krafta, taller: Krafta, sqlite_server: Server) -> None:
    first, second = _order(sqlite_server), _order(sqlite_server)
    day = (date.today() + timedelta(days=7)).isoformat()
    until = (date.today() + timedelta(days=2)).isoformat()

    due = admin("orders", "due", first, second.removeprefix("KRFT-"), day)
    rush = admin("orders", "rush", first)
    hold = taller("orders", "hold", second, "--reason", "material", "--until", "+2", "--note", "no M blanks")
    note = taller("orders", "note", first, "customer called: after 3 pm")

    assert due.code == 0 and due.out.splitlines() == [f"{first}: due {day}", f"{second}: due {day}"], due
    assert rush.out.splitlines() == [f"{first}: rush"], rush
    assert hold.out.splitlines() == [f"{second}: held (MATERIAL: no M blanks (until {until}))"], hold
    assert note.out.splitlines() == [f"{first}: note added"], note
    one = api_order(sqlite_server, first, sqlite_server.admin_token)
    two = api_order(sqlite_server, second, sqlite_server.admin_token)
    assert (one["dueAt"], one["priority"], two["hold"]["reason"]) == (day, "rush", "MATERIAL")
    assert one["history"][-1] == {**one["history"][-1], "kind": "note", "userEmail": "taller@test.krafta"}

    released = admin("orders", "release", second)
    off = admin("orders", "rush", first, "--off")
    cleared = admin("orders", "due", first, "none")
    assert released.out.splitlines() == [f"{second}: released"], released
    assert off.out.splitlines() == [f"{first}: not rush"], off
    assert cleared.out.splitlines() == [f"{first}: no due date"], cleared
    assert api_order(sqlite_server, second, sqlite_server.admin_token)["hold"] is None


def test_show_ends_with_the_timeline(admin: Krafta, sqlite_server: Server) -> None:
    number = _order(sqlite_server)
    admin("orders", "hold", number, "--reason", "ARTWORK", "--note", "file is 72 dpi")
    admin("orders", "note", number, "asked for a new file")

    run = admin("orders", "show", number)

    assert run.code == 0, run
    lines = run.out.rstrip().splitlines()
    assert "Hold: ARTWORK: file is 72 dpi" in run.out, run
    timeline = lines[lines.index("History") + 1 :]
    assert [line.split("\t")[1] for line in timeline] == ["new → REPORTED", "hold", "note"], run
    assert timeline[-1].split("\t")[2:] == ["admin@test.krafta (ADMIN)", "asked for a new file"], run


def test_numbers_from_stdin_and_the_first_failure_sets_the_exit_code(
    admin: Krafta, sqlite_server: Server
) -> None:
    orders = [_order(sqlite_server) for _ in range(2)]

    run = admin("orders", "rush", "-", "KRFT-000000", input="\n".join(orders) + "\n")

    assert run.code == 4, run  # the unknown order; the others took it
    assert run.out.splitlines() == [f"{n}: rush" for n in orders], run
    (line,) = run.err.splitlines()
    assert line.startswith("error: KRFT-000000: not changed: "), line
    assert [api_order(sqlite_server, n, sqlite_server.admin_token)["priority"] for n in orders] == [
        "rush"
    ] * 2


def test_bad_input_is_one_line_and_a_documented_code(admin: Krafta, sqlite_server: Server) -> None:
    number = _order(sqlite_server)
    assert_error(admin("orders", "due", number, "next week"), 2, "next week", "2026-12-10")
    assert_error(admin("orders", "due", number), 2, "DATE")
    assert_error(admin("orders", "hold", number, "--reason", "LUNCH"), 8, "hold.reason")
    assert_error(admin("orders", "hold", number, "--reason", "OTHER", "--until", "today"), 8, "hold.until")
    assert_error(admin("orders", "note", number, "  "), 2, "empty")
    assert_error(admin("orders", "list", "--sort", "price"), 2, "--sort")
    before = api_order(sqlite_server, number, sqlite_server.admin_token)
    assert (before["dueAt"], before["hold"], len(before["history"])) == (None, None, 1)


def test_list_the_days_plan(admin: Krafta, sqlite_server: Server) -> None:
    city = f"Plan-{uuid.uuid4().hex[:8]}"
    plain, promised, urgent, late = (_order(sqlite_server, city) for _ in range(4))
    today = date.today()
    admin("orders", "due", promised, (today + timedelta(days=3)).isoformat())
    admin("orders", "rush", urgent)
    admin("orders", "due", late, (today - timedelta(days=2)).isoformat())
    admin("orders", "hold", late, "--reason", "PAYMENT")

    def numbers(*args: str) -> list[str]:
        run = admin("orders", "list", "--search", city, *args)
        assert run.code == 0, run
        return [line.split("\t")[0] for line in run.out.splitlines()]

    assert numbers("--sort", "due") == [urgent, late, promised, plain]
    assert numbers("--sort", "due", "--all") == [urgent, late, promised, plain]
    assert numbers("--late") == [late]
    assert numbers("--held") == [late]
    assert numbers("--rush") == [urgent]
    shown = json.loads(admin("orders", "list", "--search", city, "--late", "--json").out)
    assert [(o["orderNumber"], o["late"], o["hold"]["reason"]) for o in shown] == [(late, True, "PAYMENT")]
