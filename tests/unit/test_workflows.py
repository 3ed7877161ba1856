"""`krafta_cli.workflows`: moves and the detail panel both clients use (pure, or over MockTransport)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from rich.console import Console

from krafta_cli import workflows
from krafta_cli.client import Conflict, Forbidden, KraftaClient, NotFound, Status
from krafta_cli.workflows import Handover, MoveOutcome, MoveRequest, Seen, plan_move, plan_moves
from tests.tui.fake_shop import NOW, FakeShop, make_order


@dataclass(frozen=True)
class _Card:
    """Anything with id, number, status and next_statuses can be moved (a board card here)."""

    id: str
    number: str
    status: str
    next_statuses: tuple[str, ...] = ()


A = _Card("a", "KRFT-000001", "CONFIRMED", ("IN_PRODUCTION", "CANCELLED"))
B = _Card("b", "KRFT-000002", "READY", ("HANDED_TO_DELIVERY",))
C = _Card("c", "KRFT-000003", "HANDED_TO_DELIVERY", ())


@pytest.mark.parametrize(
    ("offered", "target", "cancel"),
    [
        (["CONFIRMED", "CANCELLED"], "CONFIRMED", True),
        (["CANCELLED", "READY"], "READY", True),
        (["CANCELLED"], None, True),
        ([], None, False),
        (["HANDED_TO_DELIVERY"], "HANDED_TO_DELIVERY", False),
    ],
)
def test_advance_target_is_the_first_offered_move_that_is_not_a_cancellation(
    offered: list[str], target: str | None, cancel: bool
) -> None:
    seen = Seen.of({"id": "x", "orderNumber": "KRFT-1", "status": "READY", "nextStatuses": offered})
    assert workflows.advance_target(seen.next_statuses) == target
    assert workflows.can_cancel(seen.next_statuses) is cancel
    assert plan_move(seen).target == target


def test_plan_moves_gives_each_order_its_own_move() -> None:
    plan = plan_moves([A, B, C])
    assert [r.target for r in plan] == ["IN_PRODUCTION", "HANDED_TO_DELIVERY", None]
    assert [r.source for r in plan] == ["CONFIRMED", "READY", "HANDED_TO_DELIVERY"]
    assert plan[1].line == "KRFT-000002  READY → HANDED TO DELIVERY"
    assert plan[2].line.endswith("nothing to move to")
    cancel = plan_moves([A, B], cancel=True, note="no payment")
    assert [(r.target, r.note) for r in cancel] == [("CANCELLED", "no payment"), (None, "no payment")]
    # An explicit target wins over what is offered: the server says no if it must.
    assert plan_move(C, "COMPLETED").target == "COMPLETED"


def test_the_courier_goes_with_hand_overs_only() -> None:
    handover = Handover("MRW", "123")
    a, b = plan_moves([A, B], handover=handover)
    assert a.handover == Handover() and b.handover == handover
    assert plan_move(A).with_handover(handover).handover == Handover()
    assert b.is_handover and not a.is_handover and plan_move(A, cancel=True).is_cancel


def test_send_moves_moves_each_order_with_the_status_it_was_seen_in() -> None:
    shop = FakeShop([make_order(1, "CONFIRMED", hours_ago=5), make_order(2, "READY", hours_ago=9)])
    first, second = (Seen.of(o) for o in shop.orders)
    shop.orders[1]["status"] = "HANDED_TO_DELIVERY"  # someone else moved it meanwhile
    with KraftaClient("http://krafta.test", token="t", transport=shop.transport()) as client:
        requests = plan_moves([first, second], handover=Handover("Zoom", None))
        outcomes = list(workflows.send_moves(client, requests))

    moved, refused = outcomes
    assert moved.moved and moved.order is not None and moved.order["status"] == "IN_PRODUCTION"
    # The conflict on one order is its own outcome; the other still moved.
    assert not refused.moved and isinstance(refused.error, Conflict)
    assert refused.error.current_status == "HANDED_TO_DELIVERY"
    assert [p["expectedStatus"] for p in shop.puts] == ["CONFIRMED", "READY"]
    assert "courier" not in shop.puts[0] and shop.puts[1]["courier"] == "Zoom"


def test_nothing_offered_fails_without_a_request_and_a_failed_look_up_passes_through() -> None:
    shop = FakeShop([make_order(1, "CONFIRMED", hours_ago=5)])
    with KraftaClient("http://krafta.test", token="t", transport=shop.transport()) as client:
        missing = workflows.look_up(client, "KRFT-999999")
        found = workflows.look_up(client, shop.orders[0]["orderNumber"])
        outcomes = list(workflows.send_moves(client, [missing, plan_move(C, ref="c")]))

    assert isinstance(missing, MoveOutcome) and isinstance(missing.error, NotFound)
    assert isinstance(found, Seen) and found.status == "CONFIRMED"
    assert outcomes[0] is missing and outcomes[0].source is None and outcomes[0].ref == "KRFT-999999"
    # C is open and nothing is offered: the role's limit (exit 7 in the CLI), not a conflict.
    assert isinstance(outcomes[1].error, Forbidden) and outcomes[1].ref == "c"
    assert "your role may not move it" in outcomes[1].error.message
    assert shop.puts == []


def test_send_move_never_raises() -> None:
    class Broken:
        def advance(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("bug")

    request = MoveRequest("id", "KRFT-1", "READY", "HANDED_TO_DELIVERY")
    outcome = workflows.send_move(Broken(), request)  # type: ignore[arg-type]
    assert isinstance(outcome.error, RuntimeError) and outcome.request is request and not outcome.moved


def test_order_refs_reads_stdin_for_dash_and_drops_repeats() -> None:
    # Words, or the first column of tab-separated rows (`krafta orders list` piped).
    stdin = "KRFT-000002\nKRFT-000003\tREADY\tBarquisimeto, Lara\tx\n\n KRFT-000001 \n"
    wanted = workflows.order_refs(["KRFT-000001", "-", " ", "KRFT-000004"], lambda: stdin)
    assert [w.ref for w in wanted] == ["KRFT-000001", "KRFT-000002", "KRFT-000003", "KRFT-000004"]
    assert {w.tracking_number for w in wanted} == {None}
    assert workflows.order_refs([], lambda: "") == []


def test_order_refs_reads_a_tracking_number_per_parcel_and_numbers_as_typed() -> None:
    stdin = "000002\tZ-2\nkrft-000003\t Z-3 \nKRFT-000004\t\n000002\n"
    wanted = workflows.order_refs(["-", "000001"], lambda: stdin)
    assert wanted == [
        workflows.Wanted("KRFT-000002", "Z-2"),
        workflows.Wanted("KRFT-000003", "Z-3"),
        workflows.Wanted("KRFT-000004", None),
        workflows.Wanted("KRFT-000001", None),
    ]
    with pytest.raises(ValueError, match="two tracking numbers"):
        workflows.order_refs(["-"], lambda: "000002\tZ-2\n000002\tZ-9\n")


# ------------------------------------------------------------------ the detail panel


def _drawn(order: dict[str, object]) -> str:
    console = Console(width=120, record=True, file=io.StringIO(), color_system=None)
    console.print(workflows.order_panel(order, NOW))
    return console.export_text()


def test_the_panel_and_its_plain_form_hold_the_same_facts() -> None:
    order = make_order(4, "CONFIRMED", hours_ago=52, reported_bs=500.0, price_check="MISMATCH")
    parts = workflows.order_parts(order, NOW)
    text, drawn = workflows.plain(parts), _drawn(order)

    assert [p.title for p in parts] == [
        f"Order {order['orderNumber']}",
        "Shipping",
        "Items",
        "Amounts",
        "Payment evidence",
        "History",
    ]
    for fact in (
        "Franela blanca (var-1)",
        "DIFFERS — Bs 100.00 less than expected",
        "MISMATCH — the catalog says $14.00",
        "REPORTED → CONFIRMED",
        "IN_PRODUCTION, CANCELLED",
    ):
        assert fact in text and fact in drawn, fact
    assert "  Status: CONFIRMED\n" in text and "╭─ Order" in drawn


def test_the_panel_says_stuck_as_the_server_does_and_for_how_long() -> None:
    order = make_order(2, "REPORTED", hours_ago=30, in_status_hours=30)
    order["enteredStatusAt"] = "2026-03-01T09:00:00+00:00"
    assert "Stuck: yes: 1 d in REPORTED" in workflows.plain(workflows.order_parts(order, NOW))
    order["stuck"] = False
    assert "Stuck" not in workflows.plain(workflows.order_parts(order, NOW))


def test_server_text_in_the_panel_is_data_not_markup_nor_escapes() -> None:
    order = make_order(1, "READY", hours_ago=3, city="[bold red]Coro\x1b[2J", payer="Ana\x1b]0;x\x07")
    drawn = _drawn(order)
    assert "[bold red]Coro\ufffd[2J" in drawn and "\x1b" not in drawn
    assert "Ana\ufffd]0;x\ufffd" in workflows.plain(workflows.order_parts(order, NOW))


def test_delivery_is_shown_once_handed_over() -> None:
    order = make_order(9, Status.HANDED_TO_DELIVERY, hours_ago=60, in_status_hours=3)
    order["delivery"] = {"courier": "MRW", "trackingNumber": None, "handedAt": None}
    text = workflows.plain(workflows.order_parts(order, NOW))
    assert "Delivery\n  Courier: MRW\n  Tracking: missing — the customer is waiting for it\n" in text
