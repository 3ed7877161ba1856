"""Orders serialised by the database itself: one JSON text per order, children included.

The full list and the pages of staff lists are the server's biggest answers; building each order's
JSON in SQL (SQLite `json_object`/`json_group_array`, PostgreSQL `json_build_object`/`json_agg`)
leaves Python one string per order instead of ~40 dict entries, datetime and Decimal conversions and
a JSON encoding (measured: the Python path was ~3/4 of the list's time). The SQL is generated from
the shape's declaration (`domain/shape.py`), so the JSON has exactly the fields and forms of the
Python path (`records_for_rows`) — a test compares the two on both databases.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Select,
    String,
    TextClause,
    case,
    cast,
    func,
    literal_column,
    not_,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.types import Float, TypeDecorator

from server.domain.filter import After, OrderFilter
from server.domain.shape import BOOL, CHILDREN, JSON, MONEY, ORDER, PAYMENT, TIME, Field, Part
from server.storage.models import Order, orders_t
from server.storage.queries import order_by, where

__all__ = [
    "as_day",
    "as_utc",
    "fill_missing",
    "ids_param",
    "json_by_ids",
    "order_json",
    "page_ids",
    "refresh",
]

_CHILD_ORDER = {"items": "id", "payments": "reported_at", "history": "seq"}


def _const(text: str) -> ColumnElement[Any]:
    # Keys and formats are this module's own constants, inlined: PostgreSQL cannot type a bound
    # parameter passed to json_build_object's variadic "any" arguments.
    assert "'" not in text
    return literal_column(f"'{text}'")


def _value(f: Field, col: ColumnElement[Any], postgres: bool) -> ColumnElement[Any]:
    if f.kind is MONEY:
        return col if postgres else cast(col, Float)
    if f.kind is TIME:
        if postgres:
            utc = func.timezone(_const("UTC"), col)
            return func.to_char(utc, _const('YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'))
        text = func.replace(col, _const(" "), _const("T")).op("||")(_const("+00:00"))
        return case((col.is_(None), None), else_=text)
    if f.kind is BOOL:
        return col if postgres else func.json(case((col, _const("true")), else_=_const("false")))
    if f.kind is JSON:
        return col if postgres else func.json(col)
    return col


def _object(pairs: list[tuple[str, ColumnElement[Any]]], postgres: bool) -> ColumnElement[Any]:
    args: list[Any] = []
    for key, value in pairs:
        args += [_const(key), value]
    return (func.json_build_object if postgres else func.json_object)(*args)


def _fields(part: Part, table: FromClause, postgres: bool) -> list[tuple[str, ColumnElement[Any]]]:
    pairs: list[tuple[str, ColumnElement[Any]]] = []
    groups: dict[str, list[tuple[str, ColumnElement[Any], Any]]] = {}
    for f in part.fields:
        col = table.c[f.column]
        if f.group:
            groups.setdefault(f.group, []).append((f.wire, _value(f, col, postgres), col))
        else:
            pairs.append((f.wire, _value(f, col, postgres)))
    for name, members in groups.items():
        obj = _object([(w, v) for w, v, _ in members], postgres)
        all_null = members[0][2].is_(None)
        for _, _, col in members[1:]:
            all_null = all_null & col.is_(None)
        grouped = case((all_null, None), else_=obj)
        # On SQLite a CASE loses the JSON subtype: json() marks it as JSON again.
        pairs.append((name, grouped if postgres else func.json(grouped)))
    return pairs


def _same_reference(payment: FromClause, postgres: bool) -> ColumnElement[Any]:
    """A payment's `sameReference`, as `database.records_for_rows` gives it (`desk.mark_same_reference`):
    the sorted numbers of the other orders whose non-rejected payments carry its reference key,
    `[]` for a rejected payment — one lookup on the indexed `reference_key`."""
    table = Order.metadata.tables[PAYMENT.table]
    other, owner = table.alias("p_same"), orders_t.alias("o_same")
    numbers = (
        select(owner.c.order_number.label("n"))
        .distinct()
        .select_from(other.join(owner, owner.c.id == other.c.order_id))
        .where(
            other.c.reference_key == payment.c.reference_key,
            other.c.order_id != payment.c.order_id,
            other.c.status != _const("REJECTED"),
            payment.c.status != _const("REJECTED"),
        )
        .correlate(payment)
    )
    if postgres:
        rows = numbers.subquery()
        agg = select(func.json_agg(aggregate_order_by(rows.c.n, rows.c.n))).scalar_subquery()
        return func.coalesce(agg, literal_column("'[]'::json"))
    rows = numbers.order_by(literal_column("n")).subquery()
    return func.json(select(func.json_group_array(rows.c.n)).scalar_subquery())


def _children(part: Part, postgres: bool) -> ColumnElement[Any]:
    table = Order.metadata.tables[part.table]
    child = table.alias(f"c_{part.key}")
    pairs = _fields(part, child, postgres)
    if part is PAYMENT:
        pairs.append(("sameReference", _same_reference(child, postgres)))
    obj = _object(pairs, postgres)
    order_by = child.c[_CHILD_ORDER[part.key or ""]]
    where = child.c.order_id == orders_t.c.id
    if postgres:
        inner = select(func.json_agg(aggregate_order_by(obj, order_by))).where(where).correlate(orders_t)
        return func.coalesce(inner.scalar_subquery(), literal_column("'[]'::json"))
    # SQLite 3.40 has no ORDER BY inside an aggregate: order a correlated derived table instead.
    rows = select(obj.label("x")).where(where).order_by(order_by).correlate(orders_t).subquery()
    return select(func.json_group_array(func.json(rows.c.x))).correlate(orders_t).scalar_subquery()


def order_json(postgres: bool) -> ColumnElement[Any]:
    """One order row's JSON text (staff record, `storage: database`), children included."""
    pairs = _fields(ORDER, orders_t, postgres)
    pairs.append(("storage", _const("database")))
    for part in CHILDREN:
        pairs.append((part.key or "", _children(part, postgres)))
    obj = _object(pairs, postgres)
    return cast(obj, String) if postgres else obj


