"""`krafta orders list|show|advance|cancel|create` against a live server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Krafta, assert_error, run_on_tty
from tests.helpers import create_order, order_body
from tests.servers import Server, krafta_exe

ANSI = re.compile(r"\x1b\[")
ARROW = "→"


def api_order(server: Server, ref: str, token: str) -> dict[str, Any]:
    with server.client(token) as http:
        response = http.get(f"/api/orders/{ref}")
    assert response.status_code == 200, response.text
    return response.json()["order"]


def api_move(server: Server, order_id: str, to: str) -> None:
    with server.client(server.admin_token) as http:
        response = http.put("/api/orders", json={"orderId": order_id, "status": to})
    assert response.status_code == 200, response.text


def new_order(server: Server, *moves: str, **overrides: Any) -> dict[str, Any]:
    """A fresh order moved through `moves` by the admin, as the API returns it."""
    created = create_order(server, **overrides)
    for status in moves:
        api_move(server, created["orderId"], status)
    return api_order(server, created["orderNumber"], server.admin_token)


# ------------------------------------------------------------------ list


def test_list_is_plain_tab_separated_without_ansi_when_piped(admin: Krafta, sqlite_server: Server) -> None:
    order = new_order(sqlite_server, shippingCity="Mérida", shippingState="Mérida")

    run = admin("orders", "list")

    assert run.code == 0, run
    assert not ANSI.search(run.out), run
    rows = [line.split("\t") for line in run.out.splitlines()]
    assert rows and all(len(row) == 7 for row in rows), run
    mine = next(row for row in rows if row[0] == order["orderNumber"])
    assert mine == [
        order["orderNumber"],
        "REPORTED",
        order["createdAt"],
        "Mérida, Mérida",
        "Franela blanca (var-1) × 1",
        "15.00",
        "600.00",
    ]
    assert rows[0][0] == order["orderNumber"], "newest first"


def test_list_and_show_name_the_variant_the_order_was_placed_with(
    admin: Krafta, taller: Krafta, sqlite_server: Server
) -> None:
    # Issue 19: the server keeps the variant's attributes on the item (`variantLabel`); the CLI
    # names the item with them, as the board's cards and production batches do.
    variant = f"var-{uuid.uuid4().hex[:8]}"
    catalog = {
        "products": [
            {
                "id": f"prod-{variant}",
                "name": "Franela etiquetada",
                "variants": [
                    {
                        "id": variant,
                        "sku": "L-BLA",
                        "basePrice": 12.0,
                        "attributes": {"talla": "L", "color": "blanco"},
                    }
                ],
            }
        ]
    }
    with sqlite_server.client(sqlite_server.admin_token) as http:
        assert http.put("/api/catalog", json=catalog).status_code == 200
    city = f"Ciudad-{variant}"
    order = new_order(sqlite_server, variantId=variant, shippingCity=city)
    named = f"Franela etiquetada · L · blanco ({variant})"

    listed = taller("orders", "list", "--search", city)
    shown = admin("orders", "show", order["orderNumber"])

    assert listed.code == 0 and shown.code == 0, (listed, shown)
    [row] = [line.split("\t") for line in listed.out.splitlines()]
    assert row[0] == order["orderNumber"] and row[4] == f"{named} × 1", listed
    assert named in shown.out, shown


def test_list_json_round_trips_the_api(admin: Krafta, sqlite_server: Server) -> None:
    new_order(sqlite_server)

    run = admin("orders", "list", "--json", "--limit", "5")

    assert run.code == 0, run
    with sqlite_server.client(sqlite_server.admin_token) as http:
        expected = http.get("/api/orders", params={"limit": 5}).json()["orders"]
    assert json.loads(run.out) == expected
    assert set(expected[0]) >= {"id", "orderNumber", "status", "items", "payments", "history", "nextStatuses"}


def test_list_filters_by_status_and_search(admin: Krafta, sqlite_server: Server) -> None:
    confirmed = new_order(sqlite_server, "CONFIRMED", shippingCity="Coro", shippingState="Falcón")
    new_order(sqlite_server, shippingCity="Coro", shippingState="Falcón")

    by_status = admin("orders", "list", "--status", "confirmed", "--json", "--all")
    by_both = admin("orders", "list", "-S", "CONFIRMED", "--search", "Falcón", "--json")

    assert by_status.code == 0 and by_both.code == 0, (by_status, by_both)
    assert {o["status"] for o in json.loads(by_status.out)} == {"CONFIRMED"}
    assert [o["orderNumber"] for o in json.loads(by_both.out)] == [confirmed["orderNumber"]]


def test_list_limit_and_all(admin: Krafta, sqlite_server: Server) -> None:
    for _ in range(3):
        new_order(sqlite_server)
    with sqlite_server.client(sqlite_server.admin_token) as http:
        total = len(http.get("/api/orders").json()["orders"])

    limited = admin("orders", "list", "--limit", "2")
    everything = admin("orders", "list", "--all", "--limit", "1")

    assert len(limited.out.splitlines()) == 2, limited
    assert len(everything.out.splitlines()) == total >= 3, everything


def test_a_reader_that_stops_early_is_not_an_error(admin: Krafta, sqlite_server: Server) -> None:
    order = new_order(sqlite_server)

    for args in (
        ("orders", "list", "--all"),
        ("orders", "list", "--all", "--json"),
        ("orders", "show", order["orderNumber"]),
    ):
        # The reader (`| head -1`) has already gone: every write to stdout fails with EPIPE.
        read_end, write_end = os.pipe()
        os.close(read_end)
        try:
            proc = subprocess.run(
                [krafta_exe(), *args], stdout=write_end, stderr=subprocess.PIPE, env=admin.env(), timeout=60
            )
        finally:
            os.close(write_end)
        assert (proc.returncode, proc.stderr) == (0, b""), (args, proc)
    # The shell's view, with pipefail: `head` may or may not close early; both must be exit 0.
    shell = subprocess.run(
        ["bash", "-c", 'set -o pipefail; "$0" orders list --all --json | head -1', krafta_exe()],
        capture_output=True,
        text=True,
        env=admin.env(),
        timeout=60,
    )
    assert (shell.returncode, shell.stdout, shell.stderr) == (0, "[\n", ""), shell


def test_unknown_status_is_a_usage_error(admin: Krafta) -> None:
    assert_error(
        admin("orders", "list", "--status", "SHIPPED"), 2, "--status", "SHIPPED", "krafta orders list --help"
    )


def test_list_on_a_terminal_is_a_coloured_table_and_no_color_turns_colour_off(
    admin: Krafta, sqlite_server: Server
) -> None:
    order = new_order(sqlite_server, "CONFIRMED")

    coloured = run_on_tty(admin, "orders", "list", "--limit", "3")
    plain = run_on_tty(admin, "orders", "list", "--limit", "3", NO_COLOR="1")

    assert coloured.code == 0 and plain.code == 0, (coloured, plain)
    for screen in (coloured.screen, plain.screen):
        assert "NUMBER" in screen and "TOTAL USD / Bs" in screen
        assert order["orderNumber"] in screen and "$15.00 / Bs 600.00" in screen
    # CONFIRMED is cyan (SGR 36) on a colour terminal; NO_COLOR leaves no colour codes at all.
    assert re.search(r"\x1b\[[0-9;]*36m", coloured.screen), coloured.screen
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m|\x1b\[[0-9;]*38;", plain.screen), plain.screen


# ------------------------------------------------------------------ show


def test_show_prints_shipping_items_payment_price_check_history(admin: Krafta, sqlite_server: Server) -> None:
    order = new_order(
        sqlite_server,
        "CONFIRMED",
        subtotal=10.0,
        total=13.0,
        totalBs=520.0,
        payment={"amountReported": 500.0, "reference": "00123456789"},
    )

    run = admin("orders", "show", order["orderNumber"])

    assert run.code == 0, run
    assert not ANSI.search(run.out)
    for fragment in (
        f"Order {order['orderNumber']}",
        "Status: CONFIRMED",
        "Next: IN_PRODUCTION, CANCELLED",
        "Address: Av. Libertador 123",
        "Franela blanca",
        "https://cdn.example.com/previews/franela-blanca-m.png",
        "Expected: Bs 520.00",
        "Reported: Bs 500.00",
        "Check: DIFFERS — Bs 20.00 less than expected",
        "Reference: 00123456789",
        "Payer: María Pérez",
        "Price check: MISMATCH — the catalog says $12.00, the order says $10.00",
        f"REPORTED {ARROW} CONFIRMED\tadmin@test.krafta (ADMIN)",
    ):
        assert fragment in run.out, (fragment, run)


def test_show_by_uuid_and_json_round_trips(admin: Krafta, sqlite_server: Server) -> None:
    order = new_order(sqlite_server)

    by_number = admin("orders", "show", order["orderNumber"], "--json")
    by_uuid = admin("orders", "show", order["id"], "--json")

    assert by_number.code == 0 and by_uuid.code == 0, (by_number, by_uuid)
    assert json.loads(by_number.out) == json.loads(by_uuid.out) == order


def test_show_on_a_terminal_has_panels(admin: Krafta, sqlite_server: Server) -> None:
    order = new_order(sqlite_server)

    run = run_on_tty(admin, "orders", "show", order["orderNumber"])

    assert run.code == 0, run
    for title in ("Shipping", "Items", "Amounts", "Payment evidence", "History"):
        assert title in run.screen
    assert "╭─ Order " + order["orderNumber"] in run.screen


def test_control_characters_from_the_server_never_reach_the_terminal(
    admin: Krafta, sqlite_server: Server
) -> None:
    # A customer-typed payer name with an escape sequence must not repaint the operator's terminal.
    order = new_order(
        sqlite_server, shippingCity="Coro\x1b[2J", payment={"payerName": "Ana\x1b]0;pwned\x07 Díaz"}
    )

    piped = admin("orders", "show", order["orderNumber"])
    listed = admin("orders", "list", "--search", order["orderNumber"])
    on_tty = run_on_tty(admin, "orders", "show", order["orderNumber"], NO_COLOR="1")

    assert piped.code == listed.code == on_tty.code == 0, (piped, listed, on_tty)
    assert "\x1b" not in piped.out + listed.out
    # The escape is shown as a visible, inert mark; BEL likewise.
    assert "Payer: Ana\ufffd]0;pwned\ufffd Díaz" in piped.out
    assert "Coro\ufffd[2J" in listed.out
    assert "\x1b[2J" not in on_tty.screen and "\x1b]0;" not in on_tty.screen


def test_unknown_order_is_not_found(admin: Krafta, sqlite_server: Server) -> None:
    for args in (
        ("orders", "show", "KRFT-000000"),
        ("orders", "advance", "KRFT-000000", "--yes"),
        ("orders", "cancel", "KRFT-000000", "--note", "x", "--yes"),
    ):
        assert_error(admin(*args), 4, "KRFT-000000", sqlite_server.url)


def test_an_empty_number_is_a_usage_error_and_dots_cannot_reach_another_endpoint(
    admin: Krafta, sqlite_server: Server
) -> None:
    for blank in ("", "   "):
        for args in (
            ("orders", "show", blank),
            ("orders", "advance", blank, "--yes"),
            ("orders", "cancel", blank, "--note", "x", "--yes"),
        ):
            # Sent as `/api/orders/`, the server redirects to the list: "not JSON", exit 1, before.
            assert_error(admin(*args), 2, "NUMBER is empty")
    # `/api/orders/..` would be `/api` and `/api/orders/.` the list: both are only odd names.
    for dots in ("..", "."):
        assert_error(admin("orders", "show", dots), 4, f"no order {dots!r}", sqlite_server.url)


# ------------------------------------------------------------------ advance / cancel


def test_advance_moves_to_the_next_status_the_server_offers(admin: Krafta, sqlite_server: Server) -> None:
    order = new_order(sqlite_server, "CONFIRMED")

    run = admin("orders", "advance", order["orderNumber"], "--note", "starting the print", "--yes")

    assert run.code == 0, run
    assert run.out == f"{order['orderNumber']}: CONFIRMED {ARROW} IN_PRODUCTION\n"
    after = api_order(sqlite_server, order["id"], sqlite_server.admin_token)
    assert after["status"] == "IN_PRODUCTION"
    assert after["history"][-1]["note"] == "starting the print"
    assert after["history"][-1]["userEmail"] == "admin@test.krafta"


def test_taller_advances_through_production(taller: Krafta, sqlite_server: Server) -> None:
    order = new_order(sqlite_server, "CONFIRMED")
    number = order["orderNumber"]

    steps = [taller("orders", "advance", number, "--no-tracking", "--yes") for _ in range(4)]

    assert [s.out for s in steps] == [
        f"{number}: CONFIRMED {ARROW} IN_PRODUCTION\n",
        f"{number}: IN_PRODUCTION {ARROW} READY\n",
        # A hand-over without a courier and tracking is allowed when said (--no-tracking); the line
        # says what is missing.
        f"{number}: READY {ARROW} HANDED_TO_DELIVERY (courier missing · tracking number missing)\n",
        f"{number}: HANDED_TO_DELIVERY {ARROW} COMPLETED\n",
    ], steps
    assert_error(taller("orders", "advance", number, "--yes"), 5, "COMPLETED")


def test_advance_to_an_explicit_status_and_json(admin: Krafta, sqlite_server: Server) -> None:
    order = new_order(sqlite_server)

    run = admin("orders", "advance", order["orderNumber"], "confirmed", "--json", "--yes")

    assert run.code == 0, run
    moved = json.loads(run.out)
    assert moved["id"] == order["id"] and moved["status"] == "CONFIRMED"
    assert moved == api_order(sqlite_server, order["id"], sqlite_server.admin_token)


def test_taller_confirming_a_payment_is_forbidden(taller: Krafta, sqlite_server: Server) -> None:
    order = new_order(sqlite_server)

    run = taller("orders", "advance", order["orderNumber"], "CONFIRMED", "--yes")

    assert_error(run, 7, "forbidden")
    assert api_order(sqlite_server, order["id"], sqlite_server.admin_token)["status"] == "REPORTED"


def test_a_move_the_pipeline_does_not_allow_is_a_conflict(admin: Krafta, sqlite_server: Server) -> None:
    order = new_order(sqlite_server)

    run = admin("orders", "advance", order["orderNumber"], "READY", "--yes")

    assert_error(run, 5, "REPORTED", "READY")


def test_moved_by_someone_else_while_confirming_is_a_conflict_showing_the_current_status(
    admin: Krafta, sqlite_server: Server
) -> None:
    order = new_order(sqlite_server, "CONFIRMED")
    number = order["orderNumber"]

    # The operator is looking at the confirmation prompt when a colleague advances the order.
    run = run_on_tty(
        admin,
        "orders",
        "advance",
        number,
        prompt=f"Move {number} from CONFIRMED to IN_PRODUCTION?",
        before_answer=lambda: api_move(sqlite_server, order["id"], "IN_PRODUCTION"),
    )

    assert run.code == 5, run
    lines = run.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in run.err, run
    assert "moved by someone else" in lines[0] and "now IN_PRODUCTION" in lines[0], run
    after = api_order(sqlite_server, order["id"], sqlite_server.admin_token)
    assert after["status"] == "IN_PRODUCTION"
    assert [e["toStatus"] for e in after["history"]].count("IN_PRODUCTION") == 1


def test_declining_the_confirmation_changes_nothing(admin: Krafta, sqlite_server: Server) -> None:
    order = new_order(sqlite_server, "CONFIRMED")

    run = run_on_tty(admin, "orders", "advance", order["orderNumber"], prompt="?", answer="n\n")

    assert run.code == 1 and "aborted" in run.err, run
    assert api_order(sqlite_server, order["id"], sqlite_server.admin_token)["status"] == "CONFIRMED"


def test_without_a_terminal_advance_and_cancel_need_yes_and_change_nothing(
    admin: Krafta, sqlite_server: Server
) -> None:
    order = new_order(sqlite_server, "CONFIRMED")
    number = order["orderNumber"]

    # stdin is a pipe here (as with `< /dev/null` or in cron): nobody can answer the prompt.
    moved = admin("orders", "advance", number)
    to_ready = admin("orders", "advance", number, "READY", "--note", "x")
    cancelled = admin("orders", "cancel", number, "--note", "customer asked")
    unknown = admin("orders", "advance", "KRFT-000000")  # refused before any request

    for run in (moved, to_ready, unknown):
        assert_error(run, 2, "stdin is not a terminal", "--yes", "move")
    assert_error(cancelled, 2, "stdin is not a terminal", "--yes", "cancellation")
    after = api_order(sqlite_server, order["id"], sqlite_server.admin_token)
    assert after["status"] == "CONFIRMED"
    assert [e["toStatus"] for e in after["history"]][-1] == "CONFIRMED"
    short = admin("orders", "advance", number, "-y")
    assert short.code == 0 and short.out == f"{number}: CONFIRMED {ARROW} IN_PRODUCTION\n", short


def test_cancel_needs_a_note_and_records_it(admin: Krafta, sqlite_server: Server) -> None:
    order = new_order(sqlite_server, "CONFIRMED")

    missing = admin("orders", "cancel", order["orderNumber"], "--yes")
    run = admin("orders", "cancel", order["orderNumber"], "--note", "customer asked, refund sent", "--yes")

    assert_error(missing, 2, "Missing option '--note'")
    assert run.code == 0, run
    assert run.out == f"{order['orderNumber']}: CONFIRMED {ARROW} CANCELLED\n"
    after = api_order(sqlite_server, order["id"], sqlite_server.admin_token)
    assert after["status"] == "CANCELLED"
    assert after["history"][-1]["note"] == "customer asked, refund sent"


def test_taller_cannot_cancel(taller: Krafta, sqlite_server: Server) -> None:
    order = new_order(sqlite_server, "CONFIRMED")

    assert_error(taller("orders", "cancel", order["orderNumber"], "--note", "no", "--yes"), 7, "forbidden")
    assert api_order(sqlite_server, order["id"], sqlite_server.admin_token)["status"] == "CONFIRMED"


# ------------------------------------------------------------------ create


def test_create_from_a_file_prints_the_new_number(
    admin: Krafta, sqlite_server: Server, tmp_path: Path
) -> None:
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order_body(shippingCity="Maracay", shippingState="Aragua")))

    run = admin("orders", "create", "--file", str(path))

    assert run.code == 0, run
    match = re.fullmatch(
        r"Created (KRFT-\d{6}) \(REPORTED\), id ([0-9a-f-]{36})\n"
        r"Order token \(shown once; opens this order\): [A-Za-z0-9_-]{43}\n",
        run.out,
    )
    assert match, run
    stored = api_order(sqlite_server, match.group(1), sqlite_server.admin_token)
    assert stored["id"] == match.group(2) and stored["shippingCity"] == "Maracay"


def test_create_json_and_idempotency_key(admin: Krafta, tmp_path: Path) -> None:
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order_body()))

    first = admin("orders", "create", "-f", str(path), "--idempotency-key", "cli-test-key-1", "--json")
    again = admin("orders", "create", "-f", str(path), "--idempotency-key", "cli-test-key-1", "--json")

    assert first.code == 0 and again.code == 0, (first, again)
    assert json.loads(first.out)["orderNumber"] == json.loads(again.out)["orderNumber"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "no such file"),
        ("{ not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
    ],
)
def test_unusable_order_file_is_invalid_input(
    admin: Krafta, tmp_path: Path, content: str | None, fragment: str
) -> None:
    path = tmp_path / "order.json"
    if content is not None:
        path.write_text(content)

    line = assert_error(admin("orders", "create", "--file", str(path)), 8, fragment)
    assert str(path) in line


def test_invalid_order_names_the_field(admin: Krafta, sqlite_server: Server, tmp_path: Path) -> None:
    body = order_body(quantity=0)
    del body["payment"]["reference"]
    path = tmp_path / "order.json"
    path.write_text(json.dumps(body))
    with sqlite_server.client(sqlite_server.admin_token) as http:
        before = len(http.get("/api/orders").json()["orders"])

    line = assert_error(admin("orders", "create", "--file", str(path)), 8, "invalid order", "quantity")

    assert "payment.reference" in line
    with sqlite_server.client(sqlite_server.admin_token) as http:
        assert len(http.get("/api/orders").json()["orders"]) == before
