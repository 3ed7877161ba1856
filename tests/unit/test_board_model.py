"""`tui.board_model`: the board's state without a screen — orders by status, live events, the
filter, marks, sort and stuck (pure: no Textual, no server)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from krafta_cli.client import Conflict, KraftaClient, Unreachable
from krafta_cli.workflows import MoveOutcome, MoveRequest
from tests.search_cases import CASES, NEUTRAL, SearchCase
from tests.tui.fake_shop import NOW, make_order
from tui.board_model import BoardModel, DroppedMark, Marks, StuckRules, fit_parts, stuck_first
from tui.loading import BoardData, OpenOrders, viewer_of
from tui.presentation import OrderSummary, group_by_status, summarize

OPEN = ("REPORTED", "CONFIRMED", "IN_PRODUCTION", "READY", "HANDED_TO_DELIVERY")
CLOSED = ("COMPLETED", "CANCELLED")
ADMIN = {"id": "u-1", "email": "admin@krafta.demo", "role": "ADMIN"}
HOUR = timedelta(hours=1)


def loaded(
    orders: list[dict[str, Any]],
    rules: dict[str, timedelta] | None = None,
    *,
    user: dict[str, Any] = ADMIN,
    show_closed: bool = False,
    model: BoardModel | None = None,
) -> BoardModel:
    """A model that has taken one complete answer holding `orders` (as `load_board` builds it)."""
    model = model or BoardModel()
    if model.show_closed != show_closed:
        model.toggle_closed()
    summaries = [summarize(o) for o in orders]
    open_orders = OpenOrders.full(viewer_of(user), summaries)
    listed = open_orders.newest_first() + [o for o in summaries if o.status in CLOSED]
    data = BoardData(
        user,
        group_by_status(listed, OPEN + (CLOSED if show_closed else ())),
        show_closed,
        open_orders=open_orders,
        stuck_rules=rules,
    )
    assert model.apply_load(data, NOW)
    return model


def cards_of(model: BoardModel) -> list[OrderSummary]:
    """Every open order the model holds."""
    assert model.open_orders is not None
    return list(model.open_orders.by_id.values())


def numbers(model: BoardModel, status: str) -> list[str]:
    column = model.view(NOW).column(status)
    return [o.number for o in column.orders] if column else []


# ------------------------------------------------------------------ orders by status, live events


def test_a_load_fills_the_columns_oldest_first_and_a_stale_one_is_refused() -> None:
    a = make_order(1, "CONFIRMED", hours_ago=5)
    b = make_order(2, "CONFIRMED", hours_ago=1)
    c = make_order(3, "READY", hours_ago=2)
    model = loaded([a, b, c])

    assert model.columns == OPEN and model.open_count == 3 and model.loaded and model.complete
    assert numbers(model, "CONFIRMED") == [a["orderNumber"], b["orderNumber"]]
    assert numbers(model, "READY") == [c["orderNumber"]]
    # An answer asked for before the closed-orders toggle would fill the wrong columns.
    model.toggle_closed()
    stale = BoardData(ADMIN, {}, show_closed=False)
    assert model.apply_load(stale, NOW) is False
    assert model.open_count == 3


def test_columns_follow_what_the_server_offers_this_user() -> None:
    reported = make_order(1, "REPORTED", hours_ago=5)
    taller = {"id": "u-2", "email": "taller@krafta.demo", "role": "TALLER"}
    model = loaded([{**reported, "nextStatuses": []}, make_order(2, "READY", hours_ago=1)], user=taller)
    assert model.columns == OPEN[1:]  # REPORTED offers this user nothing: the payment check is not theirs
    # Another viewer is judged afresh.
    loaded([reported], model=model)
    assert model.columns == OPEN


def test_a_live_event_moves_the_card_and_a_closed_one_leaves_or_joins_its_column() -> None:
    order = make_order(1, "CONFIRMED", hours_ago=5)
    model = loaded([order], show_closed=True)
    assert BoardModel().apply_event(order, NOW) is False  # no picture yet: a load will bring it

    moved = {**order, "status": "IN_PRODUCTION", "nextStatuses": ["READY", "CANCELLED"]}
    assert model.apply_event(moved, NOW) is True
    assert numbers(model, "CONFIRMED") == [] and numbers(model, "IN_PRODUCTION") == [order["orderNumber"]]
    assert model.apply_event({**order, "status": "CANCELLED", "nextStatuses": []}, NOW)
    assert numbers(model, "IN_PRODUCTION") == [] and numbers(model, "CANCELLED") == [order["orderNumber"]]
    assert model.live_events == 2 and model.open_count == 0


# ------------------------------------------------------------------ stuck, as the server says


RULES = {"CONFIRMED": 24 * HOUR, "READY": 2 * HOUR}


def test_an_order_is_stuck_iff_its_status_has_a_rule_and_the_time_has_come() -> None:
    rules = StuckRules(RULES)
    at_limit = summarize(make_order(1, "CONFIRMED", hours_ago=30, in_status_hours=24))
    before = summarize(make_order(2, "CONFIRMED", hours_ago=30, in_status_hours=23.9))
    no_rule = summarize(make_order(3, "IN_PRODUCTION", hours_ago=300, in_status_hours=299))
    unknown = summarize({**make_order(4, "READY", hours_ago=9), "enteredStatusAt": None})

    assert rules.is_stuck(at_limit, NOW)  # now − enteredStatusAt ≥ rule: the limit itself counts
    assert not rules.is_stuck(before, NOW)
    assert rules.due(before) == NOW + timedelta(hours=0.1)
    assert not rules.is_stuck(no_rule, NOW) and rules.due(no_rule) is None
    assert not rules.is_stuck(unknown, NOW) and rules.due(unknown) is None
    assert not StuckRules().is_stuck(at_limit, NOW)  # rules off: nothing is stuck


def test_the_model_says_which_cards_are_stuck_and_when_the_next_one_turns() -> None:
    stuck = make_order(1, "CONFIRMED", hours_ago=40, in_status_hours=30)
    soon = make_order(2, "READY", hours_ago=5, in_status_hours=1.5)
    later = make_order(3, "CONFIRMED", hours_ago=5, in_status_hours=2)
    model = loaded([stuck, soon, later], RULES)

    assert model.view(NOW).stuck == {stuck["id"]}
    due = model.next_stuck_at(NOW)
    assert due == NOW + timedelta(minutes=30)  # READY's two hours, after 1.5 h in it
    # At that instant the card is stuck with nothing else happening: no load, no event.
    assert model.view(due).stuck == {stuck["id"], soon["id"]}
    assert model.next_stuck_at(due) == NOW + 22 * HOUR
    assert model.next_stuck_at(NOW + 23 * HOUR) is None


def test_rules_come_with_each_load_and_a_move_restarts_the_clock() -> None:
    order = make_order(1, "READY", hours_ago=5, in_status_hours=3)
    model = loaded([order])
    assert model.view(NOW).stuck == frozenset() and model.next_stuck_at(NOW) is None  # no rules yet
    loaded([order], RULES, model=model)
    assert model.view(NOW).stuck == {order["id"]}
    # Handed over just now: a new status, a new entry time; its rule (none here) decides.
    moved = {**order, "status": "HANDED_TO_DELIVERY", "enteredStatusAt": NOW.isoformat()}
    model.apply_event(moved, NOW)
    assert model.view(NOW).stuck == frozenset()
    model.apply_event({**moved, "status": "READY"}, NOW)
    assert model.next_stuck_at(NOW) == NOW + 2 * HOUR
    # An answer without rules (a customer's list) keeps the last ones.
    loaded([order], None, model=model)
    assert model.rules == StuckRules(RULES)


def test_stuck_first_sorts_each_column_by_the_models_verdict() -> None:
    fresh = make_order(1, "CONFIRMED", hours_ago=2, in_status_hours=1)
    stuck = make_order(2, "CONFIRMED", hours_ago=50, in_status_hours=40)
    model = loaded([fresh, stuck], RULES)
    model.toggle_stuck_first()
    assert numbers(model, "CONFIRMED") == [stuck["orderNumber"], fresh["orderNumber"]]
    # Stable: within each group the column's own order stays (issue 15 puts rush and due first).
    assert stuck_first(["n1", "s1", "n2", "s2"], [False, True, False, True]) == ["s1", "s2", "n1", "n2"]
    assert stuck_first([], []) == []


def test_the_client_reads_the_published_rules_and_skips_junk() -> None:
    body = {"success": True, "orders": [], "nextCursor": None}

    def page(rules: object) -> dict[str, timedelta] | None:
        answer = {**body, "stuckRules": rules} if rules is not None else body
        transport = httpx.MockTransport(lambda request: httpx.Response(200, json=answer))
        with KraftaClient("http://krafta.test", token="t", transport=transport) as client:
            return client.list_orders().stuck_rules

    assert page({"REPORTED": 86400, "READY": 60.5}) == {
        "REPORTED": timedelta(days=1),
        "READY": timedelta(seconds=60.5),
    }
    assert page({}) == {}
    assert page(None) is None
    assert page({"READY": "1d", "CONFIRMED": True, "IN_PRODUCTION": -1, "REPORTED": 1e30}) == {}


# ------------------------------------------------------------------ the filter, marks, keys


def test_the_filter_keeps_matching_cards_in_every_column() -> None:
    merida = make_order(1, "CONFIRMED", hours_ago=2, city="Mérida", state="Mérida", payer="José Núñez")
    lara = make_order(2, "READY", hours_ago=2, payer="Ana Gómez")
    model = loaded([merida, lara])
    model.set_filter("  MERIDA ")
    shown = model.view(NOW)
    assert (
        model.filter == "MERIDA"
        and shown.shown == 1
        and numbers(model, "CONFIRMED") == [merida["orderNumber"]]
    )
    assert "filter “MERIDA”: 1 shown" in model.status_line(
        shown.shown, live=False, streaming=False, refresh_interval=None
    )
    model.set_filter("gomez")
    assert numbers(model, "READY") == [lara["orderNumber"]] and numbers(model, "CONFIRMED") == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.query.strip()}~{c.value}")
def test_the_filter_folds_as_the_servers_search(case: SearchCase) -> None:
    # The same table the server's `q` passes on SQLite, PostgreSQL and the fallback index.
    order = make_order(
        1,
        "READY",
        hours_ago=1,
        city=NEUTRAL["shippingCity"],
        state=NEUTRAL["shippingState"],
        payer=NEUTRAL["payerName"],
    )
    if case.field == "payerName":
        order["payments"][0]["payerName"] = case.value
    else:
        order[case.field] = case.value
    model = loaded([order])
    model.set_filter(case.query)
    assert (model.view(NOW).shown == 1) is case.matches


@dataclass(frozen=True)
class _Card:
    id: str
    status: str = "CONFIRMED"

    @property
    def number(self) -> str:
        return f"KRFT-{self.id}"


def test_marks_toggle_replace_and_follow_the_board() -> None:
    a, b, c = _Card("a"), _Card("b"), _Card("c")
    marks = Marks()
    assert marks.toggle(b) is True and marks.toggle(a) is True
    assert len(marks) == 2 and "a" in marks
    # In marking order, and only those still on the board.
    assert marks.on_board([a, b, c]) == [b, a]
    assert marks.on_board([a]) == [a]
    assert marks.toggle(b) is False and marks.ids == {"a"}
    marks.replace([c, b])
    assert marks.on_board([a, b, c]) == [c, b]
    marks.discard(["c", "zzz"])
    assert marks.ids == {"b"}
    marks.clear()
    assert len(marks) == 0


def test_a_mark_is_a_promise_about_the_status_it_was_made_in() -> None:
    """Issue 19, finding 3: a marked order someone else moved is unmarked and listed, never retargeted."""
    a, b, c = _Card("a"), _Card("b"), _Card("c", status="READY")
    marks = Marks()
    for card in (a, b, c):
        marks.toggle(card)
    board = {"a": _Card("a", status="IN_PRODUCTION"), "b": b, "c": c}
    dropped = marks.check(board, complete=True)
    assert dropped == [DroppedMark("KRFT-a", "IN_PRODUCTION")]
    assert dropped[0].line == "KRFT-a: moved by someone else: now IN PRODUCTION"
    assert marks.ids == {"b", "c"}
    # Gone from the board: judged only on a complete picture (a preview holds only the newest).
    assert marks.check({"b": b}, complete=False) == [] and marks.ids == {"b", "c"}
    assert marks.check({"b": b}, complete=True) == [DroppedMark("KRFT-c", None)]
    assert DroppedMark("KRFT-c", None).line == "KRFT-c: moved by someone else: no longer on the board"


def test_the_boards_own_moves_are_not_someone_elses() -> None:
    a, b, c = _Card("a"), _Card("b"), _Card("c")
    marks = Marks()
    for card in (a, b, c):
        marks.toggle(card)
    marks.sending(["a", "b", "c"])
    # The live events of our own moves arrive before their answers: not judged meanwhile.
    moved = {i: _Card(i, status="IN_PRODUCTION") for i in "abc"}
    assert marks.check(moved, complete=True) == [] and len(marks) == 3

    def outcome(
        card: _Card, *, order: dict[str, Any] | None = None, error: Exception | None = None
    ) -> MoveOutcome:
        request = MoveRequest(card.id, card.number, "CONFIRMED", "IN_PRODUCTION")
        return MoveOutcome(request, order=order, error=error)

    conflict = Conflict("moved", current_status="READY")
    dropped = marks.settle(
        [
            outcome(a, order={"id": "a"}),
            outcome(b, error=conflict),
            outcome(c, error=Unreachable("down", url="http://x")),
        ]
    )
    # Moved: unmarked. Refused because someone else moved it: unmarked and said. Offline: still marked.
    assert dropped == [DroppedMark("KRFT-b", "READY")]
    assert marks.ids == {"c"}
    assert marks.check({"c": _Card("c")}, complete=True) == []


def test_a_live_event_that_closes_a_marked_order_unmarks_it_with_its_status() -> None:
    order = make_order(1, "CONFIRMED", hours_ago=5)
    model = loaded([order, make_order(2, "READY", hours_ago=2)])
    model.marks.toggle(summarize(order))
    assert model.check_marks() == []
    assert model.apply_event({**order, "status": "CANCELLED", "nextStatuses": []}, NOW)
    (dropped,) = model.check_marks()
    assert dropped == DroppedMark(order["orderNumber"], "CANCELLED") and len(model.marks) == 0


def test_open_columns_list_the_longest_waiting_first_and_closed_ones_the_newest() -> None:
    """Issue 19, finding 8: by when the order entered its status, not when it was placed."""
    placed_early_moved_late = make_order(1, "IN_PRODUCTION", hours_ago=50, in_status_hours=1)
    placed_late_moved_early = make_order(2, "IN_PRODUCTION", hours_ago=10, in_status_hours=9)
    unknown = {**make_order(3, "IN_PRODUCTION", hours_ago=90), "enteredStatusAt": None}
    done = [make_order(n, "COMPLETED", hours_ago=100 - n, in_status_hours=50 - n) for n in (4, 5)]
    newest_first = done[::-1]
    model = loaded(
        [placed_early_moved_late, placed_late_moved_early, unknown, *newest_first], show_closed=True
    )
    assert numbers(model, "IN_PRODUCTION") == [
        placed_late_moved_early["orderNumber"],
        placed_early_moved_late["orderNumber"],
        unknown["orderNumber"],
    ]
    assert numbers(model, "COMPLETED") == [done[1]["orderNumber"], done[0]["orderNumber"]]
    # A live event keeps the order: the order that just arrived in a column goes to its bottom.
    arrived = {**make_order(6, "CONFIRMED", hours_ago=200, in_status_hours=200), "status": "IN_PRODUCTION"}
    arrived["enteredStatusAt"] = NOW.isoformat()
    assert model.apply_event(arrived, NOW)
    assert numbers(model, "IN_PRODUCTION")[-2:] == [arrived["orderNumber"], unknown["orderNumber"]]


def test_columns_are_the_roles_before_any_order_is_there() -> None:
    """Issue 19, finding 6: a TALLER's REPORTED column neither appears nor vanishes with the orders."""
    taller = {"id": "u-2", "email": "taller@krafta.demo", "role": "TALLER"}
    moves: dict[str, tuple[str, ...]] = {"REPORTED": (), "CONFIRMED": ("IN_PRODUCTION",), "READY": ("X",)}
    model = BoardModel()
    empty = BoardData(taller, group_by_status([], OPEN), False, open_orders=OpenOrders("x"), moves=moves)
    assert model.apply_load(empty, NOW)
    assert model.columns == OPEN[1:]
    reported = {**make_order(1, "REPORTED", hours_ago=5), "nextStatuses": []}
    assert model.apply_event(reported, NOW)
    assert model.columns == OPEN[1:]
    # The count is what the columns hold: the REPORTED order is in none of them.
    assert model.open_count == 0
    assert not model.may_cancel and loaded([reported]).may_cancel


