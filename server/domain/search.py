"""What `q` finds in an order: one fold, one searched text, for the database and the fallback alike.

`fold` is the board's rule (case-folded, NFKD, combining marks dropped, case-folded again), so
`maria` finds "María Pérez" and `MERIDA` finds "Mérida" wherever the search runs. `search_text` is
what an order is searched by: the fields the shape declares `searched` (order number, city, state,
every payer's name), each folded. The database keeps it in a column written with the order; the
fallback index keeps it in memory. A query matches when its fold is a substring of that text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from server.domain.shape import CHILDREN, ORDER

__all__ = ["SEPARATOR", "fold", "search_text"]

# Between two fields: a query never matches across the end of one field and the start of the next.
# A control character nobody types (NUL would do in Python, but PostgreSQL text cannot hold it).
SEPARATOR = "\x1f"

_ORDER_FIELDS = tuple(f.wire for f in ORDER.fields if f.searched)
_CHILD_FIELDS = tuple((part.key or "", f.wire) for part in CHILDREN for f in part.fields if f.searched)


def fold(text: str) -> str:
    """Case- and accent-insensitive form: `fold("María PÉREZ") == "maria perez"`.

    Case-fold, decompose (NFKD), drop the combining marks, and case-fold once more: decomposing
    turns a few compatibility letters into capitals (`№` → `No`, `℃` → `°C`), which would leave
    `fold` not idempotent and make SQLite's ASCII-case-insensitive LIKE find more than PostgreSQL.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def search_text(record: Mapping[str, Any]) -> str:
    """The folded text `q` is matched against, from an order record (the wire shape)."""
    values = [record.get(wire) for wire in _ORDER_FIELDS]
    for key, wire in _CHILD_FIELDS:
        values += [row.get(wire) for row in record.get(key) or ()]
    return SEPARATOR.join(fold(v) for v in values if isinstance(v, str))
