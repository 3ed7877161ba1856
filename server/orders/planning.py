"""Planning an order (`PATCH /api/orders/{ident}`) and the holds that end by themselves.

The edit is `domain/planning.plan_edit`, applied through the storage seam's `change` wherever the
order lives — the database, or its fallback file during an outage (replayed later with its
timeline, like a move). `release_ended` is what the server's `HoldsLoop` runs every minute: each
hold whose `until` day has come is released with a timeline entry and an `order.updated` event.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from server.domain.audience import shown_to
from server.domain.edits import OrderEdit
from server.domain.errors import Invalid, NotFound
from server.domain.lifecycle import MoveRefused
from server.domain.numbers import parse_number
from server.domain.planning import Calendar, is_held, plan_edit, release_edit
from server.domain.principal import Principal
from server.domain.schemas import PlanIn
from server.domain.stuck import StuckRules
from server.orders.lookup import unfound
from server.orders.moves import refusal
from server.storage.files import canonical_uuid
from server.storage.seam import OrderStorage, Store, attempt

__all__ = ["HoldsLoop", "patch", "release_ended"]

log = logging.getLogger("krafta.planning")


def patch(
    storage: OrderStorage, stuck: StuckRules, calendar: Calendar, actor: Principal, ident: str, body: PlanIn
) -> dict[str, Any]:
    given = body.model_fields_set - {"expected_status"}
    if not given:
        raise Invalid(
            "Nothing to change: send dueAt, priority, hold or note.",
            fields={"body": "one of dueAt, priority, hold, note"},
        )
    if "priority" in given and body.priority is None:
        raise Invalid("Invalid priority: normal or rush.", fields={"priority": "normal or rush"})
    order_id = _order_id(storage, ident)
    at = calendar.now()
    today = calendar.today(at)

    def decide(record: Any) -> OrderEdit:
        edit = plan_edit(record, body, actor, at, today)
        if not edit.fields and not edit.entries:
            # Nothing differs (rush on a rush order): no write, no event; the order as it is.
            raise _Same(dict(record))
        return edit

    try:
        changed, answered = storage.find(lambda store: store.change(order_id, decide, actor.id))
    except MoveRefused as refused:
        raise refusal(refused, actor) from None
    except _Same as same:
        changed, answered = same.record, True
    if changed is None:
        raise unfound(ident, answered, elsewhere=answered and storage.recent_outage())
    return shown_to(changed, actor, stuck, at, calendar=calendar)


def _order_id(storage: OrderStorage, ident: str) -> str:
    order_id = canonical_uuid(ident)
    if order_id is not None:
        return order_id
    number = parse_number(ident)
    if number is None:
        raise NotFound(f"No order {ident!r}: give an order number like KRFT-482031 or an order id.")
    found, answered = storage.find(lambda store: store.get(number=number))
    if found is None:
        raise unfound(number, answered, elsewhere=answered and storage.recent_outage())
    return str(found["id"])


def release_ended(storage: OrderStorage, calendar: Calendar) -> int:
    """Release every hold whose `until` day has come (database and fallback); how many were released."""
    at = calendar.now()
    today = calendar.today(at)
    _, in_database = attempt(lambda: storage.database.holds_ending(today), instead=None)
    released = 0
    for order_id in [*(in_database or []), *storage.files.holds_ending(today)]:
        try:
            done, _ = storage.find(_releasing(order_id, at, today))
        except _Unchanged:
            continue
        released += done is not None
    return released


def _releasing(order_id: str, at: datetime, today: date) -> Callable[[Store], dict[str, Any] | None]:
    def decide(record: Any) -> OrderEdit:
        # Read again in the write: someone may have released or held it anew meanwhile.
        until = (record.get("hold") or {}).get("until")
        if not is_held(record) or until is None or until > today.isoformat():
            raise _Unchanged
        return release_edit(record, at)

    return lambda store: store.change(order_id, decide, None)


class _Same(Exception):
    """A PATCH that changes nothing: the transaction is left unwritten, the order answered as read."""

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__("nothing to change")
        self.record = record


class _Unchanged(Exception):
    """The hold was no longer due when its order was read for the write: nothing to do."""


class HoldsLoop:
    """The server's own clock for holds: every `interval` seconds, `release_ended`."""

    def __init__(self, storage: OrderStorage, calendar: Calendar, interval: float) -> None:
        self.storage = storage
        self.calendar = calendar
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="krafta-holds", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                release_ended(self.storage, self.calendar)
            except Exception:
                log.exception("releasing ended holds failed; will retry")