def test_keys_are_offered_for_the_marked_cards_else_the_selected_one() -> None:
    ready = make_order(1, "READY", hours_ago=2)
    done = {**make_order(2, "HANDED_TO_DELIVERY", hours_ago=2), "nextStatuses": []}
    model = loaded([ready, done])
    first, second = (model.open_orders.by_id[o["id"]] for o in (ready, done))  # type: ignore[union-attr]

    assert model.can_advance(first) and model.can_cancel(first)
    assert not model.can_advance(second) and not model.can_cancel(second) and not model.can_advance(None)
    model.marks.toggle(first)
    assert model.marked() == [first]
    assert model.can_advance(second) and model.can_cancel(None)  # the marked card decides
    assert "1 marked" in model.status_line(2, live=True, streaming=True, refresh_interval=5.0)


@pytest.mark.parametrize(
    ("live", "streaming", "interval", "says"),
    [
        (True, True, 5.0, "live"),
        (True, False, 5.0, "polling every 5 s (live stream unavailable)"),
        (False, False, 5.0, "polling every 5 s"),
    ],
)
def test_the_status_line_says_how_the_board_keeps_up(
    live: bool, streaming: bool, interval: float, says: str
) -> None:
    line = loaded([make_order(1, "READY", hours_ago=2)]).status_line(
        1, live=live, streaming=streaming, refresh_interval=interval
    )
    assert line.startswith("admin@krafta.demo (ADMIN) · 1 open order · updated ")
    assert line.endswith(" · " + says)
    assert BoardModel().status_line(0, live=False, streaming=False, refresh_interval=None) == "loading…"


