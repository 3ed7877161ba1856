"""The SQL side of a list request's filter (`server.domain.filter.OrderFilter` is the Python side)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, not_, or_

from server.domain.filter import After, OrderFilter
from server.domain.lifecycle import Status
from server.storage.models import orders_t

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
    if filt.needle:
        # Both sides folded by the same `fold`: a plain substring match, which pg_trgm can index.
        escaped = filt.needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(orders_t.c.search_text.like(f"%{escaped}%", escape="\\"))
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
