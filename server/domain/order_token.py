"""The order token: what lets the guest who placed an order look at it again, without an account.

`POST /api/orders` answers it once (`orderToken`); only its SHA-256 is stored (`orders.order_token_hash`,
or the fallback file's bookkeeping), so neither a database dump nor a fallback file opens an order.
32 random bytes (256 bits) from `secrets`: no search of that space is feasible, which is why a
plain hash (no salt, no Argon2) is enough and a lookup costs one hash. The token opens its own order
only — the customer's view of it, its live events, and new payment evidence — never another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from server.domain.lifecycle import Role
from server.domain.principal import Principal

__all__ = ["MAX_TOKEN_LENGTH", "TOKEN_BYTES", "new_token", "token_hash", "token_holder", "token_matches"]

TOKEN_BYTES = 32
# Longer than any token this server made (43 characters): not worth hashing.
MAX_TOKEN_LENGTH = 256


def new_token() -> tuple[str, str]:
    """A fresh token (URL-safe text, shown once) and the hash that is stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(token: str | None, stored: str | None) -> bool:
    """Does `token` open the order whose stored hash is `stored`? (Compared in constant time.)"""
    if not token or not stored or len(token) > MAX_TOKEN_LENGTH:
        return False
    return hmac.compare_digest(token_hash(token), stored)


def token_holder(order_id: str) -> Principal:
    """Who a valid token makes its bearer: a customer of that one order (`Principal.order_id`), with
    no account (no email) and no session to expire. Its id names the order's token, so per-caller
    budgets (live streams) count each order's holder apart; no user has such an id."""
    return Principal(
        id=f"order-token:{order_id}",
        email="",
        role=Role.CLIENTE,
        expires_at=datetime.max.replace(tzinfo=UTC),
        order_id=order_id,
    )