def test_a_narrow_status_line_keeps_the_count_the_marks_and_live() -> None:
    """Issue 19, finding 4: at 80 columns `live` was cut off the end."""
    model = loaded([make_order(n, "READY", hours_ago=2) for n in range(1, 3)])
    model.marks.toggle(cards_of(model)[0])
    model.set_filter("barquisimeto")
    model.toggle_stuck_first()
    wide = model.status_line(2, live=True, streaming=True, refresh_interval=5.0)
    assert wide.startswith("admin@krafta.demo (ADMIN) · 2 open orders · filter “barquisimeto”: 2 shown")
    assert wide.endswith("1 marked · stuck first · updated 15:00:00 · live")
    narrow = model.status_line(2, live=True, streaming=True, refresh_interval=5.0, width=78)
    assert len(narrow) <= 78 and narrow.endswith(" · live")
    assert narrow == "2 open orders · filter “barquisimeto”: 2 shown · 1 marked · stuck first · live"
    tiny = model.status_line(2, live=False, streaming=False, refresh_interval=5.0, width=44)
    assert tiny == "2 open orders · 1 marked · polling every 5 s"


def test_fit_parts_drops_the_least_important_first_and_keeps_the_order() -> None:
    parts = [(1, "a" * 5), (3, "b" * 5), (0, "c" * 5), (3, "d" * 5)]
    assert fit_parts(parts, 0) == "aaaaa · bbbbb · ccccc · ddddd"
    assert fit_parts(parts, 23) == "aaaaa · bbbbb · ddddd"
    assert fit_parts(parts, 13) == "bbbbb · ddddd"
    assert fit_parts(parts, 3) == "bbbbb"


