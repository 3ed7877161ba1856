"""How the board loads its orders: what one load fetches, the open orders it keeps, and the policy
that picks each load.

`load_board` is one load (run in a worker thread: it blocks on the network) and returns
`BoardData`. `OpenOrders` is the board's set of open orders between refreshes, brought up to date
incrementally. `LoadPolicy` decides what the next load is — the first paint's quick preview, a
full load, or only the changes since the last look — and, for the live event stream (issue 9),
whether timer ticks should poll at all. No Textual here: unit-tested on their own
(tests/unit/test_loading.py); `BoardScreen` asks the policy, runs the load, reports what it loaded.

Why incremental: a full load of 5,000 open orders costs the server ~1.6 s of work
(bench/results/board.json); a board refreshing every 5 s would keep a third of a core busy for
nothing. After one full load the board asks only for what changed (`updatedSince`), and reloads
in full now and then to heal anything an incremental step could miss (clock skew between server
instances, a role change).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from krafta_cli.client import CLOSED_STATUSES, OPEN_STATUSES, KraftaClient, OrderPage
from tui.presentation import OrderSummary, group_by_status, summarize

__all__ = [
    "CLOSED_LIMIT",
    "FULL_RELOAD_EVERY",
    "OVERLAP",
    "PAGE_SIZE",
    "PREVIEW_SIZE",
    "BoardData",
    "LoadKind",
    "LoadPolicy",
    "OpenOrders",
    "load_board",
    "viewer_of",
]

# Incremental refreshes between two full loads (about a minute at the default 5 s interval).
FULL_RELOAD_EVERY = 12
# Asked again on every step: a change committed by another instance a moment "before" our last
# watermark (clocks differ slightly) is still seen. Re-reading a few orders costs nothing.
OVERLAP = timedelta(seconds=5)

_OPEN = frozenset(s.value for s in OPEN_STATUSES)
_OPEN_NAMES = tuple(s.value for s in OPEN_STATUSES)
_CLOSED_NAMES = tuple(s.value for s in CLOSED_STATUSES)

# The open columns come in pages of the server's maximum size. One unpaged response for 5,000
# orders is 9 MB whose json.loads holds the GIL ~80 ms in one go, freezing the keys; a 500-order
# page parses in under 20 ms. The price: the server takes ~1.6 s instead of ~0.7 s for all pages
# (measured with bench/board_bench.py), which the operator does not wait for — it is a refresh.
PAGE_SIZE = 500
# First paint does not wait for every order: each column's newest orders come first (a few
# small requests), the rest follows in the same worker.
PREVIEW_SIZE = 40
# COMPLETED/CANCELLED only grow; the toggle shows the latest ones, not years of history.
CLOSED_LIMIT = 100


def viewer_of(user: Mapping[str, Any]) -> str:
    """Whose eyes the orders were fetched for: another user or role gets other `nextStatuses`."""
    return f"{user.get('id')}:{user.get('role')}"


class LoadKind(StrEnum):
    PREVIEW = "preview"
    """First paint: each column's newest orders at once, then every open order."""
    FULL = "full"
    """Every open order again."""
    CHANGES = "changes"
    """Only the orders changed since the last look (`updatedSince`)."""


@dataclass(frozen=True)
class OpenOrders:
    """The open orders as of the last load, for one viewer; `watermark` is the newest `updatedAt`."""

    viewer: str
    by_id: dict[str, OrderSummary] = field(default_factory=dict)
    watermark: datetime | None = None

    @classmethod
    def full(cls, viewer: str, orders: Iterable[OrderSummary]) -> OpenOrders:
        by_id = {o.id: o for o in orders if o.status in _OPEN}
        return cls(viewer=viewer, by_id=by_id, watermark=_latest(by_id.values(), None))

    def usable_for(self, viewer: str) -> bool:
        """Can changes be applied on top of this set? Not for another viewer, nor without a watermark.

        With no watermark (an empty board) "changed since" would mean every order ever.
        """
        return self.watermark is not None and self.viewer == viewer

    def since(self) -> str | None:
        return None if self.watermark is None else (self.watermark - OVERLAP).isoformat()

    def updated(self, changes: Iterable[Mapping[str, Any]]) -> OpenOrders:
        """A new set with `changes` applied: an order now closed (or cancelled) leaves the board."""
        return self.with_cards([summarize(o) for o in changes])

    def with_cards(self, changed: list[OrderSummary]) -> OpenOrders:
        """`updated`, for orders already summarised."""
        by_id = dict(self.by_id)
        for order in changed:
            if order.status in _OPEN:
                by_id[order.id] = order
            else:
                by_id.pop(order.id, None)
        return replace(self, by_id=by_id, watermark=_latest(changed, self.watermark))

    def newest_first(self) -> list[OrderSummary]:
        """As the server sorts them: `createdAt` descending, ties by id."""
        return sorted(
            self.by_id.values(), key=lambda o: (o.created_at is not None, o.created_at, o.id), reverse=True
        )


