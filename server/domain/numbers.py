"""Order numbers: `KRFT-` and six random digits."""

from __future__ import annotations

import secrets

__all__ = ["NUMBER_SPACE", "draw_number"]

NUMBER_SPACE = 1_000_000


def draw_number() -> str:
    # Random, not sequential: the next customer's number must not be guessable from yours.
    return f"KRFT-{secrets.randbelow(NUMBER_SPACE):06d}"
