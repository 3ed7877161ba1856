"""Who is calling: the one fact about a caller that the order rules need (id, email, role)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Principal"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: from the token, with the role refreshed from the database when it answers.

    `token_id` is the token's `jti`: what logout revokes. `generation` is the user's sessions
    generation the token was issued in (a password change or deactivation raises the user's);
    `device` marks a device token (`id` is then the device token's id, `email` its name).
    `order_id` is set for the holder of an order's token (`domain/order_token.py`): a customer who
    may see that one order and nothing else.
    """

    id: str
    email: str
    role: str
    expires_at: datetime
    token_id: str = ""
    generation: int = 0
    device: bool = False
    order_id: str = ""