def _latest(orders: Iterable[OrderSummary], start: datetime | None) -> datetime | None:
    latest = start
    for order in orders:
        if order.updated_at is not None and (latest is None or order.updated_at > latest):
            latest = order.updated_at
    return latest


class LoadPolicy:
    """Picks the next load; told what was loaded. One per board screen, used on the UI thread.

    * Before the first complete answer: `PREVIEW` (a quick first paint, then everything).
    * Then `CHANGES`, with a `FULL` load every `full_every` steps, or when `forget()` was called
      (the user changed, the board was told its picture is wrong).
    * Live events: while `stream_connected()` holds, the refresh timer does not poll
      (`poll_due()` is False) — the stream brings the changes; after `stream_lost()` polling
      resumes, starting with a full load (events may have been missed meanwhile).
    * The server's database down (`database(down=True)`, issue 14): the timer polls even with a
      stream, since only a load tells when the database answers again; the first answer with the
      database up makes the next load a full one (`database` returns True: load again now).
    """

    def __init__(self, *, full_every: int = FULL_RELOAD_EVERY) -> None:
        self.full_every = full_every
        self.streaming = False
        self.database_down = False
        self._painted = False
        self._steps_left = 0

    @property
    def painted(self) -> bool:
        """Has a complete load been shown yet?"""
        return self._painted

    def plan(self, known: OpenOrders | None) -> LoadKind:
        if not self._painted:
            return LoadKind.PREVIEW
        if known is None or known.watermark is None or self._steps_left <= 0:
            return LoadKind.FULL
        return LoadKind.CHANGES

    def loaded(self, kind: LoadKind) -> None:
        """A complete answer of `kind` is on screen."""
        self._painted = True
        if kind is LoadKind.CHANGES:
            self._steps_left -= 1
        else:
            self._steps_left = self.full_every

    def forget(self) -> None:
        """Make the next load a full one."""
        self._steps_left = 0

    def poll_due(self) -> bool:
        """Should a timer tick load? While no live stream brings the changes, or the database is down."""
        return not self.streaming or self.database_down

    def database(self, *, down: bool) -> bool:
        """What the last answer said of the database; True when it just came back (after which
        the next load is a full one: the board's picture was patched, not loaded, meanwhile)."""
        back = self.database_down and not down
        self.database_down = down
        if back:
            self.forget()
        return back

    def stream_connected(self) -> None:
        self.streaming = True

    def stream_lost(self) -> None:
        self.streaming = False
        self.forget()


@dataclass(frozen=True)
class BoardData:
    """One refresh: who is looking, and their orders per status (newest first)."""

    user: dict[str, Any]
    by_status: dict[str, list[OrderSummary]]
    show_closed: bool
    truncated: frozenset[str] = frozenset()
    """Columns that hold only their newest orders (a first-paint preview, or the closed ones)."""
    complete: bool = True
    """False for the quick first-paint preview that precedes the full answer."""
    open_orders: OpenOrders | None = None
    """The open orders this answer was built from, kept for the next incremental refresh."""
    kind: LoadKind = LoadKind.FULL
    """How the open orders were loaded (told to the `LoadPolicy` once on screen)."""
    stuck_rules: dict[str, timedelta] | None = None
    """The stuck rules the server published with this answer (`OrderPage.stuck_rules`)."""
    moves: dict[str, tuple[str, ...]] | None = None
    """What the user's role may do from each status, as the server published it (`Viewer.moves`)."""
    database_down: bool = False
    """The server said its database is down (`OrderPage.database_down`): the orders it listed are
    only its fallback's, laid over the last known ones (see `load_board`)."""

    @property
    def total(self) -> int:
        return sum(len(orders) for orders in self.by_status.values())


