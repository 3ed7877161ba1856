"""Password hashing (Argon2id) and session tokens (HS256 JWT)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.domain.principal import Principal

__all__ = [
    "MAX_CONCURRENT_HASHES",
    "TokenCodec",
    "hash_password",
    "verify_dummy",
    "verify_password",
]

_hasher = PasswordHasher()  # argon2-cffi's default type is Argon2id
# Each Argon2 hash takes 64 MiB for its duration: 32 at once (one per worker thread) took the server
# to 2 GB. Past this many, callers queue here; memory stays bounded whatever the login rate.
MAX_CONCURRENT_HASHES = 2
_hash_slots = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)
# Verified against when the email is unknown, so both failures cost the same time (and the same queue).
_DUMMY_HASH = _hasher.hash("krafta-dummy-password")


def hash_password(password: str) -> str:
    with _hash_slots:
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    with _hash_slots:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def verify_dummy(password: str) -> None:
    verify_password(_DUMMY_HASH, password)


class TokenCodec:
    ALGORITHM = "HS256"

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl = timedelta(seconds=ttl_seconds)

    def issue(self, *, user_id: str, email: str, role: str, generation: int = 0) -> tuple[str, datetime]:
        expires = datetime.now(UTC) + self.ttl
        claims = {
            "sub": user_id,
            "email": email,
            "role": role,
            "exp": expires,
            "jti": str(uuid.uuid4()),
            "gen": generation,
        }
        return jwt.encode(claims, self._secret, algorithm=self.ALGORITHM), expires

    def issue_device(self, *, device_id: str, name: str, role: str, expires: datetime) -> str:
        """A device token: `jti` and `sub` are the device token's id, so revoking its row ends it."""
        claims = {
            "sub": device_id,
            "email": name,
            "role": role,
            "exp": expires,
            "jti": device_id,
            "dev": True,
        }
        return jwt.encode(claims, self._secret, algorithm=self.ALGORITHM)

    def read(self, token: str) -> Principal | None:
        """The principal in a valid token; None for a bad signature, another algorithm, past `exp`, or
        no token id (a token that could not be revoked is not accepted)."""
        try:
            # Pinning algorithms to HS256 is what rejects `alg: none` and key-confusion tokens.
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self.ALGORITHM],
                options={"require": ["sub", "role", "exp", "jti"]},
            )
        except jwt.PyJWTError:
            return None
        sub, role, jti = claims.get("sub"), claims.get("role"), claims.get("jti")
        if not isinstance(sub, str) or not isinstance(role, str):
            return None
        if not isinstance(jti, str) or not 1 <= len(jti) <= 64:
            return None
        email_claim = claims.get("email")
        email = email_claim if isinstance(email_claim, str) else ""
        try:
            expires = datetime.fromtimestamp(claims["exp"], UTC)
        except (OverflowError, ValueError, OSError, TypeError):
            return None  # signed with our key but absurd: treated like any other invalid token
        generation = claims.get("gen", 0)
        if not isinstance(generation, int) or isinstance(generation, bool):
            return None
        device = claims.get("dev") is True
        return Principal(
            id=sub,
            email=email,
            role=role,
            expires_at=expires,
            token_id=jti,
            generation=generation,
            device=device,
        )
