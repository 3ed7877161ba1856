"""Hooks the stores call on every order change: where the live stream (change log, NOTIFY, SSE) plugs in.

    in_transaction(conn, change)  LAST inside the database transaction of every create, move and
                                  replay import (`change.replayed`), before commit: a NOTIFY or an
                                  change-log row sent here commits or rolls back with the change
    in_group(conn, changes)       the same for the changes of one group commit (`storage/group.py`),
                                  in their order, last before its commit
    after_commit(change)          after that transaction committed (in-process fan-out, SQLite)
    after_fallback(change)        after a create or a move was written to a fallback file

The default hooks do nothing; `server.services.LiveHooks` is the one subclass the server wires.
"""

from __future__ import annotations

from sqlalchemy import Connection

from server.domain.changes import OrderChange

__all__ = ["OrderHooks"]


class OrderHooks:
    """No-op hooks; subclass and override. A hook that raises inside the transaction aborts the write."""

    def in_transaction(self, conn: Connection, change: OrderChange) -> None:
        """Called inside the write transaction (same connection) of every database create/move/import."""

    def in_group(self, conn: Connection, changes: list[OrderChange]) -> None:
        """Called last inside a group's transaction with its changes in order (default: each in turn)."""
        for change in changes:
            self.in_transaction(conn, change)

    def after_commit(self, change: OrderChange) -> None:
        """Called after the database transaction committed."""

    def after_fallback(self, change: OrderChange) -> None:
        """Called after a create or move was written to the fallback (the database was unavailable)."""