def load_board(
    client: KraftaClient,
    kind: LoadKind,
    known: OpenOrders | None,
    *,
    show_closed: bool,
    closed_limit: int = CLOSED_LIMIT,
    on_preview: Callable[[BoardData], None] | None = None,
) -> BoardData:
    """One load of the board, as `kind` says (a CHANGES load falls back to FULL for another viewer).

    For a PREVIEW, `on_preview` gets each column's newest orders first (the first paint), then the
    full answer is returned. Blocks on the network: call it in a worker thread.
    """
    # Asked every time: a role changed by an admin shows on the board within one refresh.
    me = client.viewer()
    user = me.user
    viewer = viewer_of(user)
    rules = _Rules()
    if kind is LoadKind.CHANGES and known is not None and known.usable_for(viewer):
        # Only what changed since the last look; see the module docstring for why.
        pages = client.iter_pages(page_size=PAGE_SIZE, updated_since=known.since())
        open_orders = known.updated(o for page in pages for o in rules.of(page).orders)
    else:
        if kind is LoadKind.CHANGES:
            kind = LoadKind.FULL
        if kind is LoadKind.PREVIEW and on_preview is not None:
            on_preview(replace(_preview(client, user, show_closed), moves=me.moves))
        # Summarised page by page, so the full JSON of 5,000 orders never lives all at once.
        pages = client.iter_pages(status=_OPEN_NAMES, page_size=PAGE_SIZE)
        orders = [summarize(o) for page in pages for o in rules.of(page).orders]
        if rules.database_down and known is not None and known.viewer == viewer:
            # The database is down: the server listed only its fallback's orders. Taken for the
            # whole shop they emptied the board (issue 14); laid over the last known ones they
            # add what was ordered or moved meanwhile, and the board says it is a last-known picture.
            open_orders = known.with_cards(orders)
        else:
            open_orders = OpenOrders.full(viewer, orders)
    listed = open_orders.newest_first()
    truncated: frozenset[str] = frozenset()
    if show_closed:
        page = rules.of(client.list_orders(status=_CLOSED_NAMES, limit=closed_limit))
        closed = [summarize(o) for o in page.orders]
        listed.extend(closed)
        grouped = group_by_status(closed, _CLOSED_NAMES)
        truncated = frozenset(s for s, found in grouped.items() if len(found) >= closed_limit)
    by_status = group_by_status(listed, _OPEN_NAMES + (_CLOSED_NAMES if show_closed else ()))
    return BoardData(
        user,
        by_status,
        show_closed,
        truncated=truncated,
        open_orders=open_orders,
        kind=kind,
        stuck_rules=rules.latest,
        moves=me.moves,
        database_down=rules.database_down,
    )


class _Rules:
    """Keeps the newest stuck rules seen on the pages of one load, and whether any page said the
    database was down."""

    def __init__(self) -> None:
        self.latest: dict[str, timedelta] | None = None
        self.database_down = False

    def of(self, page: OrderPage) -> OrderPage:
        if page.stuck_rules is not None:
            self.latest = page.stuck_rules
        self.database_down = self.database_down or page.database_down
        return page


def _preview(client: KraftaClient, user: dict[str, Any], show_closed: bool) -> BoardData:
    """Each open column's newest `PREVIEW_SIZE` orders, fetched at once (the client is thread-safe):
    the first paint waits for the slowest request, not for their sum."""

    def newest(status: str) -> OrderPage:
        return client.list_orders(status=[status], limit=PREVIEW_SIZE)

    with ThreadPoolExecutor(max_workers=len(_OPEN_NAMES)) as pool:
        pages = dict(zip(_OPEN_NAMES, pool.map(newest, _OPEN_NAMES), strict=True))
    first = {status: [summarize(o) for o in page.orders] for status, page in pages.items()}
    truncated = frozenset(s for s, orders in first.items() if len(orders) >= PREVIEW_SIZE)
    rules = next((p.stuck_rules for p in pages.values() if p.stuck_rules is not None), None)
    return BoardData(
        user,
        first,
        show_closed,
        truncated=truncated,
        complete=False,
        kind=LoadKind.PREVIEW,
        stuck_rules=rules,
    )
