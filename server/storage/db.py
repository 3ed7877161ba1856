"""Engine, sessions and the rules for talking to SQLite and PostgreSQL.

Concurrency model (measured, see issue 2): endpoints are sync and run in the thread pool; each opens
its session *inside* the endpoint and closes it before returning, so a connection is never held
while a request waits for a thread. The pool is sized to the thread pool. On SQLite, writers queue
on a process-wide lock instead of thrashing SQLite's own write lock with busy-retries.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "Database",
    "MissingFolder",
    "is_unavailable",
    "normalize_url",
    "private_sqlite_file",
    "refusal",
]

# SQLite has no native decimal; SQLAlchemy quantizes to the column's scale on the way out.
warnings.filterwarnings("ignore", message=r".*does \*not\* support Decimal objects natively.*")

SQLITE_BUSY_TIMEOUT_MS = 5000
# While writes fail, `/api/health` tries one at most this often (on SQLite it takes the write lock).
WRITE_PROBE_INTERVAL_SECONDS = 2.0
# Order writes wait less for another process's write lock: past this the order goes to the fallback
# (its customer gets a 201 at once), instead of every order waiting the full timeout.
SQLITE_ORDER_WRITE_TIMEOUT_MS = 750


def normalize_url(url: str) -> str:
    """Accept `postgres://` and `postgresql://` and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def is_unavailable(error: BaseException) -> bool:
    """True when the database cannot be reached or written at all (the fallback's trigger).

    Covers a refused connection, a server going away mid-query, SQLite's disk I/O, locked-past-timeout
    and read-only errors (all `OperationalError`), and a pool with no connection to give.
    """
    if isinstance(error, exc.OperationalError | exc.InterfaceError | exc.TimeoutError):
        return True
    return isinstance(error, exc.DBAPIError) and bool(error.connection_invalidated)


# What PostgreSQL answers when it refuses *this client* rather than being down: a role that does not
# exist, a wrong or missing password, no pg_hba.conf line for us, an unknown database, no CONNECT
# right. Waiting does not heal these, so `krafta serve` stops on them instead of starting on the
# fallback. libpq reports a failed connection without its SQLSTATE, so the server's own sentence
# (after "FATAL:") is matched; a server that does not speak English is taken for an outage.
_REFUSALS = (
    "does not exist",
    "password authentication failed",
    "authentication failed for user",
    "no password supplied",
    "no pg_hba.conf entry",
    "permission denied for database",
)


def refusal(error: BaseException) -> str | None:
    """Why the database refuses us for good when `error` says so (see `_REFUSALS`), else None."""
    if not isinstance(error, exc.OperationalError | exc.InterfaceError):
        return None
    text = str(getattr(error, "orig", None) or error)
    _, fatal, reason = text.partition("FATAL:")
    reason = (reason if fatal else text).strip().splitlines()[0] if text.strip() else ""
    if any(phrase in reason for phrase in _REFUSALS):
        return reason
    return None


class MissingFolder(FileNotFoundError):
    """The folder a SQLite database file should be in does not exist (a typo in its URL, most likely)."""


class Database:
    def __init__(self, url: str, *, pool_size: int = 20) -> None:
        self.url = normalize_url(url)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        # No pre-ping: it cost a round trip on every checkout (~4 % of create under load). A connection
        # that died with its server fails its statement, which counts as "unavailable" (the fallback
        # takes that request) and makes the pool drop every connection older than the failure.
        # hide_parameters: an error's message must not carry bound values (a password hash, an email,
        # a payer's name) into the server log.
        kwargs: dict[str, Any] = {"pool_pre_ping": False, "hide_parameters": True}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                private_sqlite_file(parsed.database)
            kwargs |= {
                "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                "pool_size": pool_size,
                "max_overflow": 0,
            }
        else:
            kwargs |= {
                # Fail fast when PostgreSQL is down, so a POST falls back within a request's patience.
                "connect_args": {"connect_timeout": 3},
                "pool_size": pool_size,
                "max_overflow": 0,
                "pool_timeout": 10,
            }
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = threading.Lock() if self.is_sqlite else None
        # When the last write failed because the database would not take it (None: it succeeded, or
        # none was tried yet); `/api/health` reports it, since a read probe passes while writes fail.
        self.write_failed_at: float | None = None
        self._probed_at = 0.0
        self._probing = threading.Lock()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    @contextmanager
    def _write_outcome(self) -> Iterator[None]:
        try:
            yield
        except Exception as error:
            if is_unavailable(error):
                self.write_failed_at = time.monotonic()
            raise
        self.write_failed_at = None

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in a transaction that commits on success; serialised on SQLite."""
        with (
            self._write_outcome(),
            self._write_lock or nullcontext(),
            self._sessions() as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def read_conn(self) -> Iterator[Connection]:
        """A Core connection for reads (no ORM session: the order paths work on rows)."""
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def order_write(self) -> Iterator[Connection]:
        """A Core connection in one transaction for an order write; serialised, short lock wait on SQLite."""
        if self._write_lock is None:
            with self._write_outcome(), self.engine.begin() as conn:
                yield conn
            return
        with self._write_outcome(), self._write_lock, self.engine.connect() as conn:
            raw: Any = conn.connection.driver_connection
            raw.execute(f"PRAGMA busy_timeout={SQLITE_ORDER_WRITE_TIMEOUT_MS}")
            try:
                with conn.begin():
                    yield conn
            finally:
                raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")

    def recheck_writes(self) -> None:
        """While writes fail, try one (at most every `WRITE_PROBE_INTERVAL_SECONDS`), so a recovered
        database is known as such at once rather than when some order or login next writes.

        The write rewrites the one row every migrated database has (`alembic_version`, as it is):
        on SQLite it takes the write lock and appends to the WAL, on PostgreSQL it needs a server
        that takes writes — what an order needs — and it changes nothing. It runs as an order write
        does (a short lock wait on SQLite), so a health check waits at most that long.
        """
        now = time.monotonic()
        if self.write_failed_at is None or now - self._probed_at < WRITE_PROBE_INTERVAL_SECONDS:
            return
        if not self._probing.acquire(blocking=False):
            return  # another request is probing now
        try:
            self._probed_at = now
            with self.order_write() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
        except Exception as error:
            if not (is_unavailable(error) or isinstance(error, exc.DBAPIError)):
                raise
        finally:
            self._probing.release()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception as error:
            if is_unavailable(error) or isinstance(error, exc.DBAPIError):
                return False
            raise

    def dispose(self) -> None:
        self.engine.dispose()


def private_sqlite_file(database: str) -> None:
    """Create the SQLite file 0600, and tighten an existing one; `MissingFolder` when its folder is
    not there.

    It holds password hashes, addresses and payment details. SQLite gives its -wal and -shm files
    the database file's mode, so those follow. A missing folder is not made: a typo in the URL
    would otherwise start a new, empty shop there (the default data dir is made by its owner,
    `settings.private_dir`).
    """
    from pathlib import Path

    path = Path(database)
    if not path.parent.is_dir():
        raise MissingFolder(f"the folder {path.parent} of the SQLite database does not exist")
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError:
        return  # read-only mount or not ours: SQLite reports what matters when it opens the file
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if each.stat().st_uid == os.geteuid() and each.stat().st_mode & 0o077:
                each.chmod(0o600)
        except OSError:
            pass  # no sidecar yet


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # WAL + NORMAL stays consistent after a crash; only the last transactions before a power cut can go.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
