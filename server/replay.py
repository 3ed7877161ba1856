"""Replay of fallback orders into the database, once it answers again.

Idempotent by the order's uuid: an order already in the database is not inserted again, and a file
is moved to `imported/` only after its order is committed. Run by `krafta fallback sync` and by
the server's own background loop; several processes may replay at once without harm.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.db import Database, is_unavailable
from server.fallback import META, FallbackStore
from server.live import LiveEvents
from server.live_log import CREATED
from server.models import IdempotencyKey, Order
from server.records import event, insert_record, new_order_number

__all__ = ["ReplayLoop", "ReplayReport", "Replayer"]

log = logging.getLogger("krafta.replay")


@dataclass
class ReplayReport:
    imported: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    renumbered: dict[str, str] = field(default_factory=dict)  # old number → new number
    duplicates: list[str] = field(default_factory=list)  # same Idempotency-Key as an order already stored
    pending: int = 0
    database_down: bool = False


class Replayer:
    def __init__(self, db: Database, store: FallbackStore, *, live: LiveEvents | None = None) -> None:
        self.db = db
        self.store = store
        self.live = live
        self._lock = threading.Lock()

    def run(self) -> ReplayReport:
        report = ReplayReport()
        with self._lock:
            for queued in self.store.pending():
                try:
                    # Under the store's lock, and from a fresh read of the file: a PUT that moved the
                    # order a moment ago is imported with its move, and cannot land on an archived file.
                    with self.store.lock():
                        record = self.store.read(queued["id"])
                        if record is not None:
                            self._import(record, report)
                except Exception as error:
                    if not is_unavailable(error):
                        raise
                    report.database_down = True
                    break
            report.pending = self.store.count()
        if report.imported:
            log.info("replayed %d fallback order(s) into the database", len(report.imported))
        return report

    def _import(self, record: dict[str, Any], report: ReplayReport) -> None:
        meta = record.pop(META, {}) or {}
        record.pop("storage", None)
        key = meta.get("idempotencyKey")
        for _ in range(20):
            with self.db.session() as session:
                if session.get(Order, record["id"]) is not None:
                    report.already.append(record["id"])
                    break
                earlier = session.get(IdempotencyKey, key) if key else None
                if earlier is not None and earlier.request_hash == meta.get("requestHash"):
                    # The customer's retry during the outage of an order the database already had:
                    # the same order, not a second one. Its file is kept aside, never deleted.
                    log.warning(
                        "fallback order %s repeats %s (same Idempotency-Key); not imported twice",
                        record["id"],
                        earlier.response_json.get("orderNumber"),
                    )
                    report.duplicates.append(record["id"])
                    self.store.archive(record["id"], "duplicates")
                    return
                taken = session.scalar(select(Order.id).where(Order.order_number == record["orderNumber"]))
            if taken is not None:
                old, new = record["orderNumber"], new_order_number()
                record["orderNumber"] = new
                report.renumbered[old] = new
                record["history"].append(
                    event(
                        from_status=record["status"],
                        to_status=record["status"],
                        actor=None,
                        note=f"renumbered from {old} to {new}: {old} was taken while the database was down",
                    )
                )
                if meta.get("response"):
                    meta["response"]["orderNumber"] = new
                continue
            try:
                with self.db.write() as session:
                    insert_record(session, record)
                    # Same key with another body was a different order: imported, but the key stays
                    # with the order that had it first.
                    if key and earlier is None:
                        session.add(
                            IdempotencyKey(
                                key=key,
                                request_hash=meta["requestHash"],
                                status_code=201,
                                response_json=meta["response"],
                            )
                        )
                    if self.live is not None:
                        order = {**record, "storage": "database"}
                        self.live.record(session, kind=CREATED, order=order, from_status=None, replayed=True)
                report.imported.append(record["id"])
                break
            except IntegrityError:
                continue  # another process imported it, or took the number: look again
        else:
            log.error("could not import fallback order %s; it stays in the fallback", record["id"])
            return
        self.store.mark_imported(record["id"])


class ReplayLoop:
    """The server's own replay: looks for fallback files every few seconds while it runs."""

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
                    if not is_unavailable(error):
                        log.exception("migrations failed; will retry")
                    continue
            if self.replayer.store.count() == 0:
                continue
            try:
                self.replayer.run()
            except Exception:
                log.exception("fallback replay failed; will retry")
