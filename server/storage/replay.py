"""Replay of fallback orders into the database, once it answers again.

Idempotent by the order's uuid: an order already in the database is not inserted again, and a file
is moved to `imported/` only after its order is committed. What could not be checked while the
database was down is checked here and recorded, never a reason to leave an order out: the price
check is computed now; an unknown design upload is kept as a note in the order's history. An order
whose number was not reserved (the lease ran dry) claims it now, or is renumbered (history + log).
Run by `krafta fallback sync` and by the server's own background loop; several processes may
replay at once without harm.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from server.domain.lifecycle import Status
from server.domain.numbers import draw_number
from server.domain.records import Idem, apply_price, history_entry
from server.domain.shape import utcnow
from server.storage.files import META
from server.storage.models import orders_t
from server.storage.numbers import NumberLease, claim_number
from server.storage.seam import OrderStorage, attempt, unavailable

__all__ = ["ReplayLoop", "ReplayReport", "Replayer"]

log = logging.getLogger("krafta.replay")


@dataclass
class ReplayReport:
    imported: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    renumbered: dict[str, str] = field(default_factory=dict)  # old number → new number
    duplicates: list[str] = field(default_factory=list)  # same Idempotency-Key as an order already stored
    noted: list[str] = field(default_factory=list)  # imported with a note (unknown design upload)
    pending: int = 0
    database_down: bool = False


class Replayer:
    """Imports the fallback's orders through the seam's own stores (`OrderStorage`, shared with the
    order service): the database store's insert, with what only a replay does — the checks the
    outage skipped, and the number claimed or renumbered — in the same transaction."""

    def __init__(self, storage: OrderStorage, *, lease: NumberLease | None = None) -> None:
        self.storage = storage
        self.database = storage.database
        self.store = storage.files
        self.lease = lease
        self._lock = threading.Lock()

    def run(self) -> ReplayReport:
        report = ReplayReport()
        with self._lock:
            for order_id in self.store.pending_ids():
                answered, _ = attempt(lambda oid=order_id: self._import_one(oid, report))  # type: ignore[misc]
                if not answered:
                    report.database_down = True
                    break
            report.pending = self.store.count()
        if report.imported:
            log.info("replayed %d fallback order(s) into the database", len(report.imported))
        return report

    def _import_one(self, order_id: str, report: ReplayReport) -> None:
        # Under the store's lock, and from a fresh read of the file: a PUT that moved the order a
        # moment ago is imported with its move, and cannot land on an archived file.
        with self.store.lock():
            record = self.store.read(order_id)
            if record is not None:
                self._import(record, report)

    def _import(self, record: dict[str, Any], report: ReplayReport) -> None:
        meta = record.pop(META, None) or {}
        record.pop("storage", None)
        key = meta.get("idempotencyKey")
        idem = Idem(key, meta.get("requestHash") or "", meta.get("response") or {}) if key else None
        for _ in range(20):
            if self.database.present([record["id"]]):
                report.already.append(record["id"])
                break
            with self.database.db.read_conn() as conn:
                earlier = self.database.idempotent(conn, key) if key else None
                if earlier is not None and idem is not None and earlier.request_hash == idem.request_hash:
                    # The customer's retry during the outage of an order the database already had:
                    # the same order, not a second one. Its file is kept aside, never deleted.
                    log.warning(
                        "fallback order %s repeats %s (same Idempotency-Key); not imported twice",
                        record["id"],
                        earlier.response.get("orderNumber"),
                    )
                    report.duplicates.append(record["id"])
                    self.store.archive(record["id"], "duplicates")
                    self.store.remember_key(earlier)
                    return
                self._check_now(conn, record, report)
            try:
                # Same key with another body was a different order: imported, but the key stays
                # with the order that had it first.
                self.database.insert(
                    record,
                    idem if earlier is None else None,
                    prepare=lambda conn: self._claim_number(conn, record, meta, report),
                    replayed=True,
                    token_hash=meta.get("tokenHash"),
                )
                report.imported.append(record["id"])
                break
            except IntegrityError:
                continue  # another process imported it, or took the number: look again
        else:
            log.error("could not import fallback order %s; it stays in the fallback", record["id"])
            return
        self.store.mark_imported(record["id"])
        if idem is not None:
            self.store.remember_key(idem)

    def _claim_number(
        self, conn: Connection, record: dict[str, Any], meta: dict[str, Any], report: ReplayReport
    ) -> None:
        """In the import's transaction: a reserved number is ours; any other must be claimed now.
        Either way, a number an order in the database holds (a tampered or very old file) is never
        shared: the order is renumbered."""
        number = record["orderNumber"]
        held = conn.scalar(select(orders_t.c.id).where(orders_t.c.order_number == number))
        if held is not None or (not meta.get("numberReserved") and not claim_number(conn, number)):
            self._renumber(conn, record, meta, report)

    def _check_now(self, conn: Connection, record: dict[str, Any], report: ReplayReport) -> None:
        """What the database could not check during the outage: the price, the design upload."""
        item = record["items"][0]
        if record["priceCheck"] == "UNKNOWN_VARIANT":
            subtotal = Decimal(repr(record["subtotal"])).quantize(Decimal("0.01"))
            apply_price(record, self.database.price(conn, item["variantId"], item["quantity"], subtotal))
        for item in record["items"]:
            upload = item.get("designUploadId")
            if upload is not None and not self.database.upload_exists(conn, upload):
                item["designUploadId"] = None
                note = f"design upload {upload!r} was not found at import; the order was kept without it"
                record["history"].append(_note(record, note))
                log.warning("fallback order %s: %s", record["id"], note)
                report.noted.append(record["id"])

    def _renumber(
        self, conn: Connection, record: dict[str, Any], meta: dict[str, Any], report: ReplayReport
    ) -> None:
        old = record["orderNumber"]
        new = self.lease.take() if self.lease is not None else None
        while new is None:
            candidate = draw_number()
            if claim_number(conn, candidate):
                new = candidate
        record["orderNumber"] = new
        report.renumbered[old] = new
        note = f"renumbered from {old} to {new}: {old} was taken while the database was down"
        record["history"].append(_note(record, note))
        log.warning("fallback order %s %s", record["id"], note)
        if meta.get("response"):
            meta["response"]["orderNumber"] = new


def _note(record: dict[str, Any], note: str) -> dict[str, Any]:
    status = Status(record["status"])
    return history_entry(from_status=status, to_status=status, actor=None, note=note, at=utcnow())


class ReplayLoop:
    """The server's own replay: looks for fallback files every few seconds while it runs, and keeps
    the order number lease topped up while the database answers."""

    def __init__(
        self, replayer: Replayer, interval: float, *, migrate: Callable[[], None] | None = None
    ) -> None:
        self.replayer = replayer
        self.interval = interval
        # Set when the server started while the database was down: the schema is brought up to date
        # as soon as it answers, before anything is replayed into it.
        self._migrate = migrate
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="krafta-replay", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self._migrate is not None:
                try:
                    self._migrate()
                    self._migrate = None
                    log.info("database reachable again: schema is up to date")
                except Exception as error:
                    if not unavailable(error):
                        log.exception("migrations failed; will retry")
                    continue
            lease = self.replayer.lease
            try:
                if lease is not None and lease.low():
                    attempt(partial(lease.refill, wait=False))
                if self.replayer.store.count():
                    self.replayer.run()
            except Exception:
                log.exception("fallback replay failed; will retry")
