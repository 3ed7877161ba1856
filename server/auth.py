"""Password hashing (Argon2id) and session tokens (HS256 JWT)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["Principal", "TokenCodec", "hash_password", "verify_dummy", "verify_password"]

_hasher = PasswordHasher()  # argon2-cffi's default type is Argon2id
# Verified against when the email is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("krafta-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_dummy(password: str) -> None:
    verify_password(_DUMMY_HASH, password)


@dataclass(frozen=True)
class Principal:
    """Who is calling: from the token, with the role refreshed from the database when it answers."""

    id: str
    email: str
    role: str
    expires_at: datetime


class TokenCodec:
    ALGORITHM = "HS256"

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl = timedelta(seconds=ttl_seconds)

    def issue(self, *, user_id: str, email: str, role: str) -> tuple[str, datetime]:
        expires = datetime.now(UTC) + self.ttl
        claims = {"sub": user_id, "email": email, "role": role, "exp": expires}
        return jwt.encode(claims, self._secret, algorithm=self.ALGORITHM), expires

    def read(self, token: str) -> Principal | None:
        """The principal in a valid token; None for a bad signature, another algorithm, or past `exp`."""
        try:
            # Pinning algorithms to HS256 is what rejects `alg: none` and key-confusion tokens.
            claims = jwt.decode(
                token, self._secret, algorithms=[self.ALGORITHM], options={"require": ["sub", "role", "exp"]}
            )
        except jwt.PyJWTError:
            return None
        sub, role = claims.get("sub"), claims.get("role")
        if not isinstance(sub, str) or not isinstance(role, str):
            return None
        email = claims.get("email") if isinstance(claims.get("email"), str) else ""
        try:
            expires = datetime.fromtimestamp(claims["exp"], UTC)
        except (OverflowError, ValueError, OSError, TypeError):
            return None  # signed with our key but absurd: treated like any other invalid token
        return Principal(id=sub, email=email, role=role, expires_at=expires)
