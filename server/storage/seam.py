"""The order storage seam: the database and the fallback files offer the same operations, and this
is the one place that decides "database unavailable → files" for every one of them.

    insert(record, …)                         a new order
    get(order_id=… | number=…)                one order's record, or None
    change(order_id, decide, actor_id)        apply the edit `decide(current record)` returns
                                              (`domain/edits.py`); `apply_move` is a move's

`attempt` is the error translation (in the spirit of httpx's `map_exceptions`): an operation on the
database either answers, or reports that the database is unavailable — never both, never a
stray driver error; `unavailable` is the one test behind it. `OrderStorage` holds the two stores
(the order service and the replay share one) and runs every order operation:

    database_or_files   a write: on the database, or on the files when it is unavailable (create)
    find                one order: database, files, and one more look (get, advance)
    listing             a list's share of each store: a database page and the pending files'
                        orders the database does not hold yet (pages and the streamed whole)

`find` adds the one "look again" step: an order in neither store while the database answers may
have been committed by a replay and archived between the two looks.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from server.domain.filter import After, OrderFilter
from server.storage.database import DatabaseOrders
from server.storage.db import Database, is_unavailable
from server.storage.files import FallbackStore

__all__ = ["Listing", "OrderStorage", "Store", "attempt", "unavailable"]

log = logging.getLogger("krafta.storage")

T = TypeVar("T")


class Store(Protocol):
    name: str

    def get(self, *, order_id: str | None = None, number: str | None = None) -> dict[str, Any] | None: ...

    def change(self, order_id: str, decide: Any, actor_id: str | None) -> dict[str, Any] | None: ...

    def token_hash(self, order_id: str) -> str | None: ...

    def apply_move(self, order_id: str, decide: Any, actor: Any, at: Any) -> dict[str, Any] | None: ...


def unavailable(error: BaseException) -> bool:
    """Is `error` the database being down: unreachable, gone mid-query, not taking writes?

    The one test behind every "database down" decision, whether the caller then falls back (orders,
    sessions), answers 503 (accounts, the catalog), or waits and retries (the replay, the live feed).
    """
    if is_unavailable(error):
        return True
    # The live feed's LISTEN connection is plain psycopg: its errors reach us without SQLAlchemy's
    # wrapper. psycopg is imported only where PostgreSQL is used; if it is not loaded, it did not fail.
    psycopg: Any = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)


def attempt(operation: Callable[[], T], *, instead: str | None = "the fallback") -> tuple[bool, T | None]:
    """(True, result) when the database answered; (False, None) when it is unavailable.

    `instead` names what the caller uses then, for the log line (None: the caller says it itself).
    """
    try:
        return True, operation()
    except Exception as error:
        if not unavailable(error):
            raise
        if instead is not None:
            log.warning("database unavailable (%s); using %s", type(error).__name__, instead)
        return False, None


@dataclass
class Listing(Generic[T]):
    """Each store's share of one list: what the database read (empty when it is down), and the
    pending orders of the files, read just before (an order the replay committed in between is
    in both)."""

    database: list[T]
    files: list[dict[str, Any]]
    answered: bool


class OrderStorage:
    def __init__(self, db: Database, files: FallbackStore) -> None:
        # The stores' changes go to the same hooks, wherever an order lands.
        self.database = DatabaseOrders(db, files.hooks, down=unavailable)
        self.files = files
        # Was the database unavailable a moment ago (so other servers may still hold orders in their
        # fallback)? Told by the live feed, which watches the database all the time (`Services`).
        self.recent_outage: Callable[[], bool] = lambda: False
        # `sameReference` spans both stores: each asks the other who else claims a reference (the
        # database only when it answers; the fallback's index always).
        self.database.more_claims = files.claims
        files.more_claims = self._database_claims

    def _database_claims(self, keys: set[str]) -> dict[str, list[tuple[str, str]]]:
        _, found = attempt(lambda: self.database.claims(keys), instead=None)
        return found or {}

    def database_or_files(
        self, on_database: Callable[[DatabaseOrders], T], on_files: Callable[[FallbackStore], T]
    ) -> tuple[T, bool]:
        """The operation's result, and whether the database answered it."""
        answered, result = attempt(lambda: on_database(self.database))
        if answered:
            return result, True  # type: ignore[return-value]
        return on_files(self.files), False

    def find(self, operation: Callable[[Store], T | None]) -> tuple[T | None, bool]:
        """`operation` on the database, then on the files, then once more on the database."""
        answered, found = attempt(lambda: operation(self.database))
        if found is not None:
            return found, True
        found = operation(self.files)
        if found is not None or not answered:
            return found, answered
        # The replay may have committed the order and archived its file between our two looks.
        answered, found = attempt(lambda: operation(self.database))
        return found, answered

    def listing(
        self,
        filt: OrderFilter,
        after: After | None,
        size: int | None,
        read: Callable[[DatabaseOrders], list[T]],
    ) -> Listing[T]:
        """A list's share of each store, after the keyset position `after`: `read(database)` (which
        knows how its caller wants the page), and up to `size` matching fallback orders (all with
        None), read from their files once.

        The files are read first: the replay commits an order before it archives the file, so an
        order it moves meanwhile is in the files' share, the database's, or both — read the other
        way round it could be in neither (a list right after an outage came back one short). An
        order in both shares is listed once by the caller (`orders/lists.py`, by id).
        """
        pending = self.files.load(self.files.matching(filt, after)[:size], filt)
        answered, rows = attempt(lambda: read(self.database))
        return Listing(rows or [], pending, answered)
