"""The payment desk from the command line, run as the command (a real server on SQLite): reject with a
reason (one, several, stdin), list the reused references, show every payment with its status,
reason and reused numbers, create prints the order token, and pay sends new evidence with it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.cli.conftest import Krafta, assert_error
from tests.helpers import create_order, order_body, reference
from tests.servers import Server

REASON = "no transfer with this reference in the statement"


def _order(server: Server, ref: str) -> dict[str, Any]:
    with server.client(server.admin_token) as http:
        answer = http.get(f"/api/orders/{ref}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["order"])


def test_reject_one_order_with_a_reason(admin: Krafta, sqlite_server: Server) -> None:
    created = create_order(sqlite_server)

    run = admin("orders", "reject", created["orderNumber"], "--reason", REASON, "--yes")

    assert run.code == 0, run
    assert run.out == f"{created['orderNumber']}: REPORTED → PENDING\n"
    order = _order(sqlite_server, created["orderNumber"])
    assert order["status"] == "PENDING"
    assert [(p["status"], p["rejectReason"]) for p in order["payments"]] == [("REJECTED", REASON)]


def test_reject_several_from_stdin_one_line_each(admin: Krafta, sqlite_server: Server) -> None:
    first, second = create_order(sqlite_server), create_order(sqlite_server)
    confirmed = create_order(sqlite_server)
    with sqlite_server.client(sqlite_server.admin_token) as http:
        http.put("/api/orders", json={"orderId": confirmed["orderId"], "status": "CONFIRMED"})
    numbers = [first["orderNumber"], second["orderNumber"], confirmed["orderNumber"]]

    run = admin("orders", "reject", "-", "-r", REASON, "--yes", input="\n".join(numbers) + "\n")

    assert run.code == 5, run  # the first failure's code: a conflict for the CONFIRMED one
    assert run.out.splitlines() == [f"{n}: REPORTED → PENDING" for n in numbers[:2]]
    assert confirmed["orderNumber"] in run.err and "CONFIRMED" in run.err
    assert [_order(sqlite_server, n)["status"] for n in numbers] == ["PENDING", "PENDING", "CONFIRMED"]


def test_reject_needs_a_reason_and_yes_without_a_terminal(admin: Krafta, sqlite_server: Server) -> None:
    created = create_order(sqlite_server)

    blank = admin("orders", "reject", created["orderNumber"], "--reason", "  ", "--yes")
    unconfirmed = admin("orders", "reject", created["orderNumber"], "--reason", REASON)

    assert_error(blank, 2, "--reason")
    assert_error(unconfirmed, 2, "--yes")
    assert _order(sqlite_server, created["orderNumber"])["status"] == "REPORTED"


def test_list_same_reference_and_show_every_payment(admin: Krafta, sqlite_server: Server) -> None:
    digits = reference()
    first = create_order(sqlite_server, payment={"reference": f"00{digits}"})
    second = create_order(sqlite_server, payment={"reference": digits})
    alone = create_order(sqlite_server)
    admin("orders", "reject", second["orderNumber"], "--reason", REASON, "--yes")
    third = create_order(sqlite_server, payment={"reference": f"0{digits}"})

    listed = admin("orders", "list", "--same-reference", "--format", "tsv")
    shown = admin("orders", "show", first["orderNumber"])
    rejected = admin("orders", "show", second["orderNumber"])
    refused = admin("orders", "advance", first["orderNumber"], "--yes")

    assert listed.code == 0, listed
    numbers = {line.split("\t")[0] for line in listed.out.splitlines()}
    # The rejected payment claims its reference no more: the second order is not listed.
    assert {first["orderNumber"], third["orderNumber"]} <= numbers
    assert not {second["orderNumber"], alone["orderNumber"]} & numbers
    assert f"Same reference: also on {third['orderNumber']}" in shown.out, shown
    assert "Rejected because: " + REASON in rejected.out, rejected
    assert "Status: REJECTED" in rejected.out
    assert_error(refused, 5, first["orderNumber"], "force")


def test_create_prints_the_token_and_pay_sends_new_evidence_with_it(
    admin: Krafta, krafta: Krafta, sqlite_server: Server, tmp_path: Path
) -> None:
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order_body()))
    created = krafta("orders", "create", "--file", str(path))
    match = re.search(r"^Order token \(shown once; opens this order\): (\S+)$", created.out, re.MULTILINE)
    number = re.search(r"Created (KRFT-\d{6})", created.out)
    assert created.code == 0 and match and number, created
    token, number_text = match.group(1), number.group(1)
    args = (
        "--method",
        "pago_movil",
        "--reference",
        reference(),
        "--bank",
        "Banesco",
        "--payer",
        "María Pérez",
    )

    early = krafta("orders", "pay", number_text, "--token", token, *args)
    admin("orders", "reject", number_text, "--reason", REASON, "--yes")
    wrong = krafta("orders", "pay", number_text, "--token", "x" * 43, *args)
    bad = krafta("orders", "pay", number_text, "--token", token, *args, "--receipt-url", "ftp://x")
    paid = krafta("orders", "pay", number_text, "--token", token, *args, "--amount", "600")

    assert_error(early, 5, "PENDING")
    assert_error(wrong, 4, number_text)
    assert_error(bad, 8, "receiptUrl")
    assert paid.code == 0, paid
    assert paid.out == f"{number_text}: new payment evidence sent, the order is REPORTED again\n"
    order = _order(sqlite_server, number_text)
    assert order["status"] == "REPORTED"
    assert [p["status"] for p in order["payments"]] == ["REJECTED", "REPORTED"]
    assert order["payments"][1]["payerName"] == "María Pérez"
