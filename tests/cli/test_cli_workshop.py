"""`krafta orders advance` in bulk and with a hand-over, and `krafta orders batches`, on a live server."""

from __future__ import annotations

import json
from typing import Any

from tests.cli.conftest import Krafta, assert_error
from tests.cli.test_cli_orders import api_move, api_order, new_order
from tests.servers import Server

ARROW = "→"


def _status(server: Server, number: str) -> str:
    return api_order(server, number, server.admin_token)["status"]


def test_three_numbers_move_three(admin: Krafta, sqlite_server: Server) -> None:
    orders = [new_order(sqlite_server, "CONFIRMED") for _ in range(3)]
    numbers = [o["orderNumber"] for o in orders]

    run = admin("orders", "advance", *numbers, "--yes")

    assert run.code == 0, run
    assert run.out.splitlines() == [f"{n}: CONFIRMED {ARROW} IN_PRODUCTION" for n in numbers], run
    assert [_status(sqlite_server, n) for n in numbers] == ["IN_PRODUCTION"] * 3


def test_one_moved_by_someone_else_the_others_move_and_the_exit_code_says_conflict(
    admin: Krafta, sqlite_server: Server
) -> None:
    orders = [new_order(sqlite_server, "CONFIRMED") for _ in range(3)]
    numbers = [o["orderNumber"] for o in orders]
    api_move(sqlite_server, orders[1]["id"], "IN_PRODUCTION")  # a colleague was faster

    run = admin("orders", "advance", *numbers, "IN_PRODUCTION", "--yes")

    assert run.code == 5, run
    assert run.out.splitlines() == [
        f"{numbers[0]}: CONFIRMED {ARROW} IN_PRODUCTION",
        f"{numbers[2]}: CONFIRMED {ARROW} IN_PRODUCTION",
    ], run
    (line,) = run.err.splitlines()
    # The 409's own reason, naming the order and its status now.
    assert line.startswith(f"error: {numbers[1]}: not moved: "), line
    assert "IN_PRODUCTION" in line and "cannot move" in line, line
    assert [_status(sqlite_server, n) for n in numbers] == ["IN_PRODUCTION"] * 3
    history = api_order(sqlite_server, numbers[1], sqlite_server.admin_token)["history"]
    assert [e["toStatus"] for e in history].count("IN_PRODUCTION") == 1


def test_the_first_kind_of_failure_sets_the_exit_code(admin: Krafta, sqlite_server: Server) -> None:
    ok = new_order(sqlite_server, "CONFIRMED")["orderNumber"]
    closed = new_order(sqlite_server, "CONFIRMED", "CANCELLED")["orderNumber"]

    run = admin("orders", "advance", "KRFT-000000", ok, closed, "--yes")

    assert run.code == 4, run  # not found came first; the conflict after it does not change the code
    assert run.out.splitlines() == [f"{ok}: CONFIRMED {ARROW} IN_PRODUCTION"]
    errors = run.err.splitlines()
    assert len(errors) == 2 and "KRFT-000000" in errors[0] and closed in errors[1], run


def test_numbers_from_stdin_with_a_handover(admin: Krafta, sqlite_server: Server) -> None:
    orders = [new_order(sqlite_server, "CONFIRMED", "IN_PRODUCTION", "READY") for _ in range(2)]
    numbers = [o["orderNumber"] for o in orders]
    # One tracking number per parcel, NUMBER<TAB>TRACKING; a repeat moves once.
    listing = "".join(f"{n}\tT-{i}\n" for i, n in enumerate(numbers)) + f"{numbers[0]}\n\n"

    run = admin("orders", "advance", "-", "HANDED_TO_DELIVERY", "--courier", "MRW", "--yes", input=listing)

    assert run.code == 0, run
    assert run.out.splitlines() == [
        f"{n}: READY {ARROW} HANDED_TO_DELIVERY (MRW · tracking T-{i})" for i, n in enumerate(numbers)
    ], run
    for i, number in enumerate(numbers):
        delivery = api_order(sqlite_server, number, sqlite_server.admin_token)["delivery"]
        assert delivery["courier"] == "MRW" and delivery["trackingNumber"] == f"T-{i}"


def test_the_pipeline_from_list_to_advance(admin: Krafta, sqlite_server: Server) -> None:
    """`krafta orders list --status READY --format tsv | cut -f1 | krafta orders advance - …`."""
    ready = {new_order(sqlite_server, "CONFIRMED", "IN_PRODUCTION", "READY")["orderNumber"] for _ in range(2)}
    listed = admin("orders", "list", "--status", "READY", "--all", "--format", "tsv")
    assert listed.code == 0, listed
    column = "".join(line.split("\t")[0] + "\n" for line in listed.out.splitlines())
    assert ready <= set(column.split())

    run = admin("orders", "advance", "-", "--courier", "Zoom", "--no-tracking", "--yes", input=column)

    assert run.code == 0, run
    assert ready <= {line.split(":")[0] for line in run.out.splitlines()}
    assert {_status(sqlite_server, n) for n in ready} == {"HANDED_TO_DELIVERY"}


