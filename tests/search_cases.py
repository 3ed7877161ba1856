"""What a search finds, in one table every search is tested against: the server's `q` on SQLite, on
PostgreSQL and in the fallback index (tests/live/test_search.py), `krafta orders list --search`,
and the board's `/` filter.

A case is one order whose searched `field` holds `value` (the other searched fields hold nothing a
query here finds), a `query`, and whether the query finds that order. The rule: an order matches
when the fold of the query (case-folded, NFKD, combining marks dropped, case-folded again) is a
substring of the fold of one of its searched fields — order number, city, state, a payer's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CASES", "NEUTRAL", "SearchCase"]

Field = Literal["orderNumber", "shippingCity", "shippingState", "payerName"]


@dataclass(frozen=True)
class SearchCase:
    query: str
    field: Field
    value: str
    matches: bool


# What a case's order holds in the searched fields it does not set: nothing any query below finds.
NEUTRAL: dict[str, str] = {"shippingCity": "Valencia", "shippingState": "Carabobo", "payerName": "Ana Ruiz"}

CASES: tuple[SearchCase, ...] = (
    SearchCase("maria", "payerName", "María Pérez", True),
    SearchCase("MARÍA", "payerName", "maria perez", True),
    SearchCase("perez", "payerName", "PÉREZ", True),
    SearchCase("merida", "shippingCity", "Mérida", True),
    SearchCase("MERIDA", "shippingCity", "Mérida", True),
    SearchCase("tachira", "shippingState", "Táchira", True),
    SearchCase("  tachira ", "shippingState", "Táchira", True),  # the query is trimmed
    SearchCase("nunez", "payerName", "José Núñez", True),
    SearchCase("strasse", "shippingCity", "Straße", True),  # case-folding, not lower-casing
    SearchCase("casa no5", "shippingCity", "Casa №5", True),  # compatibility forms: № is No
    SearchCase("krft-12", "orderNumber", "KRFT-123456", True),
    SearchCase("3456", "orderNumber", "KRFT-123456", True),
    SearchCase("maria", "payerName", "Mario Pérez", False),
    SearchCase("merida", "shippingCity", "Maracaibo", False),
    SearchCase("m_rida", "shippingCity", "Mérida", False),  # `_` is a character, not a wildcard
    SearchCase("m%a", "payerName", "María Pérez", False),  # nor is `%`
    SearchCase("krft-99", "orderNumber", "KRFT-123456", False),
)
