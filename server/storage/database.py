"""The database side of the order storage seam: insert, get, page, change — SQLAlchemy Core.

One transaction per write on one Core connection (no ORM unit of work, no session per request);
reads turn Core rows into records through the shape's declaration (`domain/shape.py`). The hooks of
`storage/hooks.py` are called inside every write transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Connection, func, select, update

from server.domain.changes import ChangeKind, OrderChange
from server.domain.edits import Decide, OrderEdit, apply_edit, move_edit
from server.domain.errors import ErrorCode
from server.domain.filter import After, OrderFilter, due_key
from server.domain.lifecycle import MovePlan, MoveRefused, Status
from server.domain.principal import Principal
from server.domain.records import Idem, PriceInfo
from server.domain.search import search_text
from server.domain.shape import CHILDREN, HISTORY, ORDER, PAYMENT, Part
from server.storage.db import Database
from server.storage.group import GroupWriter, Write
from server.storage.hooks import OrderHooks
from server.storage.models import (
    Order,
    idem_t,
    orders_t,
    products_t,
    uploads_t,
    variants_t,
)
from server.storage.order_json import as_day, as_utc, ids_param, json_by_ids, page_ids, refresh
from server.storage.queries import order_by, where

__all__ = ["DatabaseOrders", "PageRow", "insert_rows", "part_changes", "records_for_rows", "write_edit"]


@dataclass(frozen=True, slots=True)
class PageRow:
    """One order of a page of JSON: its sort key, what staff are shown besides the JSON (its status,
    when it entered it, its promised day, whether it is held), and the JSON the database built."""

    key: After
    status: str
    entered: datetime
    due: date | None
    held: bool
    json: str


T = TypeVar("T")


def _table(part: Part) -> Any:
    return Order.metadata.tables[part.table]


def insert_rows(conn: Connection, record: Mapping[str, Any]) -> None:
    """Insert an order record's rows (order, items, payments, history) and its stored JSON with
    `conn` (caller commits)."""
    conn.execute(_table(ORDER).insert(), {**ORDER.to_row(record), "search_text": search_text(record)})
    for part in CHILDREN:
        rows = [{**part.to_row(r), "order_id": record["id"]} for r in record[part.key or ""]]
        if part is HISTORY:
            for seq, row in enumerate(rows, start=1):
                row["seq"] = seq
        if rows:
            conn.execute(_table(part).insert(), rows)
    refresh(conn, [record["id"]])


def records_for_rows(conn: Connection, rows: Sequence[Mapping[Any, Any]]) -> list[dict[str, Any]]:
    """Full records (items, payments, history) for fetched order rows, in their order."""
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    children: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for part in CHILDREN:
        table = _table(part)
        order_by = (
            table.c.seq if part is HISTORY else table.c.reported_at if part.key == "payments" else table.c.id
        )
        query = select(table).where(table.c.order_id.in_(ids)).order_by(table.c.order_id, order_by)
        for r in conn.execute(query).mappings():
            children[r["order_id"]][part.key or ""].append(part.from_row(r))
    out = []
    for row in rows:
        record = ORDER.from_row(row)
        kids = children.get(row["id"], {})
        for part in CHILDREN:
            record[part.key or ""] = kids.get(part.key or "", [])
        record["storage"] = "database"
        out.append(record)
    return out


def part_changes(part: Part, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Column values for the fields of `part` that `fields` names (wire names, groups as objects)."""
    values: dict[str, Any] = {}
    for f in part.fields:
        if f.group and f.group in fields:
            value = (fields[f.group] or {}).get(f.wire)
        elif not f.group and f.wire in fields:
            value = fields[f.wire]
        else:
            continue
        values[f.column] = f.kind.to_column(value) if f.kind.to_column and value is not None else value
    return values


