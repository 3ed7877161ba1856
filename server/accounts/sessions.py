"""Is this token still good, and as whom: the per-request check behind every authenticated call.

One query per request reads the user's current role and active flag *and* whether the token was
revoked by logout. While the database answers, what it said about each user is kept in memory, so
that during an outage a demoted or deactivated user stays so; the role signed into the token is
used only for a user this server never saw. Tokens revoked through this server stay revoked in
an outage too, and after it: a logout during an outage is written once the database answers, and
until it is, the memory of it is believed over the database's row. It waits on disk as well
(`pending_dir`), so a process restarted during the outage still refuses the token.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, exists, literal, select

from server.domain.principal import Principal
from server.domain.shape import utcnow
from server.storage.db import Database
from server.storage.models import DeviceToken, RevokedToken, User
from server.storage.seam import attempt

__all__ = ["Sessions"]

# Token ids are ours (uuid4, signed into the token): only such names become file names.
_SAFE_JTI = re.compile(r"[A-Za-z0-9-]{1,64}")


@dataclass(frozen=True)
class _Seen:
    email: str
    role: str
    active: bool
    generation: int = 0


def _device_name(name: str) -> str:
    # What history entries and logs say of a device's moves: its name, marked as a device.
    return f"{name} (device)"


class Sessions:
    def __init__(self, db: Database, *, pending_dir: Path | None = None) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._seen: dict[str, _Seen] = {}
        # jti → expiry, for tokens known to be revoked (the memory an outage falls back on).
        self._revoked: dict[str, datetime] = {}
        # Revocations the database has not stored yet (logout during an outage).
        self._unsaved: dict[str, datetime] = {}
        # Where those wait on disk too (one 0600 file per token id), so a process restarted before
        # the database answers still refuses the token and writes the logout later.
        self._pending = pending_dir
        if pending_dir is not None:
            self._load_pending(pending_dir)

    def _load_pending(self, directory: Path) -> None:
        for path in directory.glob("*") if directory.is_dir() else ():
            if not _SAFE_JTI.fullmatch(path.name):
                continue  # a write's temporary file, or nothing of ours
            with contextlib.suppress(OSError, ValueError):
                expires = datetime.fromisoformat(path.read_text().strip())
                self._revoked[path.name] = self._unsaved[path.name] = expires

    def _keep_pending(self, jti: str, expires: datetime) -> None:
        if self._pending is None or not _SAFE_JTI.fullmatch(jti):
            return
        with contextlib.suppress(OSError):
            self._pending.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = self._pending / f".{jti}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(expires.isoformat())
            os.replace(tmp, self._pending / jti)

    def resolve(self, token: Principal) -> Principal | None:
        """The caller as the database knows them now, or None when the token no longer counts."""
        revoked_row = exists().where(RevokedToken.jti == token.token_id)
        if token.device:
            query = select(
                DeviceToken.name, DeviceToken.role, DeviceToken.revoked_at.is_(None), revoked_row, literal(0)
            ).where(DeviceToken.id == token.id)
        else:
            query = select(User.email, User.role, User.active, revoked_row, User.sessions_generation).where(
                User.id == token.id
            )

        def read() -> Any:
            with self.db.session() as session:
                return session.execute(query).first()

        # No log line per request during an outage: the orders' fallback already says the database is down.
        answered, row = attempt(read, instead=None)
        if not answered:
            return self._offline(token)
        if self._unsaved:
            self._save_unsaved()
        with self._lock:
            # What this server revoked counts whatever the database says: a logout made during an
            # outage is not in the row just read (written only now, or later if this write fails on a
            # connection the outage left broken); on main /api/auth/me said 200 for 0.5–6 s after recovery.
            if token.token_id in self._revoked:
                return None
        if row is None:
            self._remember(token.id, _Seen(token.email, token.role, active=False))
            return None
        email, role, active, revoked, generation = row
        if token.device:
            email = _device_name(email)
        self._remember(token.id, _Seen(email, role, bool(active), int(generation or 0)))
        if revoked:
            with self._lock:
                self._revoked[token.token_id] = token.expires_at
            return None
        if not active or token.generation != (generation or 0):
            return None
        return replace(token, email=email, role=role)

    def revoke(self, token: Principal) -> None:
        """End this token everywhere: in memory at once, in the database now or once it answers."""
        with self._lock:
            self._revoked[token.token_id] = token.expires_at
            self._unsaved[token.token_id] = token.expires_at
        self._save_unsaved()

    def _offline(self, token: Principal) -> Principal | None:
        with self._lock:
            if token.token_id in self._revoked:
                return None
            seen = self._seen.get(token.id)
        if seen is None:
            return token  # never seen: the signed role, so staff keep working against the fallback
        if not seen.active or seen.generation != token.generation:
            return None
        return replace(token, email=seen.email, role=seen.role)

    def forget_sessions(self, user_id: str) -> None:
        """The user's (or device's) sessions just ended here: refused at once, in an outage too,
        whatever this server last read of them (the next answer from the database replaces it)."""
        with self._lock:
            seen = self._seen.get(user_id)
            self._seen[user_id] = _Seen(seen.email if seen else "", seen.role if seen else "", active=False)

    def _remember(self, user_id: str, seen: _Seen) -> None:
        with self._lock:
            if self._seen.get(user_id) != seen:
                self._seen[user_id] = seen

    def _save_unsaved(self) -> None:
        with self._lock:
            pending = dict(self._unsaved)
            now = utcnow()
            # Forget what has expired anyway: the memory stays as small as the tokens still alive.
            self._revoked = {jti: exp for jti, exp in self._revoked.items() if exp > now}
        if not pending:
            return

        def write() -> None:
            with self.db.write() as session:
                for jti, expires in pending.items():
                    session.merge(RevokedToken(jti=jti, expires_at=expires))
                session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))

        if not attempt(write, instead=None)[0]:
            # Kept in memory and on disk; written by a later request once the database answers.
            for jti, expires in pending.items():
                self._keep_pending(jti, expires)
            return
        with self._lock:
            for jti in pending:
                self._unsaved.pop(jti, None)
        if self._pending is not None:
            for jti in pending:
                with contextlib.suppress(OSError):
                    (self._pending / jti).unlink(missing_ok=True)
