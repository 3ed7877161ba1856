"""Order numbers: `KRFT-` and six random digits, and reading them as people type them."""

from __future__ import annotations

import re
import secrets

__all__ = ["NUMBER_SPACE", "draw_number", "parse_number"]

NUMBER_SPACE = 1_000_000

# `246177`, `krft-246177`, `KRFT 246177`, `KRFT-246177`: what staff type, and what a scanner or a
# courier's sheet hands over. The clients read numbers with the same rule (`krafta_cli.client.order_ref`;
# a test holds the two to one table of cases).
_TYPED = re.compile(r"(?:KRFT[-\s]?)?([0-9]{6})", re.IGNORECASE)


def draw_number() -> str:
    # Random, not sequential: the next customer's number must not be guessable from yours.
    return f"KRFT-{secrets.randbelow(NUMBER_SPACE):06d}"


def parse_number(text: str) -> str | None:
    """The order number `text` means (`KRFT-246177`), or None when it is not one."""
    found = _TYPED.fullmatch(text.strip())
    return f"KRFT-{found.group(1)}" if found else None
