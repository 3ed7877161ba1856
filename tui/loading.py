"""How the board loads its orders: the open orders it keeps, and the policy that picks each load.

`OpenOrders` is the board's set of open orders between refreshes, brought up to date
incrementally. `LoadPolicy` decides what the next load is — the first paint's quick preview, a
full load, or only the changes since the last look — and, for the live event stream (issue 9),
whether timer ticks should poll at all. Both are plain classes, unit-tested without Textual
(tests/tui/test_loading.py); `BoardScreen` asks the policy and reports back what it loaded.

Why incremental: a full load of 5,000 open orders costs the server ~1.6 s of work
(bench/results/board.json); a board refreshing every 5 s would keep a third of a core busy for
nothing. After one full load the board asks only for what changed (`updatedSince`), and reloads
in full now and then to heal anything an incremental step could miss (clock skew between server
instances, a role change).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from krafta_cli.client import OPEN_STATUSES
from tui.presentation import OrderSummary, summarize

__all__ = ["FULL_RELOAD_EVERY", "OVERLAP", "LoadKind", "LoadPolicy", "OpenOrders", "viewer_of"]

# Incremental refreshes between two full loads (about a minute at the default 5 s interval).
FULL_RELOAD_EVERY = 12
# Asked again on every step: a change committed by another instance a moment "before" our last
# watermark (clocks differ slightly) is still seen. Re-reading a few orders costs nothing.
OVERLAP = timedelta(seconds=5)

_OPEN = frozenset(s.value for s in OPEN_STATUSES)


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
        by_id = dict(self.by_id)
        changed = [summarize(o) for o in changes]
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
    """

    def __init__(self, *, full_every: int = FULL_RELOAD_EVERY) -> None:
        self.full_every = full_every
        self.streaming = False
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
        """Should a timer tick load? Only while no live stream brings the changes."""
        return not self.streaming

    def stream_connected(self) -> None:
        self.streaming = True

    def stream_lost(self) -> None:
        self.streaming = False
        self.forget()