def _match(postgres: bool) -> str:
    # The ids as one parameter, not one per id: expanding 1,000 placeholders per query cost more
    # than the query's planning (a JSON array on SQLite, an array on PostgreSQL; see `ids_param`).
    return "= ANY(:ids)" if postgres else "IN (SELECT value FROM json_each(:ids))"


def ids_param(ids: Sequence[str], postgres: bool) -> dict[str, Any]:
    """The `:ids` parameter of `json_by_ids` and `refresh`."""
    return {"ids": list(ids) if postgres else json.dumps(list(ids))}


def _compiled(statement: Any, postgres: bool) -> TextClause:
    dialect = postgresql.dialect() if postgres else sqlite.dialect()  # type: ignore[no-untyped-call]
    # The match is SQL text whose `:ids` (escaped here) the outer text() binds: a literal compile
    # cannot render a parameter it has no value for.
    statement = statement.where(text(f"orders.id {_match(postgres)}".replace(":ids", "\\:ids")))
    return text(str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})))


@cache
def shape_key(postgres: bool) -> str:
    """What the stored JSON was made by: a digest of the SQL that builds it, so a change to the
    declaration or to this builder (a field added by a later release) makes every stored text stale."""
    dialect = postgresql.dialect() if postgres else sqlite.dialect()  # type: ignore[no-untyped-call]
    sql = str(order_json(postgres).compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    return hashlib.sha256(sql.encode()).hexdigest()[:16]


def _current(postgres: bool) -> ColumnElement[bool]:
    return orders_t.c.list_shape == _const(shape_key(postgres))


@cache
def json_by_ids(postgres: bool) -> TextClause:
    """`SELECT id, <order json> FROM orders WHERE id matches :ids`, compiled once per dialect: the
    stored text, or the JSON built here for a row whose text is missing or stale.

    Built and compiled once: constructing this expression and computing its cache key on every
    request cost more than running it (measured on newest-50). CASE evaluates the builder only for
    the rows that need it, on both databases.
    """
    fresh = _current(postgres) & orders_t.c.list_json.is_not(None)
    stored = case((fresh, orders_t.c.list_json), else_=order_json(postgres))
    return _compiled(select(orders_t.c.id, stored.label("json")), postgres)


@cache
def _refresh(postgres: bool) -> TextClause:
    values = {"list_json": order_json(postgres), "list_shape": _const(shape_key(postgres))}
    return _compiled(update(orders_t).values(**values), postgres)


# Rows of several orders locked in one order (by id) before their JSON is stored again.
_LOCK_IN_ORDER = text("SELECT id FROM orders WHERE id = ANY(:ids) ORDER BY id FOR UPDATE")


def refresh(conn: Connection, ids: Sequence[str]) -> None:
    """Store these orders' JSON as the database builds it; last in their write's transaction, after
    every row of the order was written."""
    postgres = conn.dialect.name == "postgresql"
    if postgres and len(ids) > 1:
        # Two writes whose payments share a reference each store the other orders' JSON, and one
        # UPDATE of several rows locks them in whatever order its plan visits them: measured, 11 of
        # 48 creates (16 at once, one reference) died as deadlocks and went to the fallback as if the
        # database were down. Taken in id order first, the locks queue instead.
        conn.execute(_LOCK_IN_ORDER, ids_param(sorted(ids), postgres))
    conn.execute(_refresh(postgres), ids_param(ids, postgres))


def fill_missing(conn: Connection, *, batch: int = 1000) -> int:
    """Store the JSON of every order whose stored text is missing or was made by another shape (rows
    written by an earlier version, or around the server); how many."""
    postgres = conn.dialect.name == "postgresql"
    stale = or_(orders_t.c.list_shape.is_(None), not_(_current(postgres)))
    done = 0
    while True:
        ids = list(conn.scalars(select(orders_t.c.id).where(stale).limit(batch)))
        if not ids:
            return done
        refresh(conn, ids)
        done += len(ids)


def page_ids(filt: OrderFilter, after: After | None, size: int) -> Select[Any]:
    """(id, created_at, status, entered_status_at, priority, due_at, hold_reason) of a page in the
    filter's order: the cheap half of a page of JSON (and what staff are shown besides it).

    The times come back as the driver gives them (SQLite: text), not through `UTCDateTime`: its
    per-row processing was a fifth of the full list's time; `as_utc` reads either form.
    """
    return (
        select(
            orders_t.c.id,
            type_coerce(orders_t.c.created_at, _Raw),
            orders_t.c.status,
            type_coerce(orders_t.c.entered_status_at, _Raw),
            orders_t.c.priority,
            type_coerce(orders_t.c.due_at, _Raw),
            orders_t.c.hold_reason,
        )
        .where(*where(filt, after))
        .order_by(*order_by(filt))
        .limit(size)
    )


class _Raw(TypeDecorator[Any]):
    """A column read without result processing."""

    impl = String
    cache_ok = True


def as_day(value: Any) -> date | None:
    """A date from `page_ids`: SQLite's stored text or PostgreSQL's date."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def as_utc(value: Any) -> datetime:
    """A time from `page_ids`: SQLite's stored text (naive UTC) or PostgreSQL's datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    moment: datetime = value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
