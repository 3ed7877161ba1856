"""`krafta orders advance` as a workshop types it (issue 19, findings 2 and 5 and the CLI's Ctrl-C):
one tracking number per parcel, order numbers and statuses as people type them."""

from __future__ import annotations

from typing import Any

from tests.cli.conftest import Krafta, assert_error, run_on_tty
from tests.cli.test_cli_orders import api_order, new_order
from tests.servers import Server

ARROW = "→"
READY = ("CONFIRMED", "IN_PRODUCTION", "READY")


def _order(server: Server, number: str) -> dict[str, Any]:
    return api_order(server, number, server.admin_token)


def _status(server: Server, number: str) -> str:
    return _order(server, number)["status"]


# ---- one tracking number per parcel ------------------------------------------------------------------------


def test_one_tracking_number_for_several_orders_is_refused(admin: Krafta, sqlite_server: Server) -> None:
    numbers = [new_order(sqlite_server, *READY)["orderNumber"] for _ in range(2)]

    run = admin("orders", "advance", *numbers, "--courier", "Zoom", "--tracking", "1234567890", "--yes")

    assert_error(run, 2, "--tracking", "NUMBER<TAB>TRACKING")
    assert [_status(sqlite_server, n) for n in numbers] == ["READY", "READY"]
    piped = admin("orders", "advance", "-", "--tracking", "1", "--yes", input=f"{numbers[0]}\n")
    assert_error(piped, 2, "--tracking")


def test_each_parcel_takes_its_own_tracking_number_from_stdin(admin: Krafta, sqlite_server: Server) -> None:
    numbers = [new_order(sqlite_server, *READY)["orderNumber"] for _ in range(3)]
    # As `cut -f1,3`, a spreadsheet's two columns or a scanner hand them over; the bare digits too.
    lines = [f"{numbers[0]}\tZ-100\n", f"{numbers[1].lower()}\tZ-101\n", f"{numbers[2][5:]}\tZ-102\n"]

    run = admin("orders", "advance", "-", "--courier", "Zoom", "--yes", input="".join(lines))

    assert run.code == 0, run
    assert run.out.splitlines() == [
        f"{n}: READY {ARROW} HANDED_TO_DELIVERY (Zoom · tracking Z-10{i})" for i, n in enumerate(numbers)
    ], run
    for i, number in enumerate(numbers):
        delivery = _order(sqlite_server, number)["delivery"]
        assert (delivery["courier"], delivery["trackingNumber"]) == ("Zoom", f"Z-10{i}")


def test_a_handover_without_tracking_needs_no_tracking_said_on_purpose(
    admin: Krafta, sqlite_server: Server
) -> None:
    number = new_order(sqlite_server, *READY)["orderNumber"]

    quietly = admin("orders", "advance", number, "--courier", "MRW", "--yes")
    explicit = admin("orders", "advance", number, "HANDED_TO_DELIVERY", "--yes")

    assert_error(quietly, 2, number, "tracking", "--no-tracking", "nothing moved")
    assert_error(explicit, 2, "--no-tracking")
    assert _status(sqlite_server, number) == "READY"
    run = admin("orders", "advance", number, "--courier", "MRW", "--no-tracking", "--yes")
    assert run.code == 0, run
    assert run.out == f"{number}: READY {ARROW} HANDED_TO_DELIVERY (MRW · tracking number missing)\n"
    contradiction = admin("orders", "advance", number, "--tracking", "1", "--no-tracking", "--yes")
    assert_error(contradiction, 2, "--no-tracking")


def test_a_mixed_bulk_move_never_hands_ready_orders_over_quietly(
    admin: Krafta, sqlite_server: Server
) -> None:
    confirmed = new_order(sqlite_server, "CONFIRMED")["orderNumber"]
    ready = new_order(sqlite_server, *READY)["orderNumber"]

    run = admin("orders", "advance", confirmed, ready, "--yes")

    assert_error(run, 2, ready, "tracking", "nothing moved")
    assert confirmed not in run.err.split(":")[1]
    assert (_status(sqlite_server, confirmed), _status(sqlite_server, ready)) == ("CONFIRMED", "READY")
    run = admin("orders", "advance", confirmed, ready, "--no-tracking", "--yes")
    assert run.code == 0, run
    assert (_status(sqlite_server, confirmed), _status(sqlite_server, ready)) == (
        "IN_PRODUCTION",
        "HANDED_TO_DELIVERY",
    )


