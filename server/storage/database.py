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
from server.domain.desk import Claims, claims_of, mark_same_reference, reference_key
from server.domain.edits import Decide, OrderEdit, apply_edit, move_edit
from server.domain.errors import ErrorCode
from server.domain.filter import After, OrderFilter, due_key
from server.domain.lifecycle import MovePlan, MoveRefused, Status
from server.domain.principal import Principal
from server.domain.records import Idem, PriceInfo, variant_label
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

__all__ = [
    "DatabaseOrders",
    "PageRow",
    "claims",
    "insert_rows",
    "part_changes",
    "records_for_rows",
    "write_edit",
]

# Another store's claims on reference keys (the fallback's pending orders), asked with the keys.
MoreClaims = Callable[[set[str]], Claims]


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


def _payment_row(payment: Mapping[str, Any], order_id: str) -> dict[str, Any]:
    key = reference_key(payment.get("method"), payment.get("reference"))
    return {**PAYMENT.to_row(payment), "order_id": order_id, "reference_key": key}


def insert_rows(conn: Connection, record: Mapping[str, Any], token_hash: str | None = None) -> None:
    """Insert an order record's rows (order, items, payments, history) and its stored JSON with
    `conn` (caller commits);
    `token_hash`: the order token's hash (`domain/order_token.py`), never part of the record."""
    row = {**ORDER.to_row(record), "search_text": search_text(record), "order_token_hash": token_hash}
    conn.execute(_table(ORDER).insert(), row)
    for part in CHILDREN:
        if part is PAYMENT:
            rows = [_payment_row(p, record["id"]) for p in record["payments"]]
        else:
            rows = [{**part.to_row(r), "order_id": record["id"]} for r in record[part.key or ""]]
        if part is HISTORY:
            for seq, row in enumerate(rows, start=1):
                row["seq"] = seq
        if rows:
            conn.execute(_table(part).insert(), rows)
    refresh(conn, [record["id"], *_sharing(conn, record)])


def _sharing(conn: Connection, record: Mapping[str, Any]) -> list[str]:
    """The other orders whose stored JSON names this one in a `sameReference`, or may now: every
    order with a payment of one of this order's reference keys (rejected ones too, since a rejection
    takes a name off their lists). Their JSON is stored again with this write, so a list read
    later says what the index says."""
    keys = {reference_key(p.get("method"), p.get("reference")) for p in record.get("payments") or ()}
    keys.discard(None)
    if not keys:
        return []
    payments = _table(PAYMENT)
    query = select(payments.c.order_id).where(
        payments.c.reference_key.in_(sorted(k for k in keys if k)), payments.c.order_id != record["id"]
    )
    return sorted(set(conn.scalars(query)))


def claims(conn: Connection, keys: set[str]) -> dict[str, list[tuple[str, str]]]:
    """Per reference key, the orders whose non-rejected payments carry it: (id, number), one
    indexed lookup (`payment_submissions.reference_key`)."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    if not keys:
        return found
    payments = _table(PAYMENT)
    query = (
        select(payments.c.reference_key, orders_t.c.id, orders_t.c.order_number)
        .join(orders_t, orders_t.c.id == payments.c.order_id)
        .where(payments.c.reference_key.in_(sorted(keys)), payments.c.status != "REJECTED")
    )
    for key, order_id, number in conn.execute(query):
        found[key].append((order_id, number))
    return found


def _mark(conn: Connection, records: list[dict[str, Any]], more: MoreClaims | None) -> None:
    """Give every payment of `records` its `sameReference` (staff views; `audience` hides it)."""
    keys: set[str] = set()
    for record in records:
        keys |= claims_of(record)
    found = claims(conn, keys)
    if more is not None and keys:
        for key, others in more(keys).items():
            found[key] = [*found.get(key, []), *others]
    for record in records:
        mark_same_reference(record, found)


def records_for_rows(
    conn: Connection, rows: Sequence[Mapping[Any, Any]], more: MoreClaims | None = None
) -> list[dict[str, Any]]:
    """Full records (items, payments, history) for fetched order rows, in their order; each payment
    with its `sameReference` (from this database, and from `more`: the fallback's pending orders)."""
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
    _mark(conn, out, more)
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
        # The fallback's claims on reference keys, so an order here names a pending one too (the seam
        # sets it: this store does not know the files).
        self.more_claims: MoreClaims | None = None
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
            select(
                variants_t.c.base_price,
                variants_t.c.active,
                products_t.c.name,
                products_t.c.active,
                variants_t.c.attributes,
            )
            .join(products_t, products_t.c.id == variants_t.c.product_id)
            .where(variants_t.c.id == variant_id)
        ).first()
        if found is None or not found[1] or not found[3]:
            return PriceInfo("UNKNOWN_VARIANT")
        base_price, _, name, _, attributes = found
        label = variant_label(attributes)
        expected = (base_price * quantity).quantize(Decimal("0.01"))
        if expected != subtotal:
            return PriceInfo(
                "MISMATCH", expected=expected, product_name=name, unit_price=base_price, variant_label=label
            )
        return PriceInfo("OK", product_name=name, unit_price=base_price, variant_label=label)

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
        token_hash: str | None = None,
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
            insert_rows(conn, record, token_hash)
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
            found = records_for_rows(
                conn, conn.execute(select(orders_t).where(cond)).mappings().all(), self.more_claims
            )
        return found[0] if found else None

    def page(self, filt: OrderFilter, after: After | None, size: int) -> list[dict[str, Any]]:
        """In the filter's order, `size` orders after the cursor position `after`."""
        query = select(orders_t).where(*where(filt, after)).order_by(*order_by(filt)).limit(size)
        with self.db.read_conn() as conn:
            return records_for_rows(conn, conn.execute(query).mappings().all(), self.more_claims)

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

    def token_hash(self, order_id: str) -> str | None:
        """The stored hash of the order's token (None: no such order, or placed before tokens)."""
        with self.db.read_conn() as conn:
            found: str | None = conn.scalar(
                select(orders_t.c.order_token_hash).where(orders_t.c.id == order_id)
            )
        return found

    def claims(self, keys: set[str]) -> dict[str, list[tuple[str, str]]]:
        """`claims` (module function) in a read of its own."""
        with self.db.read_conn() as conn:
            return claims(conn, keys)

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
            found = records_for_rows(conn, conn.execute(query).mappings().all(), self.more_claims)
            if not found:
                return None, None
            record = found[0]
            before = record["status"]
            edit = decide(record)
            apply_edit(record, edit)
            write_edit(conn, record, before, edit)
            # What the edit changed of the payments (a rejection, new evidence) changes their lists.
            _mark(conn, [record], self.more_claims)
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
        conn.execute(payments.insert(), [_payment_row(p, order_id) for p in edit.new_payments])
    refresh(conn, [order_id, *_sharing(conn, record)])
