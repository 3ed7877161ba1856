"""`server.domain.desk`: when two payments name one transfer, and what each payment is told."""

from __future__ import annotations

import pytest

from server.domain.desk import check_confirm, claims_of, mark_same_reference, reference_key
from server.domain.errors import SameReference


@pytest.mark.parametrize(
    ("reference", "key"),
    [
        ("00123456789", "PAGO_MOVIL:123456789"),
        ("123456789", "PAGO_MOVIL:123456789"),
        ("0012-3456 789", "PAGO_MOVIL:123456789"),
        ("Ref. 123456789", "PAGO_MOVIL:123456789"),
        ("١٢٣٤٥٦٧٨٩", "PAGO_MOVIL:123456789"),
        ("0000", "PAGO_MOVIL:0"),
        ("sin referencia", None),
        ("", None),
    ],
)
def test_references_are_compared_on_digits_without_leading_zeros(reference: str, key: str | None) -> None:
    assert reference_key("PAGO_MOVIL", reference) == key


def test_the_method_is_part_of_the_comparison() -> None:
    assert reference_key("PAGO_MOVIL", "123") != reference_key("TRANSFERENCIA", "123")
    assert reference_key(None, "123") is None


def _order(order_id: str, *payments: tuple[str, str]) -> dict[str, object]:
    return {
        "id": order_id,
        "payments": [
            {"method": "PAGO_MOVIL", "reference": ref, "status": status} for ref, status in payments
        ],
    }


def test_a_payment_is_told_the_other_orders_and_a_rejected_one_nothing() -> None:
    order = _order("a", ("0042", "REJECTED"), ("42", "REPORTED"))
    claims = {"PAGO_MOVIL:42": [("a", "KRFT-000001"), ("c", "KRFT-000003"), ("b", "KRFT-000002")]}

    marked = mark_same_reference(order, claims)

    assert [p["sameReference"] for p in marked["payments"]] == [[], ["KRFT-000002", "KRFT-000003"]]
    assert claims_of(order) == {"PAGO_MOVIL:42"}


def test_marking_leaves_the_given_payments_untouched() -> None:
    order = _order("a", ("42", "REPORTED"))
    original = order["payments"][0]  # type: ignore[index]

    mark_same_reference(order, {})

    assert "sameReference" not in original


def test_a_confirmation_of_a_reused_reference_needs_force() -> None:
    order = mark_same_reference(_order("a", ("42", "REPORTED")), {"PAGO_MOVIL:42": [("b", "KRFT-000002")]})

    with pytest.raises(SameReference) as refused:
        check_confirm(order, forced=False)

    assert refused.value.numbers == ["KRFT-000002"]
    assert refused.value.body()["code"] == "same_reference"
    assert check_confirm(order, forced=True) is None
    assert check_confirm(mark_same_reference(_order("a", ("42", "REPORTED")), {}), forced=False) is None