class DatabaseOrders:
    name = "database"

    def __init__(
        self, db: Database, hooks: OrderHooks, *, down: Callable[[BaseException], bool] | None = None
    ) -> None:
        self.db = db
        self.hooks = hooks
        # Creates, moves and replay imports are committed in groups (`storage/group.py`) on SQLite,
        # where order writes are serialised in the process anyway: measured (bench/, quick runs at
        # load 10-14), POST create went from 0.51-0.57x the reference to 0.93-1.03x, p99 from
        # 1.1-1.2 s to 0.23-0.31 s. Not on PostgreSQL: writers there run in parallel on their own
        # connections until the change-log lock, and one writer doing every order's round trips in
        # turn was slower (0.19x against 0.74x); it would need the group's statements pipelined or
        # multi-row first. `down` is the seam's test for "the database is unavailable".
        self.writer = GroupWriter(db, hooks, down=down)
        self.grouped = db.is_sqlite

    def _write(self, write: Write[T]) -> tuple[T, OrderChange | None]:
        """`write` committed: in a group, or alone in its own transaction."""
        if self.grouped:
            return self.writer.run(write)
        with self.db.order_write() as conn:
            answer, change = write(conn)
            if change is not None:
                self.hooks.in_transaction(conn, change)
        return answer, change

    # ---- checks a create makes before it writes ----------------------------------------------------

    def idempotent(self, conn: Connection, key: str) -> Idem | None:
        row = conn.execute(
            select(idem_t.c.request_hash, idem_t.c.response_json).where(idem_t.c.key == key)
        ).first()
        return None if row is None else Idem(key, row[0], row[1])

    def price(self, conn: Connection, variant_id: str, quantity: int, subtotal: Decimal) -> PriceInfo:
        found = conn.execute(
            select(variants_t.c.base_price, variants_t.c.active, products_t.c.name, products_t.c.active)
            .join(products_t, products_t.c.id == variants_t.c.product_id)
            .where(variants_t.c.id == variant_id)
        ).first()
        if found is None or not found[1] or not found[3]:
            return PriceInfo("UNKNOWN_VARIANT")
        base_price, _, name, _ = found
        expected = (base_price * quantity).quantize(Decimal("0.01"))
        if expected != subtotal:
            return PriceInfo("MISMATCH", expected=expected, product_name=name, unit_price=base_price)
        return PriceInfo("OK", product_name=name, unit_price=base_price)

    def upload_exists(self, conn: Connection, upload_id: str) -> bool:
        return conn.scalar(select(uploads_t.c.id).where(uploads_t.c.id == upload_id)) is not None

    # ---- the seam's operations ---------------------------------------------------------------------

    def insert(
        self,
        record: dict[str, Any],
        idem: Idem | None,
        *,
        kind: ChangeKind = "order.created",
        prepare: Callable[[Connection], Any] | None = None,
        replayed: bool = False,
    ) -> Any:
        """The order and its Idempotency-Key in one transaction, its group's (`storage/group.py`);
        IntegrityError when either is taken.

        `prepare(conn)` runs first in the same transaction: it may complete the record (the price
        check, a number claimed at replay) or return an answer instead (the first response to a key),
        and then nothing is written. `replayed`: the import of an order the fallback took
        (`storage/replay.py`), announced to the hooks as such.
        """

        def write(conn: Connection) -> tuple[Any, OrderChange | None]:
            if prepare is not None and (answer := prepare(conn)) is not None:
                return answer, None
            insert_rows(conn, record)
            if idem is not None:
                self._insert_key(conn, idem, record)
            return None, OrderChange.of(kind, record, None, replayed=replayed)

        answer, change = self._write(write)
        if change is not None:
            self.hooks.after_commit(change)
        return answer

    def _insert_key(self, conn: Connection, idem: Idem, record: Mapping[str, Any]) -> None:
        conn.execute(
            idem_t.insert().values(
                key=idem.key,
                request_hash=idem.request_hash,
                status_code=201,
                response_json=idem.response,
                created_at=datetime.fromisoformat(record["createdAt"]),
            )
        )

    def get(self, *, order_id: str | None = None, number: str | None = None) -> dict[str, Any] | None:
        cond = orders_t.c.id == order_id if order_id else orders_t.c.order_number == number
        with self.db.read_conn() as conn:
            found = records_for_rows(conn, conn.execute(select(orders_t).where(cond)).mappings().all())
        return found[0] if found else None

    def page(self, filt: OrderFilter, after: After | None, size: int) -> list[dict[str, Any]]:
        """In the filter's order, `size` orders after the cursor position `after`."""
        query = select(orders_t).where(*where(filt, after)).order_by(*order_by(filt)).limit(size)
        with self.db.read_conn() as conn:
            return records_for_rows(conn, conn.execute(query).mappings().all())

    def page_json(self, filt: OrderFilter, after: After | None, size: int) -> list[PageRow]:
        """Like `page`, each order as JSON text built by the database."""
        with self.db.read_conn() as conn:
            rows = conn.execute(page_ids(filt, after, size)).all()
            if not rows:
                return []
            ids = [r[0] for r in rows]
            postgres = not self.db.is_sqlite
            texts: dict[str, str] = dict(conn.execute(json_by_ids(postgres), ids_param(ids, postgres)).all())
        out = []
        for order_id, created, status, entered, priority, due, hold in rows:
            day = as_day(due)
            key: After = (as_utc(created), order_id)
            if filt.sort == "due":
                key = due_key(priority, day, key[0], order_id)
            out.append(PageRow(key, status, as_utc(entered), day, hold is not None, texts[order_id]))
        return out

    def holds_ending(self, today: date) -> list[str]:
        """Ids of the held orders whose hold ends `today` or earlier."""
        query = select(orders_t.c.id).where(
            orders_t.c.hold_until.is_not(None), orders_t.c.hold_until <= today
        )
        with self.db.read_conn() as conn:
            return list(conn.scalars(query))

    def present(self, ids: Sequence[str]) -> set[str]:
        """Which of these order ids the database holds (a replay may have just committed them)."""
        if not ids:
            return set()
        with self.db.read_conn() as conn:
            return set(conn.scalars(select(orders_t.c.id).where(orders_t.c.id.in_(list(ids)))))

    def change(self, order_id: str, decide: Decide, actor_id: str | None) -> dict[str, Any] | None:
        """Apply the edit `decide(current record)` returns (`domain/edits.py`) in one transaction; the
        order as it left it, or None when the database does not hold it.

        The record `decide` reads is the one this transaction writes over: its row is locked until
        the commit on PostgreSQL (SQLite serialises writers already), and the UPDATE is guarded by
        the status read besides, so a change made around the lock is a conflict, never lost.
        """

        def write(conn: Connection) -> tuple[dict[str, Any] | None, OrderChange | None]:
            query = select(orders_t).where(orders_t.c.id == order_id)
            if not self.db.is_sqlite:
                query = query.with_for_update()
            found = records_for_rows(conn, conn.execute(query).mappings().all())
            if not found:
                return None, None
            record = found[0]
            before = record["status"]
            edit = decide(record)
            apply_edit(record, edit)
            write_edit(conn, record, before, edit)
            return record, OrderChange.of(edit.kind, record, before, actor_id=actor_id)

        record, change = self._write(write)
        if change is not None:
            self.hooks.after_commit(change)
        return record

    def apply_move(
        self, order_id: str, decide: Callable[[str], MovePlan], actor: Principal, at: datetime
    ) -> dict[str, Any] | None:
        """A move: the plan `decide(current status)` returns, as an edit."""
        return self.change(
            order_id, lambda record: move_edit(decide(record["status"]), actor, at, record), actor.id
        )