def test_a_database_outage_is_said_on_the_status_line_instead_of_live() -> None:
    """Issue 14: while the server's database is down the board says since when, and that its
    orders are the last known ones; the first answer with the database up clears it."""
    model = loaded([make_order(1, "READY", hours_ago=2)])
    card = cards_of(model)[0]
    assert model.open_orders is not None
    down = BoardData(ADMIN, {"READY": [card]}, False, open_orders=model.open_orders, database_down=True)
    assert model.apply_load(down, NOW)
    assert model.apply_load(down, NOW + timedelta(minutes=7))  # still down: the start is kept
    line = model.status_line(1, live=True, streaming=True, refresh_interval=5.0)
    assert line.endswith(f" · 1 open order (last known) · updated 15:07:00 · database down since {NOW:%H:%M}")
    assert "live" not in line
    narrow = model.status_line(1, live=True, streaming=True, refresh_interval=5.0, width=60)
    assert narrow.endswith(f"database down since {NOW:%H:%M}")

    up = BoardData(ADMIN, {"READY": [card]}, False, open_orders=model.open_orders)
    assert model.apply_load(up, NOW + timedelta(minutes=9))
    assert model.database_down_since is None
    assert model.status_line(1, live=True, streaming=True, refresh_interval=5.0).endswith(" · live")


