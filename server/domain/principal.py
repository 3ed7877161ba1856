"""Who is calling: the one fact about a caller that the order rules need (id, email, role)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Principal"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: from the token, with the role refreshed from the database when it answers.

    `token_id` is the token's `jti`: what logout revokes.
    """

    id: str
    email: str
    role: str
    expires_at: datetime
    token_id: str = ""
