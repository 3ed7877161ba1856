"""Accounts: creating users (shared by `krafta admin create` and `POST /api/users`) and logging in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError

from server.accounts.auth import hash_password, verify_dummy, verify_password
from server.domain.errors import AlreadyExists, NotAuthenticated, NotFound, RateLimited
from server.domain.lifecycle import Role
from server.domain.shape import iso, utcnow
from server.storage.db import Database
from server.storage.models import LoginFailure, User

__all__ = ["LoginLimits", "UserService", "user_json"]

FAILURE_WINDOW = timedelta(minutes=1)
# How long a failure is kept (rows older are deleted): what `_has_failed` can still see.
FAILURE_MEMORY = 10 * FAILURE_WINDOW


@dataclass(frozen=True)
class LoginLimits:
    """Failed logins allowed within `FAILURE_WINDOW` before the next attempt is refused (429).

    Per (email, client address) tight, so a guesser is stopped without locking out the real user
    elsewhere; per address, so one client cannot spray many emails; per email looser, against guessing
    spread over many addresses — and that one refuses only addresses that have failed for the email
    (`UserService._has_failed`), so it slows guessers without locking the owner out. An IPv6 client
    is its /64 (`limits.budget_key`). 0 turns one off.
    """

    per_client: int = 5
    per_address: int = 20
    per_email: int = 50


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "active": user.active,
        "createdAt": iso(user.created_at),
    }


class UserService:
    def __init__(self, db: Database, limits: LoginLimits | None = None) -> None:
        self.db = db
        self.limits = limits or LoginLimits()

    def create(self, *, email: str, password: str, role: Role | str) -> dict[str, Any]:
        email = email.strip().lower()
        user = User(email=email, password_hash=hash_password(password), role=Role(role).value, active=True)
        try:
            with self.db.write() as session:
                session.add(user)
        except IntegrityError:
            raise AlreadyExists(f"A user with email {email} already exists.") from None
        return user_json(user)

    def set_role(self, email: str, role: Role | str) -> None:
        with self.db.write() as session:
            user = session.scalar(select(User).where(User.email == email.strip().lower()))
            if user is None:
                raise NotFound(f"No user {email}.")
            user.role = Role(role).value

    def deactivate(self, email: str) -> dict[str, Any]:
        """The account may no longer log in, and every session it has ends (its generation moves on)."""
        with self.db.write() as session:
            user = self._user(session, email)
            user.active = False
            user.sessions_generation += 1
            return user_json(user)

    def reset_password(self, email: str, password: str) -> dict[str, Any]:
        """An ADMIN sets a new password; the account's sessions end (the old password may have leaked)."""
        password_hash = hash_password(password)
        with self.db.write() as session:
            user = self._user(session, email)
            user.password_hash = password_hash
            user.sessions_generation += 1
            return user_json(user)

    def change_password(self, user_id: str, current: str, new: str) -> User:
        """The caller's own password, the current one checked first; every session issued before
        ends. Returns the user (its new generation) for the caller's fresh token."""
        with self.db.session() as session:
            user = session.get(User, user_id)
        if user is None or not user.active or not verify_password(user.password_hash, current):
            raise NotAuthenticated("The current password is wrong.")
        password_hash = hash_password(new)
        with self.db.write() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotAuthenticated("The current password is wrong.")
            user.password_hash = password_hash
            user.sessions_generation += 1
            session.flush()
            session.expunge(user)
            return user

    @staticmethod
    def _user(session: Any, email: str) -> User:
        user: User | None = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise NotFound(f"No user {email.strip()}.")
        return user

    def list(self) -> list[dict[str, Any]]:
        with self.db.session() as session:
            return [user_json(u) for u in session.scalars(select(User).order_by(User.created_at, User.email))]

    def authenticate(self, email: str, password: str, client: str = "") -> User:
        """The user for these credentials, or an error, the same for unknown email and bad password."""
        email = email.strip().lower()
        attempt = self._claim_attempt(email, client[:64])
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.email == email))
        if user is None:
            verify_dummy(password)
        elif verify_password(user.password_hash, password) and user.active:
            with self.db.write() as session:
                session.execute(delete(LoginFailure).where(LoginFailure.id == attempt))
            return user
        raise NotAuthenticated("Wrong email or password.")

    def _claim_attempt(self, email: str, client: str) -> int:
        """Count this attempt as a failure *before* checking the password, or refuse it (429).

        Counting first, in one serialised transaction per email and per address, is what stops a burst
        of parallel guesses from all passing the check before any failure is written; a success
        removes its row.
        """
        now = utcnow()
        since = now - FAILURE_WINDOW
        with self.db.write() as session:
            if not self.db.is_sqlite:
                # SQLite writers are already serialised; on PostgreSQL attempts for one email, and from
                # one address, queue here. Two key spaces (1: email, 2: address), always taken in that
                # order, so two logins can never wait for each other's lock.
                session.execute(text("SELECT pg_advisory_xact_lock(1, hashtext(:k))"), {"k": email})
                session.execute(text("SELECT pg_advisory_xact_lock(2, hashtext(:k))"), {"k": client})

            def failures(*where: Any) -> int:
                recent = select(func.count()).select_from(LoginFailure).where(LoginFailure.at > since, *where)
                return session.scalar(recent) or 0

            limits = self.limits
            if (
                limits.per_client
                and failures(LoginFailure.email == email, LoginFailure.client == client) >= limits.per_client
            ):
                raise RateLimited("Too many failed logins for this email; wait a minute.", retry_after=60)
            if limits.per_address and failures(LoginFailure.client == client) >= limits.per_address:
                raise RateLimited("Too many failed logins from your address; wait a minute.", retry_after=60)
            if (
                limits.per_email
                and failures(LoginFailure.email == email) >= limits.per_email
                and self._has_failed(session, email, client, now)
            ):
                raise RateLimited("Too many failed logins for this email; wait a minute.", retry_after=60)
            attempt = LoginFailure(email=email, client=client, at=now)
            session.add(attempt)
            # Keep the table small: rows older than the window no longer count for anything.
            session.execute(delete(LoginFailure).where(LoginFailure.at < now - FAILURE_MEMORY))
            session.flush()
            return attempt.id

    @staticmethod
    def _has_failed(session: Any, email: str, client: str, now: datetime) -> bool:
        """Has `client` failed a login to `email` within the failures kept (`FAILURE_MEMORY`)?

        The per-email ceiling refuses only such clients. Refusing every address let guessers spread
        over 11 addresses lock the real owner out wherever they logged in from; this way the owner's
        right password from an address that has not failed always gets through, while each guessing
        address gets one guess per `FAILURE_MEMORY` once the ceiling is reached (its first failure
        there is remembered that long, not only for the minute the other limits count).
        """
        recent = select(LoginFailure.id).where(
            LoginFailure.email == email,
            LoginFailure.client == client,
            LoginFailure.at >= now - FAILURE_MEMORY,
        )
        return session.scalar(recent.limit(1)) is not None