def test_handover_without_tracking_says_it_is_missing(admin: Krafta, sqlite_server: Server) -> None:
    number = new_order(sqlite_server, "CONFIRMED", "IN_PRODUCTION", "READY")["orderNumber"]

    run = admin("orders", "advance", number, "--no-tracking", "--yes")

    assert run.code == 0, run
    assert (
        run.out == f"{number}: READY {ARROW} HANDED_TO_DELIVERY (courier missing · tracking number missing)\n"
    )


def test_handover_options_and_usage_errors(admin: Krafta, sqlite_server: Server) -> None:
    number = new_order(sqlite_server, "CONFIRMED")["orderNumber"]
    assert_error(admin("orders", "advance", number, "READY", "--courier", "MRW", "--yes"), 2, "--courier")
    assert_error(admin("orders", "advance", "-", input=f"{number}\n"), 2, "stdin", "--yes")
    assert_error(admin("orders", "advance", "-", "--yes", input="\n \n"), 2, "no order numbers")
    assert_error(admin("orders", "advance", "READY", "--yes"), 2, "is a status")
    # A misspelt STATUS is not taken for an order number: a usage error naming the statuses.
    assert_error(admin("orders", "advance", number, "shipped", "--yes"), 2, "is not a status", "READY")
    # --courier implies the hand-over, which a CONFIRMED order cannot make: the server's 409.
    handover = admin("orders", "advance", number, "--courier", "MRW", "--tracking", "T-1", "--yes")
    assert_error(handover, 5, "HANDED_TO_DELIVERY")
    bad = admin("orders", "advance", number, "HANDED_TO_DELIVERY", "--tracking", "x" * 65, "--yes")
    assert_error(bad, 8, "trackingNumber")
    assert _status(sqlite_server, number) == "CONFIRMED"


def test_bulk_json_reports_each_order(admin: Krafta, sqlite_server: Server) -> None:
    ok = new_order(sqlite_server, "CONFIRMED")["orderNumber"]

    run = admin("orders", "advance", ok, "KRFT-000000", "--yes", "--json")

    assert run.code == 4, run
    results: list[dict[str, Any]] = json.loads(run.out)
    assert [(r["orderNumber"], r["moved"]) for r in results] == [(ok, True), ("KRFT-000000", False)]
    assert results[0]["order"]["status"] == "IN_PRODUCTION"
    assert results[1]["error"]["exitCode"] == 4


def test_batches_group_same_variant_with_quantity_summed(admin: Krafta, sqlite_server: Server) -> None:
    city = "Batchópolis"
    a = new_order(
        sqlite_server,
        "CONFIRMED",
        variantId="var-2",
        quantity=2,
        subtotal=24.0,
        total=27.0,
        totalBs=1080.0,
        shippingCity=city,
    )
    b = new_order(
        sqlite_server,
        "CONFIRMED",
        variantId="var-2",
        quantity=3,
        subtotal=36.0,
        total=39.0,
        totalBs=1560.0,
        shippingCity=city,
    )

    run = admin("orders", "batches", "--json")

    assert run.code == 0, run
    batches = json.loads(run.out)
    (mine,) = [
        x for x in batches if {o["orderNumber"] for o in x["orders"]} & {a["orderNumber"], b["orderNumber"]}
    ]
    assert mine["status"] == "CONFIRMED" and mine["product"] == "Franela blanca"
    assert mine["variantIds"] == ["var-2"]
    assert [o["orderNumber"] for o in mine["orders"]][-2:] == [a["orderNumber"], b["orderNumber"]]
    assert mine["quantity"] == sum(o["quantity"] for o in mine["orders"])

    text = admin("orders", "batches")
    assert text.code == 0, text
    row = next(line.split("\t") for line in text.out.splitlines() if b["orderNumber"] in line)
    assert (
        row[0] == "CONFIRMED" and int(row[1]) == mine["quantity"] and row[2] == "Franela blanca · FRA-BLA-L"
    )


def test_show_prints_the_delivery(admin: Krafta, sqlite_server: Server) -> None:
    number = new_order(sqlite_server, "CONFIRMED", "IN_PRODUCTION", "READY")["orderNumber"]
    moved = admin("orders", "advance", number, "--courier", "Domesa", "--tracking", "DO-5521", "--yes")
    assert moved.code == 0, moved

    run = admin("orders", "show", number)

    assert run.code == 0, run
    assert "Delivery" in run.out and "Domesa" in run.out and "DO-5521" in run.out, run