def write_edit(conn: Connection, record: Mapping[str, Any], before: str, edit: OrderEdit) -> None:
    """The statements of one edit, generated from the declaration: the order's columns in one UPDATE
    guarded by the status read (its storage-only columns recomputed from the edited `record`),
    history rows at the next positions, payments set by id, new payments inserted; then the order's
    stored JSON."""
    order_id = record["id"]
    values = {**part_changes(ORDER, edit.fields), "search_text": search_text(record)}
    result = conn.execute(
        update(orders_t).where(orders_t.c.id == order_id, orders_t.c.status == before).values(**values)
    )
    if result.rowcount != 1:
        now = conn.scalar(select(orders_t.c.status).where(orders_t.c.id == order_id)) or before
        raise MoveRefused(
            f"order was moved to {now} by someone else", code=ErrorCode.CONFLICT, current=Status(now)
        )
    if edit.entries:
        history = _table(HISTORY)
        seq = conn.scalar(
            select(func.coalesce(func.max(history.c.seq), 0)).where(history.c.order_id == order_id)
        )
        conn.execute(
            history.insert(),
            [
                {**HISTORY.to_row(entry), "order_id": order_id, "seq": (seq or 0) + n}
                for n, entry in enumerate(edit.entries, start=1)
            ],
        )
    payments = _table(PAYMENT)
    for payment_id, fields in edit.payments.items():
        conn.execute(
            update(payments)
            .where(payments.c.id == payment_id, payments.c.order_id == order_id)
            .values(**part_changes(PAYMENT, fields))
        )
    if edit.new_payments:
        conn.execute(
            payments.insert(), [{**PAYMENT.to_row(p), "order_id": order_id} for p in edit.new_payments]
        )
    refresh(conn, [order_id])
