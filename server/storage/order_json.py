"""Orders serialised by the database itself: one JSON text per order, children included.

The full list and the pages of staff lists are the server's biggest answers; building each order's
JSON in SQL (SQLite `json_object`/`json_group_array`, PostgreSQL `json_build_object`/`json_agg`)
leaves Python one string per order instead of ~40 dict entries, datetime and Decimal conversions and
a JSON encoding (measured: the Python path was ~3/4 of the list's time). The SQL is generated from
the shape's declaration (`domain/shape.py`), so the JSON has exactly the fields and forms of the
Python path (`records_for_rows`) — a test compares the two on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    String,
    TextClause,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.types import Float, TypeDecorator

from server.domain.filter import After, OrderFilter
from server.domain.shape import BOOL, CHILDREN, JSON, MONEY, ORDER, TIME, Field, Part
from server.storage.models import Order, orders_t
from server.storage.queries import where

__all__ = ["as_utc", "json_by_ids", "order_json", "page_ids"]

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


def _children(part: Part, postgres: bool) -> ColumnElement[Any]:
    table = Order.metadata.tables[part.table]
    child = table.alias(f"c_{part.key}")
    obj = _object(_fields(part, child, postgres), postgres)
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


@cache
def json_by_ids(postgres: bool) -> TextClause:
    """`SELECT id, <order json> FROM orders WHERE id IN :ids`, compiled once per dialect.

    Built and compiled once: constructing this expression and computing its cache key on every
    request cost more than running it (measured on newest-50).
    """
    dialect = postgresql.dialect() if postgres else sqlite.dialect()  # type: ignore[no-untyped-call]
    query = select(orders_t.c.id, order_json(postgres).label("json"))
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    return text(sql + " WHERE orders.id IN :ids").bindparams(bindparam("ids", expanding=True))


def page_ids(filt: OrderFilter, after: After | None, size: int) -> Select[Any]:
    """(id, created_at, status, entered_status_at) of a page, newest first: the cheap half of a page
    of JSON.

    The times come back as the driver gives them (SQLite: text), not through `UTCDateTime`: its
    per-row processing was a fifth of the full list's time; `as_utc` reads either form.
    """
    return (
        select(
            orders_t.c.id,
            type_coerce(orders_t.c.created_at, _Raw),
            orders_t.c.status,
            type_coerce(orders_t.c.entered_status_at, _Raw),
        )
        .where(*where(filt, after))
        .order_by(orders_t.c.created_at.desc(), orders_t.c.id.desc())
        .limit(size)
    )


class _Raw(TypeDecorator[Any]):
    """A column read without result processing."""

    impl = String
    cache_ok = True


def as_utc(value: Any) -> datetime:
    """A time from `page_ids`: SQLite's stored text (naive UTC) or PostgreSQL's datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    moment: datetime = value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
