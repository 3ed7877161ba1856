"""The SQL side of a list request's filter (`server.domain.filter.OrderFilter` is the Python side)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, false, func, literal, not_, or_, tuple_

from server.domain.filter import NO_DUE, After, OrderFilter
from server.domain.lifecycle import Status
from server.domain.planning import DONE
from server.storage.models import orders_t, payments_t

__all__ = ["order_by", "sort_columns", "where"]


def sort_columns(filt: OrderFilter) -> list[ColumnElement[Any]]:
    """The SQL of the filter's sort key (`filter.sort_key`), column by column."""
    if filt.sort == "due":
        return [
            case((orders_t.c.priority == "rush", 0), else_=1),
            func.coalesce(orders_t.c.due_at, literal(NO_DUE, orders_t.c.due_at.type)),
            orders_t.c.created_at,
            orders_t.c.id,
        ]
    return [orders_t.c.created_at, orders_t.c.id]


def order_by(filt: OrderFilter) -> list[ColumnElement[Any]]:
    columns = sort_columns(filt)
    return [c.desc() for c in columns] if filt.descending else [c.asc() for c in columns]


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
    if filt.late is not None and filt.today is not None:
        # Spelled out both ways: NOT over a NULL due date would leave the undated out of late=false.
        late = and_(
            orders_t.c.due_at.is_not(None),
            orders_t.c.due_at < filt.today,
            orders_t.c.status.not_in([s.value for s in DONE]),
        )
        not_late = or_(
            orders_t.c.due_at.is_(None),
            orders_t.c.due_at >= filt.today,
            orders_t.c.status.in_([s.value for s in DONE]),
        )
        clauses.append(late if filt.late else not_late)
    if filt.held is not None:
        clauses.append(orders_t.c.hold_reason.is_not(None) if filt.held else orders_t.c.hold_reason.is_(None))
    if filt.priority is not None:
        clauses.append(orders_t.c.priority == filt.priority)
    if filt.same_reference is not None:
        reused = _reused()
        clauses.append(reused if filt.same_reference else not_(reused))
    if filt.needle:
        # Both sides folded by the same `fold`: a plain substring match, which pg_trgm can index.
        escaped = filt.needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(orders_t.c.search_text.like(f"%{escaped}%", escape="\\"))
    if after is not None and filt.sort == "due":
        columns = sort_columns(filt)
        # A row-value comparison: PostgreSQL and SQLite (3.15+) both have it.
        clauses.append(
            tuple_(*columns) > tuple_(*(literal(v, c.type) for v, c in zip(after, columns, strict=True)))
        )
    elif after is not None:
        created, oid = after
        clauses.append(
            or_(
                orders_t.c.created_at < created,
                and_(orders_t.c.created_at == created, orders_t.c.id < oid),
            )
        )
    return clauses


def _reused() -> ColumnElement[bool]:
    """SQL for "a payment of this order carries a reference another order's payment carries" (neither
    rejected): the database side of `desk.mark_same_reference`, on the indexed `reference_key`."""
    mine, other = payments_t.alias("p_mine"), payments_t.alias("p_other")
    return exists().where(
        mine.c.order_id == orders_t.c.id,
        mine.c.status != "REJECTED",
        other.c.reference_key == mine.c.reference_key,
        other.c.order_id != mine.c.order_id,
        other.c.status != "REJECTED",
    )


def _stuck_in(status: Status, cutoff: datetime) -> ColumnElement[bool]:
    """SQL for "in `status` since `cutoff` or earlier" (the database side of `StuckRules.stuck_since`)."""
    # A held order is parked on purpose: never stuck.
    return and_(
        orders_t.c.status == status.value,
        orders_t.c.entered_status_at <= cutoff,
        orders_t.c.hold_reason.is_(None),
    )
