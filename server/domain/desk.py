"""The payment desk's rules about references (pure): when two payments name the same transfer, and
what an order's payments say about it (`sameReference`).

Banks print a reference with or without leading zeros and with spaces or dashes, so two payments
name the same transfer when their method is the same and their references have the same digits,
leading zeros ignored: `reference_key` is that comparison as one string, stored with every payment
(`payment_submissions.reference_key`, indexed) and kept in the fallback index, so the question "who
else paid with this?" is one index lookup wherever the order lives. A rejected payment claims
nothing: it neither counts for others nor is given a list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from server.domain.errors import SameReference

__all__ = [
    "Claims",
    "check_confirm",
    "claims_of",
    "mark_same_reference",
    "reference_key",
    "reused",
]

# Per reference key, the orders whose (non-rejected) payments carry it: (order id, order number).
Claims = Mapping[str, Iterable[tuple[str, str]]]


def reference_key(method: Any, reference: Any) -> str | None:
    """`PAGO_MOVIL:123456789` for a Pago Móvil reference `00123456789` (or `0012-3456 789`); None
    for a reference without digits, which is compared with nothing."""
    if not isinstance(method, str) or not isinstance(reference, str):
        return None
    # int() reads any Unicode decimal digit as its ASCII value, so `١٢٣` is `123`.
    digits = "".join(str(int(ch)) for ch in reference if ch.isdecimal())
    if not digits:
        return None
    return f"{method}:{digits.lstrip('0') or '0'}"


def _counts(payment: Mapping[str, Any]) -> bool:
    return payment.get("status") != "REJECTED"


def claims_of(record: Mapping[str, Any]) -> set[str]:
    """The reference keys an order's payments claim (its non-rejected ones)."""
    keys = {
        reference_key(p.get("method"), p.get("reference")) for p in record.get("payments") or () if _counts(p)
    }
    keys.discard(None)
    return keys  # type: ignore[return-value]


def mark_same_reference(record: dict[str, Any], claims: Claims) -> dict[str, Any]:
    """Give each payment of `record` its `sameReference`: the numbers of the *other* orders that
    claim its key, sorted (`[]` for a rejected payment). The payments are replaced by copies, so a
    record read from a file or a cache is never changed underneath."""
    payments = []
    for payment in record.get("payments") or ():
        key = reference_key(payment.get("method"), payment.get("reference"))
        numbers: set[str] = set()
        if key is not None and _counts(payment):
            numbers = {number for order_id, number in claims.get(key, ()) if order_id != record["id"]}
        payments.append({**payment, "sameReference": sorted(numbers)})
    record["payments"] = payments
    return record


def reused(record: Mapping[str, Any]) -> list[str]:
    """The other orders a REPORTED payment of `record` shares its reference with (as marked)."""
    numbers: set[str] = set()
    for payment in record.get("payments") or ():
        if payment.get("status") == "REPORTED":
            numbers.update(payment.get("sameReference") or ())
    return sorted(numbers)


def check_confirm(record: Mapping[str, Any], *, forced: bool) -> None:
    """Confirming a payment whose reference another order claims is never one key press: it needs
    `force` with a note (which `lifecycle.check_move` requires of every forced move)."""
    others = reused(record)
    if others and not forced:
        raise SameReference(
            f"The payment's reference is also on {', '.join(others)}: check it with the bank, then "
            "confirm with force and a note saying why.",
            numbers=others,
        )
