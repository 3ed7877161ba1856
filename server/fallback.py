"""The JSON-file fallback: one file per order while the database is unavailable.

Files are named by the order's server-made uuid (never by anything a client sent), written
atomically (temporary file, flush + fsync, rename, fsync of the directory), and moved to
`imported/` only after their order is committed to the database by the replay in `replay.py`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["FallbackStore", "canonical_uuid", "served"]

log = logging.getLogger("krafta.fallback")

META = "_krafta"  # bookkeeping kept in the file, never sent to clients


def served(order: dict[str, Any], storage: str) -> dict[str, Any]:
    """An order as clients get it: the file's bookkeeping left out, `storage` saying where it lives."""
    clean = {k: v for k, v in order.items() if k != META}
    clean["storage"] = storage
    return clean


def canonical_uuid(value: str) -> str | None:
    """The canonical form of a uuid string, or None: the only thing ever turned into a file name."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return None


class FallbackStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.imported = directory / "imported"
        self._thread_lock = threading.Lock()

    def _path(self, order_id: str) -> Path | None:
        canonical = canonical_uuid(order_id)
        return None if canonical is None else self.directory / f"{canonical}.json"

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise read-modify-write of files across threads and across server processes."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._thread_lock, open(self.directory / ".lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def write(self, order: dict[str, Any]) -> Path:
        path = self._path(order["id"])
        if path is None:
            raise ValueError("fallback orders are named by a server-made uuid")
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        data = json.dumps(order, ensure_ascii=False, indent=1).encode()
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(self.directory)
        return path

    def read(self, order_id: str) -> dict[str, Any] | None:
        path = self._path(order_id)
        if path is None:
            return None
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            return None

    def pending(self) -> list[dict[str, Any]]:
        """Every order waiting for the database, oldest first."""
        if not self.directory.is_dir():
            return []
        orders = []
        for path in self.directory.glob("*.json"):
            try:
                order = json.loads(path.read_text())
            except FileNotFoundError:
                continue  # moved to imported/ meanwhile
            except (json.JSONDecodeError, UnicodeDecodeError):
                order = None
            if not _looks_like_order(order, path):
                # Not written by us (atomic writes are never half-written): set aside, never deleted,
                # so one stray file cannot break the list or stall the replay.
                self._set_aside(path)
                continue
            orders.append(order)
        orders.sort(key=lambda o: (o["createdAt"], o["id"]))
        return orders

    def _set_aside(self, path: Path) -> None:
        invalid = self.directory / "invalid"
        invalid.mkdir(parents=True, exist_ok=True)
        log.warning("fallback file %s is not an order; moved to %s", path.name, invalid)
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, invalid / path.name)

    def archive(self, order_id: str, folder: str) -> None:
        """Move an order's file into a sub-folder (`imported`, `duplicates`), keeping it."""
        path = self._path(order_id)
        if path is None:
            return
        (self.directory / folder).mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, self.directory / folder / path.name)
        except FileNotFoundError:
            return  # another server process archived it first
        _fsync_dir(self.directory)

    def count(self) -> int:
        return sum(1 for _ in self.directory.glob("*.json")) if self.directory.is_dir() else 0

    def update(
        self, order_id: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None:
        """Apply `change` to a stored order and rewrite it atomically; None when there is no such file."""
        with self.lock():
            order = self.read(order_id)
            if order is None:
                return None
            updated = change(order)
            self.write(updated)
            return updated

    def mark_imported(self, order_id: str) -> None:
        self.archive(order_id, "imported")

    def find_idempotent(self, key: str) -> dict[str, Any] | None:
        for order in self.pending():
            if order.get(META, {}).get("idempotencyKey") == key:
                return order
        return None


_REQUIRED = ("id", "orderNumber", "status", "createdAt", "updatedAt", "items", "payments", "history")


def _looks_like_order(order: Any, path: Path) -> bool:
    return (
        isinstance(order, dict)
        and all(key in order for key in _REQUIRED)
        and canonical_uuid(str(order["id"])) == path.stem
        and isinstance(order["createdAt"], str)
    )


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
