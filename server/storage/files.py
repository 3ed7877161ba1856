"""The fallback side of the order storage seam: one JSON file per order while the database is down.

Files are named by the order's server-made uuid (never by anything a client sent), written
atomically (temporary file 0600, flush + fsync, rename, fsync of the directory) in a 0700 directory,
and moved to `imported/` only after their order is committed to the database by `storage/replay.py`.
Every file read is checked against the order's shape: one that is not an order (a wrong status, a
missing field, a symlink, not JSON) is set aside in `invalid/` with a log line — never served,
never imported.

The store keeps an index of its pending orders in memory (id, number, Idempotency-Key and the
filter fields), updated on every write and replay and rebuilt from the directory at start, so a
create never rescans files. Other processes (another server, `krafta fallback sync`) may add or
archive files: a change of the directory's mtime makes the index list the directory again and read
only the files it does not know.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import stat
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson

from server.domain.changes import OrderChange
from server.domain.desk import Claims, claims_of, mark_same_reference
from server.domain.edits import Decide, apply_edit, move_edit
from server.domain.errors import Unavailable
from server.domain.filter import After, OrderFilter, due_key
from server.domain.lifecycle import MovePlan
from server.domain.principal import Principal
from server.domain.records import Idem, upgrade
from server.domain.search import search_text
from server.domain.shape import problems
from server.storage.hooks import OrderHooks

__all__ = ["META", "FallbackStore", "canonical_uuid", "served"]

log = logging.getLogger("krafta.fallback")

META = "_krafta"  # bookkeeping kept in the file, never sent to clients
RECENT_KEYS = 20_000  # Idempotency-Keys of orders stored lately, for retries during an outage


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


@dataclass
class Entry:
    """A pending order as the index knows it: enough to filter, sort and find it without the file."""

    id: str
    number: str
    status: str
    created: After
    updated_at: str
    user_id: str | None
    text: str
    key: str | None
    request_hash: str | None
    response: dict[str, Any] | None
    entered: datetime  # its `enteredStatusAt` (for the `stuck` filter)
    # Planning: for the `late`, `held` and `priority` filters, `sort=due`, and holds that end.
    priority: str = "normal"
    due: date | None = None
    hold_until: date | None = None
    held: bool = False
    claims: frozenset[str] = (
        frozenset()
    )  # its payments' reference keys (`desk.claims_of`), for `sameReference`

    @classmethod
    def of(cls, record: dict[str, Any]) -> Entry:
        meta = record.get(META) or {}
        return cls(
            id=record["id"],
            number=record["orderNumber"],
            status=record["status"],
            created=(datetime.fromisoformat(record["createdAt"]), record["id"]),
            updated_at=record["updatedAt"],
            user_id=record["userId"],
            text=search_text(record),
            key=meta.get("idempotencyKey"),
            request_hash=meta.get("requestHash"),
            response=meta.get("response"),
            entered=datetime.fromisoformat(record["enteredStatusAt"]),
            priority=record.get("priority") or "normal",
            due=_day(record.get("dueAt")),
            hold_until=_day((record.get("hold") or {}).get("until")),
            held=bool(record.get("hold")),
            claims=frozenset(claims_of(record)),
        )

    def position(self, filt: OrderFilter) -> After:
        if filt.sort == "due":
            return due_key(self.priority, self.due, *self.created)
        return self.created

    def matches(self, filt: OrderFilter, after: After | None, reused: bool = False) -> bool:
        return filt.matches(
            status=self.status,
            updated_at=self.updated_at,
            user_id=self.user_id,
            text=self.text,
            key=self.position(filt),
            after=after,
            entered=self.entered,
            due=self.due,
            held=self.held,
            priority=self.priority,
            reused=reused,
        )


def _day(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


class FallbackStore:
    name = "fallback"

    def __init__(self, directory: Path, hooks: OrderHooks | None = None) -> None:
        self.directory = directory
        self.imported = directory / "imported"
        self.hooks = hooks or OrderHooks()
        self._thread_lock = threading.Lock()
        self._index_lock = threading.RLock()
        self._index: dict[str, Entry] = {}
        self._by_key: dict[str, str] = {}
        self._recent: OrderedDict[str, Idem] = OrderedDict()
        self._seen_mtime: int | None = None
        self.files_read = 0  # how many order files this store has read (tests compare it)
        # The database's claims on reference keys when it answers (the seam sets it: this store does
        # not know the database), so a pending order names the stored ones that share its reference.
        self.more_claims: Callable[[set[str]], Claims] | None = None

    # ---- files -------------------------------------------------------------------------------------

    def _path(self, order_id: str) -> Path | None:
        canonical = canonical_uuid(order_id)
        return None if canonical is None else self.directory / f"{canonical}.json"

    def _ensure_dir(self, directory: Path | None = None) -> None:
        directory = directory or self.directory
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            if stat.S_IMODE(directory.stat().st_mode) != 0o700:
                directory.chmod(0o700)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise read-modify-write of files across threads and across server processes."""
        self._ensure_dir()
        with self._thread_lock:
            fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the flock

    def write(self, order: dict[str, Any]) -> Path:
        """Write an order's file atomically (a full disk is a 503, leaving no temporary file)."""
        path = self._path(order["id"])
        if path is None:
            raise ValueError("fallback orders are named by a server-made uuid")
        data = orjson.dumps(order, option=orjson.OPT_INDENT_2)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self._ensure_dir()
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            try:
                unwritten = memoryview(data)
                while unwritten:
                    unwritten = unwritten[os.write(fd, unwritten) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            _fsync_dir(self.directory)
        except OSError as error:
            with contextlib.suppress(OSError):
                tmp.unlink()
            log.error("could not write fallback file %s: %s", path.name, os.strerror(error.errno or 0))
            if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO, errno.EACCES):
                raise Unavailable(
                    "The database is unavailable and the order could not be kept for later; "
                    "try again shortly."
                ) from None
            raise
        with self._index_lock:
            self._add(order)
        return path

    def _load(self, path: Path) -> dict[str, Any] | None:
        """A file's order, checked against the shape; a file that is not one is set aside (None)."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None  # moved to imported/ meanwhile
        except OSError as error:
            if error.errno == errno.ELOOP:
                self._set_aside(path, "a symlink")
            return None
        try:
            with os.fdopen(fd, "rb") as fh:
                raw = fh.read()
        except OSError:
            return None
        self.files_read += 1
        try:
            # A file of an earlier version is completed (in memory) before it is judged: it is an
            # order the server took, to be served and replayed like any other.
            order = upgrade(orjson.loads(raw))
        except orjson.JSONDecodeError:
            self._set_aside(path, "not JSON")
            return None
        found = problems(order, expected_id=path.stem)
        meta = order.get(META) if isinstance(order, dict) else None
        if meta is not None and not isinstance(meta, dict):
            found.append("its bookkeeping is not an object")
        if found:
            self._set_aside(path, "; ".join(found[:3]))
            return None
        return order if isinstance(order, dict) else None

    def _set_aside(self, path: Path, why: str) -> None:
        invalid = self.directory / "invalid"
        self._ensure_dir(invalid)
        log.warning("fallback file %s is not an order (%s); moved to %s", path.name, why, invalid)
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, invalid / path.name)
        with self._index_lock:
            self._drop(path.stem)

    def read(self, order_id: str) -> dict[str, Any] | None:
        """A pending order's record with its bookkeeping, or None (no such file, or not an order)."""
        path = self._path(order_id)
        return None if path is None else self._load(path)

    def archive(self, order_id: str, folder: str) -> None:
        """Move an order's file into a sub-folder (`imported`, `duplicates`), keeping it."""
        path = self._path(order_id)
        if path is None:
            return
        self._ensure_dir(self.directory / folder)
        try:
            os.replace(path, self.directory / folder / path.name)
        except FileNotFoundError:
            pass  # another server process archived it first
        else:
            _fsync_dir(self.directory)
        with self._index_lock:
            self._drop(path.stem)

    def mark_imported(self, order_id: str) -> None:
        self.archive(order_id, "imported")

    # ---- the index ---------------------------------------------------------------------------------

    def _add(self, record: dict[str, Any]) -> None:
        old = self._index.get(record["id"])
        if old is not None and old.key:
            self._by_key.pop(old.key, None)
        entry = Entry.of(record)
        self._index[entry.id] = entry
        if entry.key:
            self._by_key[entry.key] = entry.id

    def _drop(self, order_id: str) -> None:
        entry = self._index.pop(order_id, None)
        if entry is not None and entry.key:
            self._by_key.pop(entry.key, None)

    def _sync(self) -> None:
        """Bring the index up to date with the directory when it changed (one stat when it did not)."""
        try:
            mtime = self.directory.stat().st_mtime_ns
        except FileNotFoundError:
            with self._index_lock:
                self._index.clear()
                self._by_key.clear()
            return
        if mtime == self._seen_mtime:
            return
        with self._index_lock:
            # A directory changed within the last moment may change again under the same (coarse)
            # mtime: list it again next time rather than trust that mtime.
            self._seen_mtime = mtime if time.time_ns() - mtime > 100_000_000 else None
            names: set[str] = set()
            with os.scandir(self.directory) as entries:
                for item in entries:
                    if not item.name.endswith(".json") or item.name.startswith("."):
                        continue
                    stem = item.name[: -len(".json")]
                    if item.is_symlink():
                        self._set_aside(Path(item.path), "a symlink")
                        continue
                    names.add(stem)
                    if stem not in self._index:
                        record = self._load(Path(item.path))
                        if record is not None:
                            self._add(record)
            for gone in set(self._index) - names:
                self._drop(gone)

    def count(self) -> int:
        self._sync()
        return len(self._index)

    def pending_ids(self) -> list[str]:
        """Ids of the orders waiting for the database, oldest first."""
        self._sync()
        with self._index_lock:
            return [e.id for e in sorted(self._index.values(), key=lambda e: e.created)]

    def pending(self) -> list[dict[str, Any]]:
        """Every order waiting for the database (with bookkeeping), oldest first."""
        return [r for r in (self.read(i) for i in self.pending_ids()) if r is not None]

    def numbers(self) -> set[str]:
        self._sync()
        with self._index_lock:
            return {e.number for e in self._index.values()}

    def remember_key(self, idem: Idem) -> None:
        """An Idempotency-Key of an order stored in the database: a retry during an outage finds it."""
        with self._index_lock:
            self._recent[idem.key] = idem
            self._recent.move_to_end(idem.key)
            while len(self._recent) > RECENT_KEYS:
                self._recent.popitem(last=False)

    def find_key(self, key: str) -> Idem | None:
        self._sync()
        with self._index_lock:
            order_id = self._by_key.get(key)
            entry = self._index.get(order_id) if order_id else None
            if entry is not None and entry.request_hash and entry.response:
                return Idem(key, entry.request_hash, entry.response)
            return self._recent.get(key)

    # ---- the seam's operations ---------------------------------------------------------------------

    def insert(self, record: dict[str, Any], meta: dict[str, Any]) -> None:
        self.write({**record, META: meta})
        self.hooks.after_fallback(OrderChange.of("order.created", record, None, storage="fallback"))

    def token_hash(self, order_id: str) -> str | None:
        """The hash of a pending order's token, from its file's bookkeeping."""
        record = self.read(order_id)
        meta = (record or {}).get(META) or {}
        found = meta.get("tokenHash")
        return found if isinstance(found, str) else None

    def claims(self, keys: set[str]) -> dict[str, list[tuple[str, str]]]:
        """Per reference key, the pending orders that claim it: (id, number), from the index."""
        self._sync()
        found: dict[str, list[tuple[str, str]]] = {}
        with self._index_lock:
            for entry in self._index.values():
                for key in entry.claims & keys:
                    found.setdefault(key, []).append((entry.id, entry.number))
        return found

    def _all_claims(self, keys: set[str]) -> dict[str, list[tuple[str, str]]]:
        found = self.claims(keys)
        if self.more_claims is not None and keys:
            for key, others in self.more_claims(keys).items():
                found[key] = [*found.get(key, []), *others]
        return found

    def _shown(self, record: dict[str, Any]) -> dict[str, Any]:
        """`served`, each payment with its `sameReference` from the index and the database."""
        return mark_same_reference(served(record, self.name), self._all_claims(claims_of(record)))

    def _reused(self, entries: list[Entry]) -> set[str]:
        """Which of these pending orders have a reference another order claims."""
        keys: set[str] = set()
        for entry in entries:
            keys |= entry.claims
        found = self._all_claims(keys)
        return {e.id for e in entries if any({i for i, _ in found.get(k, ())} - {e.id} for k in e.claims)}

    def get(self, *, order_id: str | None = None, number: str | None = None) -> dict[str, Any] | None:
        if order_id is None:
            self._sync()
            with self._index_lock:
                order_id = next((e.id for e in self._index.values() if e.number == number), None)
            if order_id is None:
                return None
        record = self.read(order_id)
        return None if record is None else self._shown(record)

    def matching(self, filt: OrderFilter, after: After | None = None) -> list[str]:
        """Ids of the pending orders the filter lets through, in its order (no file is read)."""
        self._sync()
        with self._index_lock:
            entries = list(self._index.values())
        reused = self._reused(entries) if filt.same_reference is not None else set()
        found = [e for e in entries if e.matches(filt, after, e.id in reused)]
        found.sort(key=lambda e: e.position(filt), reverse=filt.descending)
        return [e.id for e in found]

    def holds_ending(self, today: date) -> list[str]:
        """Ids of the pending orders whose hold ends today or earlier (no file is read)."""
        self._sync()
        with self._index_lock:
            return [e.id for e in self._index.values() if e.held and e.hold_until and e.hold_until <= today]

    def load(self, ids: list[str], filt: OrderFilter) -> list[dict[str, Any]]:
        """The served records of these ids, re-checked against the filter (another process may have
        moved one since the index saw it)."""
        out = []
        for order_id in ids:
            record = self.read(order_id)
            if record is None:
                continue
            shown = self._shown(record)
            reused = any(p["sameReference"] for p in shown["payments"])
            if Entry.of(record).matches(filt, None, reused):
                out.append(shown)
        return out

    def change(self, order_id: str, decide: Decide, actor_id: str | None) -> dict[str, Any] | None:
        """Apply the edit `decide(current record)` returns, under the lock; None when no file holds it."""
        with self.lock():
            record = self.read(order_id)
            if record is None:
                return None
            before = record["status"]
            edit = decide(self._shown(record))
            apply_edit(record, edit)
            self.write(record)
            shown = self._shown(record)
        self.hooks.after_fallback(
            OrderChange.of(edit.kind, shown, before, actor_id=actor_id, storage="fallback")
        )
        return shown

    def apply_move(
        self, order_id: str, decide: Callable[[str], MovePlan], actor: Principal, at: datetime
    ) -> dict[str, Any] | None:
        """A move: the plan `decide(current status)` returns, as an edit."""
        return self.change(
            order_id, lambda record: move_edit(decide(record["status"]), actor, at, record), actor.id
        )


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
