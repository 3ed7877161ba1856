"""The hub: fans logged changes out to this process's subscribers, on the event loop, never waiting.

Every subscriber has a bounded queue. `dispatch` only appends; a subscriber whose queue is full is
dropped at once with a `resync` marker (its stream sends `event: resync` and closes), so one slow
or stalled client never holds up the others, the feed, or a writer. How many subscribers there
may be is bounded too, per user and per process (`subscribe` refuses beyond: 429). Changes come from the feed
thread (`dispatch_threadsafe`) and, for changes taken into the fallback while the database is down,
from the writer itself (`publish_local`): those are seen only by this process's subscribers, which
is all that can see them — the other servers have their own fallback directories.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from server.domain.audience import visible_to
from server.domain.errors import RateLimited
from server.domain.principal import Principal
from server.live.log import LoggedChange

__all__ = ["CLOSE", "Hub", "Resync", "Subscription", "visible"]

log = logging.getLogger("krafta.live")


@dataclass(frozen=True)
class Resync:
    """Tell the client to reload; `drop` ends the stream after it (the subscriber fell behind)."""

    cursor: str | None
    drop: bool


CLOSE = object()  # the server is stopping


def visible(change: LoggedChange, viewer: Principal) -> bool:
    """The access rule of GET /api/orders (one home: `domain/audience.py::visible_to`)."""
    return visible_to(change.order, viewer)


class Subscription:
    def __init__(self, viewer: Principal, statuses: frozenset[str], capacity: int, mark: int | None) -> None:
        self.viewer = viewer
        self.statuses = statuses
        self.capacity = capacity
        # Logged changes with an id up to `mark` were dispatched before this subscription existed.
        self.mark = mark
        self.items: collections.deque[Any] = collections.deque()
        self.ready = asyncio.Event()
        self.dropped = False
        # Orders this subscriber heard of from the fallback (in process): their replay is not news to it.
        self.local_orders: set[str] = set()

    def wants(self, change: LoggedChange) -> bool:
        if not visible(change, self.viewer):
            return False
        # A status filter matches moves into and out of the statuses named.
        return not self.statuses or bool({change.to_status, change.from_status} & self.statuses)

    def offer(self, item: Any) -> bool:
        if self.dropped:
            return False
        if len(self.items) >= self.capacity:
            return False
        self.items.append(item)
        self.ready.set()
        return True

    def push_control(self, item: Any) -> None:
        """A resync or close marker: replaces whatever is queued, never refused."""
        self.items.clear()
        self.items.append(item)
        self.ready.set()

    async def next(self, timeout: float) -> Any:
        """The next queued item, or None after `timeout` seconds without one."""
        if not self.items:
            self.ready.clear()
            try:
                await asyncio.wait_for(self.ready.wait(), timeout)
            except TimeoutError:
                return None
        return self.items.popleft() if self.items else None


# How soon a refused stream may try again: long enough that a board retrying in a loop costs nothing.
FULL_RETRY_SECONDS = 30


class Hub:
    def __init__(
        self, *, capacity: int = 1000, replay_origin: str = "", per_user: int = 0, most: int = 0
    ) -> None:
        self.capacity = capacity
        # Open streams allowed per user and per process (0: no limit). One admin token opened 3,000
        # streams and the next POST took 10.9 s: every stream costs memory and, once per heartbeat, a
        # session check in a worker thread.
        self.per_user = per_user
        self.most = most
        # Changes logged by this process's replay of its own fallback orders carry this origin.
        self.replay_origin = replay_origin
        self.subscriptions: set[Subscription] = set()
        self.mark: int | None = None  # the last database change dispatched
        self.closing = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self._local = itertools.count(1)
        self.dropped = 0  # subscribers dropped for falling behind, since start

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def subscribe(self, viewer: Principal, statuses: Iterable[str] = ()) -> Subscription:
        """A new subscription; `RateLimited` (429) when the user or the process has its most open."""
        if self.most and len(self.subscriptions) >= self.most:
            raise RateLimited(
                f"This server has its most live event streams open ({self.most}); try again shortly.",
                retry_after=FULL_RETRY_SECONDS,
            )
        if self.per_user and sum(s.viewer.id == viewer.id for s in self.subscriptions) >= self.per_user:
            raise RateLimited(
                f"You have {self.per_user} live event streams open, the most one user may; "
                "close one (a board, a `krafta orders watch`) and try again.",
                retry_after=FULL_RETRY_SECONDS,
            )
        sub = Subscription(viewer, frozenset(statuses), self.capacity, self.mark)
        if self.closing:
            sub.push_control(CLOSE)
        else:
            self.subscriptions.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscriptions.discard(sub)

    def dispatch(self, changes: list[LoggedChange], last: int | None = None) -> None:
        for change in changes:
            self.mark = change.seq
            own_replay = bool(self.replay_origin) and change.origin == self.replay_origin
            for sub in list(self.subscriptions):
                if own_replay and change.order.get("id") in sub.local_orders:
                    continue
                if sub.wants(change) and not sub.offer(change):
                    self._drop(sub)
        if last is not None and (self.mark is None or last > self.mark):
            self.mark = last

    def _drop(self, sub: Subscription) -> None:
        self.subscriptions.discard(sub)
        sub.dropped = True
        self.dropped += 1
        sub.push_control(Resync(cursor=None if self.mark is None else str(self.mark), drop=True))
        log.info("live subscriber %s fell %d changes behind; resync and drop", sub.viewer.id, sub.capacity)

    def dispatch_threadsafe(self, changes: list[LoggedChange], last: int) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.dispatch, changes, last)

    def publish_local(self, kind: str, order: dict[str, Any], from_status: str | None) -> None:
        """A change taken into the fallback (no database to log it in): to this process's subscribers."""
        if self.loop is None or self.loop.is_closed():
            return
        order = {k: v for k, v in order.items() if k != "nextStatuses"}

        def deliver() -> None:
            base = self.mark or 0
            # Not a database id: "<last database id>-<n>". A resume from it gets a resync (see the stream).
            change = LoggedChange(
                cursor=f"{base}-{next(self._local)}",
                seq=base,
                kind=kind,
                order=order,
                owner_id=order.get("userId"),
                from_status=from_status,
                to_status=order["status"],
                origin="fallback",
            )
            for sub in list(self.subscriptions):
                if not sub.wants(change):
                    continue
                if sub.offer(change):
                    sub.local_orders.add(order["id"])
                else:
                    self._drop(sub)

        self.loop.call_soon_threadsafe(deliver)

    def end_streams(self, principal_id: str) -> None:
        """End this user's (or device's) streams now, from any thread: their sessions just ended
        (deactivated, password reset, device token revoked). Other servers' streams of theirs end at
        their next heartbeat's session check."""

        def close() -> None:
            for sub in [s for s in self.subscriptions if s.viewer.id == principal_id]:
                self.subscriptions.discard(sub)
                sub.push_control(CLOSE)

        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(close)

    def close(self) -> None:
        """Server stopping: every stream ends cleanly now, so a graceful shutdown does not wait on them."""
        self.closing = True
        for sub in list(self.subscriptions):
            sub.push_control(CLOSE)
        self.subscriptions.clear()
