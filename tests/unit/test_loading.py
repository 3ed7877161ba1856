"""`tui.loading`: which load the board makes next, and how its set of open orders is kept — no Textual."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.tui.fake_shop import make_order
from tui.loading import FULL_RELOAD_EVERY, OVERLAP, LoadKind, LoadPolicy, OpenOrders, viewer_of
from tui.presentation import summarize

ADMIN = viewer_of({"id": "u-1", "role": "ADMIN"})


def known(*orders: dict[str, object]) -> OpenOrders:
    return OpenOrders.full(ADMIN, [summarize(o) for o in orders])


def test_first_a_preview_then_changes_with_a_full_load_every_n_steps() -> None:
    policy = LoadPolicy(full_every=3)
    some = known(make_order(1, "CONFIRMED", hours_ago=2))
    assert policy.plan(None) is LoadKind.PREVIEW
    assert policy.plan(some) is LoadKind.PREVIEW  # nothing complete on screen yet
    policy.loaded(LoadKind.PREVIEW)
    plans = []
    for _ in range(8):
        kind = policy.plan(some)
        plans.append(kind)
        policy.loaded(kind)
    assert plans == [LoadKind.CHANGES] * 3 + [LoadKind.FULL] + [LoadKind.CHANGES] * 3 + [LoadKind.FULL]


def test_full_load_when_nothing_is_known_or_after_forget() -> None:
    policy = LoadPolicy()
    policy.loaded(LoadKind.FULL)
    assert policy.plan(None) is LoadKind.FULL
    assert policy.plan(known()) is LoadKind.FULL  # an empty board has no watermark to ask from
    some = known(make_order(1, "READY", hours_ago=2))
    assert policy.plan(some) is LoadKind.CHANGES
    policy.forget()
    assert policy.plan(some) is LoadKind.FULL
    assert LoadPolicy().full_every == FULL_RELOAD_EVERY


def test_timer_polls_only_while_no_stream_brings_the_changes() -> None:
    policy = LoadPolicy()
    policy.loaded(LoadKind.FULL)
    some = known(make_order(1, "READY", hours_ago=2))
    assert policy.poll_due()
    policy.stream_connected()
    assert not policy.poll_due()
    policy.stream_lost()
    assert policy.poll_due()
    # Events may have been missed while the stream was down: the next load is a full one.
    assert policy.plan(some) is LoadKind.FULL


def test_open_orders_apply_changes_and_drop_closed_ones() -> None:
    staying = make_order(1, "CONFIRMED", hours_ago=5, in_status_hours=4)
    closing = make_order(2, "HANDED_TO_DELIVERY", hours_ago=6, in_status_hours=3)
    orders = known(staying, closing)
    assert set(orders.by_id) == {staying["id"], closing["id"]}
    assert orders.watermark is not None and orders.since() == (orders.watermark - OVERLAP).isoformat()

    moved = {**staying, "status": "IN_PRODUCTION", "updatedAt": make_order(1, "X", hours_ago=0)["createdAt"]}
    done = {**closing, "status": "COMPLETED"}
    arriving = make_order(3, "REPORTED", hours_ago=0.1)
    after = orders.updated([moved, done, arriving])
    assert set(after.by_id) == {staying["id"], arriving["id"]}
    assert after.by_id[staying["id"]].status == "IN_PRODUCTION"
    assert after.watermark is not None and after.watermark > orders.watermark
    assert [o.id for o in after.newest_first()] == [arriving["id"], staying["id"]]
    assert orders.by_id[staying["id"]].status == "CONFIRMED"  # the old set is untouched


def test_changes_only_for_the_same_viewer() -> None:
    orders = known(make_order(1, "READY", hours_ago=1))
    assert orders.usable_for(ADMIN)
    assert not orders.usable_for(viewer_of({"id": "u-1", "role": "TALLER"}))  # demoted: other moves
    assert not orders.usable_for(viewer_of({"id": "u-2", "role": "ADMIN"}))
    assert not known().usable_for(ADMIN)
    assert orders.watermark is not None and orders.watermark - timedelta(seconds=1) < orders.watermark


def test_load_board_previews_then_loads_everything_and_applies_changes() -> None:
    """`load_board` over FakeShop (MockTransport): what one load of each kind asks and returns."""
    from krafta_cli.client import KraftaClient
    from tests.tui.fake_shop import FakeShop
    from tui.loading import BoardData, load_board

    shop = FakeShop()
    previews: list[BoardData] = []
    with KraftaClient("http://krafta.test", token="t", transport=shop.transport()) as client:
        first = load_board(client, LoadKind.PREVIEW, None, show_closed=False, on_preview=previews.append)
        assert len(previews) == 1 and not previews[0].complete and previews[0].kind is LoadKind.PREVIEW
        assert first.complete and first.kind is LoadKind.PREVIEW and first.open_orders is not None
        assert first.total == 9 and set(first.by_status) == {
            "REPORTED", "CONFIRMED", "IN_PRODUCTION", "READY", "HANDED_TO_DELIVERY",
        }  # fmt: skip
        # The stuck rules the server published with its pages come with the answer (and the preview's).
        one_day = {status: timedelta(days=1) for status in first.by_status}
        assert first.stuck_rules == previews[0].stuck_rules == one_day

        shop.requests.clear()
        again = load_board(client, LoadKind.CHANGES, first.open_orders, show_closed=True, closed_limit=1)
        lists = [path for method, path in shop.requests if path == "/api/orders"]
        assert again.kind is LoadKind.CHANGES and len(lists) == 2  # the changes, then the closed ones
        # The closed orders come newest first up to the limit: the CANCELLED one is newer, its column
        # is full at a limit of 1 (and says "1+"), the COMPLETED one is not shown at all.
        assert again.truncated == frozenset({"CANCELLED"}) and again.by_status["COMPLETED"] == []

        other = OpenOrders("u-2:TALLER", dict(first.open_orders.by_id), first.open_orders.watermark)
        assert load_board(client, LoadKind.CHANGES, other, show_closed=False).kind is LoadKind.FULL


def test_polls_while_the_database_is_down_and_loads_everything_when_it_is_back() -> None:
    """Issue 14: a stream keeps flowing through a database outage, so only loads tell when it ends."""
    policy = LoadPolicy()
    policy.loaded(LoadKind.FULL)
    policy.stream_connected()
    some = known(make_order(1, "READY", hours_ago=2))
    assert not policy.database(down=True)
    assert policy.poll_due()  # with the stream connected
    assert policy.plan(some) is LoadKind.CHANGES
    assert not policy.database(down=True)
    assert policy.database(down=False)  # back: the picture was patched meanwhile, load it whole
    assert policy.plan(some) is LoadKind.FULL
    assert not policy.poll_due()
    assert not policy.database(down=False)


def test_a_load_in_an_outage_lays_the_fallbacks_orders_over_the_last_known_ones() -> None:
    """Issue 14: the server lists only its fallback's orders while its database is down; taken for
    the whole shop they emptied the board. The last known orders stay, the fallback's are added."""
    from krafta_cli.client import KraftaClient
    from tests.tui.fake_shop import FakeShop
    from tui.loading import load_board

    class DownShop(FakeShop):
        """Its database is down: a list holds only the fallback's orders and says so."""

        fallback: set[str] = set()

        def _page(self, orders: list[dict[str, Any]], cursor: str | None) -> dict[str, Any]:
            page = super()._page([o for o in orders if o["id"] in self.fallback], cursor)
            return {**page, "database": "down"}

    shop = FakeShop()
    with KraftaClient("http://krafta.test", token="t", transport=shop.transport()) as client:
        before = load_board(client, LoadKind.FULL, None, show_closed=False)
    assert before.open_orders is not None and not before.database_down
    everything = set(before.open_orders.by_id)

    taken = make_order(99, "REPORTED", hours_ago=0.1)
    down = DownShop([*shop.orders, taken])
    down.fallback = {taken["id"]}
    with KraftaClient("http://krafta.test", token="t", transport=down.transport()) as client:
        for kind in (LoadKind.FULL, LoadKind.CHANGES):
            during = load_board(client, kind, before.open_orders, show_closed=False)
            assert during.database_down and during.open_orders is not None
            assert set(during.open_orders.by_id) == everything | {taken["id"]}, kind
        # A board that knows nothing yet shows what there is, and says the database is down.
        first = load_board(client, LoadKind.FULL, None, show_closed=False)
        assert first.database_down and first.open_orders is not None
        assert set(first.open_orders.by_id) == {taken["id"]}
