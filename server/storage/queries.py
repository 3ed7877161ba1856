"""The SQL side of a list request's filter (`server.domain.filter.OrderFilter` is the Python side)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_

from server.domain.filter import After, OrderFilter
from server.domain.lifecycle import Status
from server.storage.models import orders_t, payments_t

__all__ = ["where"]


def where(filt: OrderFilter, after: After | None) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filt.owner_id is not None:
        clauses.append(orders_t.c.user_id == filt.owner_id)
    if filt.statuses:
        clauses.append(orders_t.c.status.in_([s.value for s in filt.statuses]))
    if filt.updated_since is not None:
        clauses.append(orders_t.c.updated_at > filt.updated_since)
    if filt.stuck is not None:
        stuck = or_(false(), *(_stuck_in(status, cutoff) for status, cutoff in filt.stuck_cutoffs))
        clauses.append(stuck if filt.stuck else not_(stuck))
    if filt.q:
        pattern = "%" + filt.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        payer = exists().where(
            payments_t.c.order_id == orders_t.c.id,
            func.lower(payments_t.c.payer_name).like(pattern, escape="\\"),
        )
        clauses.append(
            or_(
                func.lower(orders_t.c.order_number).like(pattern, escape="\\"),
                func.lower(orders_t.c.shipping_city).like(pattern, escape="\\"),
                func.lower(orders_t.c.shipping_state).like(pattern, escape="\\"),
                payer,
            )
        )
    if after is not None:
        created, oid = after
        clauses.append(
            or_(
                orders_t.c.created_at < created,
                and_(orders_t.c.created_at == created, orders_t.c.id < oid),
            )
        )
    return clauses


def _stuck_in(status: Status, cutoff: datetime) -> ColumnElement[bool]:
    """SQL for "in `status` since `cutoff` or earlier" (the database side of `StuckRules.stuck_since`)."""
    return and_(orders_t.c.status == status.value, orders_t.c.entered_status_at <= cutoff)
