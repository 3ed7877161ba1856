"""Accounts: creating users (shared by `krafta admin create` and `POST /api/users`) and logging in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError

from server.auth import hash_password, verify_dummy, verify_password
from server.db import Database
from server.errors import ApiError, NotAuthenticated, RateLimited
from server.lifecycle import Role
from server.models import LoginFailure, User, utcnow
from server.serialize import iso

__all__ = ["AlreadyExists", "UserService", "user_json"]

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=1)


class AlreadyExists(ApiError):
    status_code = 409
    code = "exists"


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "active": user.active,
        "createdAt": iso(user.created_at),
    }


class UserService:
    def __init__(self, db: Database) -> None:
        self.db = db

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
                raise ApiError(f"No user {email}.", status_code=404)
            user.role = Role(role).value

    def list(self) -> list[dict[str, Any]]:
        with self.db.session() as session:
            return [user_json(u) for u in session.scalars(select(User).order_by(User.created_at, User.email))]

    def current(self, user_id: str) -> User | None:
        with self.db.session() as session:
            return session.get(User, user_id)

    def authenticate(self, email: str, password: str) -> User:
        """The user for these credentials, or an error, the same for unknown email and bad password."""
        email = email.strip().lower()
        attempt = self._claim_attempt(email)
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.email == email))
        if user is None:
            verify_dummy(password)
        elif verify_password(user.password_hash, password) and user.active:
            with self.db.write() as session:
                session.execute(delete(LoginFailure).where(LoginFailure.id == attempt))
            return user
        raise NotAuthenticated("Wrong email or password.")

    def _claim_attempt(self, email: str) -> int:
        """Count this attempt as a failure *before* checking the password, or refuse it (429).

        Counting first, in one serialised transaction per email, is what stops a burst of parallel
        guesses from all passing the check before any failure is written; a success removes its row.
        """
        now = utcnow()
        with self.db.write() as session:
            if not self.db.is_sqlite:
                # SQLite writers are already serialised; on PostgreSQL one email's attempts queue here.
                session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:email))"), {"email": email})
            recent = session.scalar(
                select(func.count())
                .select_from(LoginFailure)
                .where(LoginFailure.email == email, LoginFailure.at > now - FAILURE_WINDOW)
            )
            if (recent or 0) >= MAX_FAILURES:
                raise RateLimited("Too many failed logins for this email; wait a minute.", retry_after=60)
            attempt = LoginFailure(email=email, at=now)
            session.add(attempt)
            # Keep the table small: rows older than the window no longer count for anything.
            session.execute(delete(LoginFailure).where(LoginFailure.at < now - 10 * FAILURE_WINDOW))
            session.flush()
            return attempt.id