def test_a_load_asked_before_the_picture_was_on_screen_keeps_it_through_an_outage() -> None:
    """Issue 14: a load asked with no picture (a first paint, then the stream's refresh at once)
    and answered while the database is down brings only the fallback's orders: they are laid
    over the orders on screen, not taken for the shop."""
    model = loaded([make_order(n, "READY", hours_ago=2) for n in (1, 2)])
    taken = summarize(make_order(9, "REPORTED", hours_ago=0.1))
    alone = OpenOrders.full(viewer_of(ADMIN), [taken])
    down = BoardData(ADMIN, {"REPORTED": [taken]}, False, open_orders=alone, database_down=True)
    assert model.apply_load(down, NOW)
    assert len(numbers(model, "READY")) == 2
    assert numbers(model, "REPORTED") == [taken.number]
    assert model.open_orders is not None and len(model.open_orders.by_id) == 3
    # With the database up, a load is the shop again.
    up = BoardData(ADMIN, {"REPORTED": [taken]}, False, open_orders=alone)
    assert model.apply_load(up, NOW)
    assert numbers(model, "READY") == [] and numbers(model, "REPORTED") == [taken.number]


def test_a_load_asked_before_a_live_event_does_not_put_the_older_picture_back() -> None:
    """The first paint's or the stream's reload can be asked before an event and answered after
    it: the orders the event brought stay as it brought them (the board lost a new order so)."""
    first = make_order(1, "REPORTED", hours_ago=5)
    model = loaded([first])
    arrived = make_order(2, "REPORTED", hours_ago=0)
    confirmed = {**first, "status": "CONFIRMED", "updatedAt": (NOW + timedelta(minutes=1)).isoformat()}
    assert model.apply_event(arrived, NOW) and model.apply_event(confirmed, NOW)

    loaded([first], model=model)  # the stale answer: no `arrived`, `first` still REPORTED
    assert numbers(model, "REPORTED") == [arrived["orderNumber"]]
    assert numbers(model, "CONFIRMED") == [first["orderNumber"]]

    # A load newer than the event wins: `first` moved on again since.
    later = {**first, "status": "IN_PRODUCTION", "updatedAt": (NOW + timedelta(minutes=2)).isoformat()}
    loaded([later, arrived], model=model)
    assert numbers(model, "CONFIRMED") == [] and numbers(model, "IN_PRODUCTION") == [first["orderNumber"]]
    assert model.live_events == 2  # laying events over a load is not another event


def test_events_are_laid_over_loads_for_a_minute_only() -> None:
    model = loaded([])
    arrived = make_order(1, "REPORTED", hours_ago=0)
    assert model.apply_event(arrived, NOW)
    summaries = OpenOrders.full(viewer_of(ADMIN), [])
    data = BoardData(ADMIN, group_by_status([], OPEN), False, open_orders=summaries)
    assert model.apply_load(data, NOW + timedelta(seconds=59))
    assert numbers(model, "REPORTED") == [arrived["orderNumber"]]
    assert model.apply_load(data, NOW + timedelta(seconds=61))
    assert numbers(model, "REPORTED") == []
