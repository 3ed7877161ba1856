"""The order service: what the routes call, each operation in its own module over the storage seam.

    create        intake.py   a new order: number, Idempotency-Key, database or fallback file
    advance       moves.py    a status change by the lifecycle's plan, wherever the order lives
    plan          planning.py due date, priority, hold, note (PATCH), wherever the order lives
    release_ended_holds planning.py every hold whose `until` day has come, released
    get           lookup.py   one order by number or id, as its caller is shown it (or its token's holder)
    holder        lookup.py   who an order token makes its bearer (for its live events)
    add_payment   evidence.py new payment evidence on a PENDING order, by its customer
    list_page     lists.py    one page after a cursor, both stores merged
    stream_all    lists.py    every matching order, streamed

What is stored and where is decided in `storage/seam.py`; what an order holds in `domain/shape.py`;
what a move changes in `lifecycle.plan_move`; what a caller is shown in `domain/audience.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from server.domain.filter import OrderFilter
from server.domain.planning import Calendar
from server.domain.principal import Principal
from server.domain.schemas import AdvanceIn, OrderIn, PaymentIn, PlanIn
from server.domain.stuck import StuckRules
from server.orders import evidence, lookup, moves, planning
from server.orders.intake import Intake
from server.orders.lists import OrderLists
from server.storage.numbers import NumberLease
from server.storage.seam import OrderStorage

__all__ = ["OrderService"]


class OrderService:
    def __init__(
        self,
        storage: OrderStorage,
        *,
        lease: NumberLease | None = None,
        stuck: StuckRules | None = None,
        calendar: Calendar | None = None,
    ) -> None:
        self.storage = storage
        # How long an order may sit in a status (KRAFTA_STUCK_AFTER): what staff are shown says `stuck`.
        self.stuck = stuck if stuck is not None else StuckRules()
        # The shop's days and clock: due dates, `late`, holds ending (KRAFTA_LEAD_DAYS, KRAFTA_HOLIDAYS).
        self.calendar = calendar if calendar is not None else Calendar()
        self.lease = lease if lease is not None else NumberLease(storage.database.db)
        self._intake = Intake(storage, self.lease)
        self._lists = OrderLists(storage, self.stuck, self.calendar)

    def create(
        self, body: OrderIn, *, owner: Principal | None, idempotency_key: str | None, request_hash: str
    ) -> tuple[int, dict[str, Any]]:
        return self._intake.create(
            body, owner=owner, idempotency_key=idempotency_key, request_hash=request_hash
        )

    def advance(
        self, actor: Principal, cmd: AdvanceIn, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return moves.advance(self.storage, self.stuck, actor, cmd, extra, self.calendar)

    def plan(self, actor: Principal, ident: str, body: PlanIn) -> dict[str, Any]:
        return planning.patch(self.storage, self.stuck, self.calendar, actor, ident, body)

    def release_ended_holds(self) -> int:
        return planning.release_ended(self.storage, self.calendar)

    def get(self, viewer: Principal | None, ident: str, token: str | None = None) -> dict[str, Any]:
        return lookup.get(self.storage, self.stuck, viewer, ident, self.calendar, token)

    def holder(self, ident: str, token: str) -> Principal:
        return lookup.holder(self.storage, ident, token)

    def add_payment(
        self,
        viewer: Principal | None,
        ident: str,
        body: PaymentIn,
        *,
        token: str | None,
        idempotency_key: str | None,
    ) -> dict[str, Any]:
        return evidence.add_payment(
            self.storage,
            self.stuck,
            self.calendar,
            viewer,
            ident,
            body,
            token=token,
            idempotency_key=idempotency_key,
        )

    def list_page(self, viewer: Principal, filt: OrderFilter, *, limit: int, cursor: str | None) -> bytes:
        return self._lists.page(viewer, filt, limit=limit, cursor=cursor)

    def stream_all(self, viewer: Principal, filt: OrderFilter) -> Iterator[bytes]:
        return self._lists.stream(viewer, filt)
