"""Moving an order: the lifecycle's plan (`lifecycle.plan_move`, a pure function) applied where the
order lives (the seam's `find`), the hand-over's delivery data with it, and a refusal turned into
the error its caller gets."""

from __future__ import annotations

import contextlib
from typing import Any

from server.domain.audience import shown_to
from server.domain.errors import ApiError, Conflict, ErrorCode, Invalid, NotFound
from server.domain.handover import check_handover, delivery_of
from server.domain.lifecycle import MovePlan, MoveRefused, Status, next_statuses, plan_move
from server.domain.planning import Calendar
from server.domain.principal import Principal
from server.domain.schemas import AdvanceIn
from server.domain.stuck import StuckRules
from server.orders.lookup import unfound
from server.storage.files import canonical_uuid
from server.storage.seam import OrderStorage

__all__ = ["advance", "refusal"]


def advance(
    storage: OrderStorage,
    stuck: StuckRules,
    actor: Principal,
    cmd: AdvanceIn,
    extra: dict[str, Any] | None = None,
    calendar: Calendar | None = None,
) -> dict[str, Any]:
    """Move an order; `extra` is move data beyond the status (courier, tracking number, …)."""
    check_handover(cmd.status, courier=cmd.courier, tracking_number=cmd.tracking_number)
    order_id = canonical_uuid(cmd.order_id)
    if order_id is None:
        raise NotFound(f"No order with orderId {cmd.order_id!r}.")
    calendar = calendar or Calendar()
    at = calendar.now()
    if cmd.status is Status.HANDED_TO_DELIVERY:
        # The hand-over records who carries it and when, with or without a tracking number.
        extra = {**(extra or {}), "delivery": delivery_of(cmd.courier, cmd.tracking_number, at)}
    if cmd.status is Status.CONFIRMED:
        # The promise made when the payment is verified, unless staff set a day already (`move_edit`).
        extra = {**(extra or {}), "dueAt": calendar.due_from(calendar.today(at)).isoformat()}

    def decide(current: str) -> MovePlan:
        return plan_move(
            current,
            cmd.status,
            actor.role,
            force=cmd.force,
            note=cmd.note or None,
            expected=cmd.expected_status,
            extra=extra,
        )

    try:
        moved, answered = storage.find(lambda store: store.apply_move(order_id, decide, actor, at))
    except MoveRefused as refused:
        raise refusal(refused, actor) from None
    if moved is None:
        raise unfound(f"with orderId {order_id}", answered, elsewhere=answered and storage.recent_outage())
    return shown_to(moved, actor, stuck, at, calendar=calendar)


def _sentence(error: Exception) -> str:
    # Not str.capitalize(): it would lower-case the status and role names in the rest of the message.
    text = str(error)
    return text[:1].upper() + text[1:] + "."


def refusal(refused: MoveRefused, actor: Principal) -> ApiError:
    """The lifecycle's refusal as the error the caller gets (a conflict names where the order is now)."""
    message = _sentence(refused)
    if refused.code is ErrorCode.CONFLICT:
        current = str(refused.current or "")
        nxt: list[str] = []
        with contextlib.suppress(ValueError):
            nxt = [s.value for s in next_statuses(current, actor.role)]
        return Conflict(message, current_status=current, next_statuses=nxt)
    if refused.code is ErrorCode.INVALID:
        return Invalid(message, fields=refused.fields or {"note": "required"})
    return ApiError(message, code=refused.code)