def test_at_a_terminal_a_handover_asks_courier_and_tracking(admin: Krafta, sqlite_server: Server) -> None:
    number = new_order(sqlite_server, *READY)["orderNumber"]

    run = run_on_tty(
        admin,
        "orders",
        "advance",
        number,
        script=[
            ("Courier", "MRW\r"),
            (f"Tracking number for {number}", "\r"),  # an empty answer is asked again
            (f"Tracking number for {number}", "MRW-55501\r"),
            (f"Move {number} from READY to HANDED_TO_DELIVERY (MRW · tracking MRW-55501)?", "y\r"),
        ],
    )

    assert run.code == 0, run
    assert "needs this parcel's tracking number" in run.err, run
    delivery = _order(sqlite_server, number)["delivery"]
    assert (delivery["courier"], delivery["trackingNumber"]) == ("MRW", "MRW-55501")


def test_at_a_terminal_a_mixed_bulk_move_asks_each_parcels_tracking(
    admin: Krafta, sqlite_server: Server
) -> None:
    confirmed = new_order(sqlite_server, "CONFIRMED")["orderNumber"]
    ready = [new_order(sqlite_server, *READY)["orderNumber"] for _ in range(2)]

    run = run_on_tty(
        admin,
        "orders",
        "advance",
        confirmed,
        *ready,
        script=[
            ("Courier", "Zoom\r"),
            (f"Tracking number for {ready[0]}", "Z-1\r"),
            (f"Tracking number for {ready[1]}", "Z-2\r"),
            ("Move these 3 orders?", "y\r"),
        ],
    )

    assert run.code == 0, run
    assert _status(sqlite_server, confirmed) == "IN_PRODUCTION"
    tracking = [_order(sqlite_server, n)["delivery"]["trackingNumber"] for n in ready]
    assert tracking == ["Z-1", "Z-2"]


def test_ctrl_c_at_a_prompt_exits_130_and_changes_nothing(admin: Krafta, sqlite_server: Server) -> None:
    number = new_order(sqlite_server, "CONFIRMED")["orderNumber"]
    ready = new_order(sqlite_server, *READY)["orderNumber"]

    for ref, prompt in ((number, "Move"), (ready, "Courier")):
        run = run_on_tty(admin, "orders", "advance", ref, script=[(prompt, "\x03")])
        assert run.code == 130, run
        assert "Traceback" not in run.err and "aborted" not in run.err, run
    assert (_status(sqlite_server, number), _status(sqlite_server, ready)) == ("CONFIRMED", "READY")


# ---- numbers and statuses as people type them ---------------------------------------------------------


def test_a_bare_number_is_the_order_everywhere(admin: Krafta, sqlite_server: Server) -> None:
    first = new_order(sqlite_server, "CONFIRMED")["orderNumber"]
    second = new_order(sqlite_server, "CONFIRMED")["orderNumber"]

    shown = admin("orders", "show", first[5:], "--json")
    assert shown.code == 0 and f'"orderNumber": "{first}"' in shown.out, shown
    # The bare number is an order, not a misspelt target status.
    run = admin("orders", "advance", first.lower(), second[5:], "--yes")

    assert run.code == 0, run
    assert run.out.splitlines() == [f"{n}: CONFIRMED {ARROW} IN_PRODUCTION" for n in (first, second)], run


def test_a_status_as_people_type_it(admin: Krafta, sqlite_server: Server) -> None:
    number = new_order(sqlite_server, "CONFIRMED")["orderNumber"]

    # Unquoted words after the numbers are the target, as the board spells it.
    words = admin("orders", "advance", number, "in", "production", "--yes")
    assert words.out == f"{number}: CONFIRMED {ARROW} IN_PRODUCTION\n", words
    for typed in ("in production", "in-production", "In_Production"):
        listed = admin("orders", "list", "-S", typed, "--all")
        assert listed.code == 0 and number in listed.out, (typed, listed)
    moved = admin("orders", "advance", number, "ready", "--yes")
    assert moved.out == f"{number}: IN_PRODUCTION {ARROW} READY\n", moved


def test_a_misspelt_status_gets_did_you_mean(admin: Krafta, sqlite_server: Server) -> None:
    number = new_order(sqlite_server, "CONFIRMED")["orderNumber"]

    assert_error(admin("orders", "list", "-S", "in prodution"), 2, "did you mean IN_PRODUCTION?")
    assert_error(admin("orders", "advance", number, "redy", "--yes"), 2, "did you mean READY?")
    assert _status(sqlite_server, number) == "CONFIRMED"
