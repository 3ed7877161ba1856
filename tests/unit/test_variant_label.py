"""`records.variant_label`: a variant's attributes as the one label an item keeps (issue 19)."""

from __future__ import annotations

from typing import Any

import pytest

from server.domain.records import PriceInfo, apply_price, variant_label


@pytest.mark.parametrize(
    ("attributes", "label"),
    [
        ({"talla": "L", "color": "blanco"}, "L · blanco"),
        ({"color": "blanco", "talla": "L"}, "blanco · L"),  # the catalog's order, not sorted
        ({"capacidad": "11oz"}, "11oz"),
        ({"talla": "M", "color": "", "corte": None}, "M"),
        ({"oz": 11, "doble": True}, "11 · true"),
        ({}, None),
        ({"color": ""}, None),
        (None, None),
        (["L"], None),
    ],
)
def test_the_label_joins_the_values_in_the_catalogs_order(attributes: Any, label: str | None) -> None:
    assert variant_label(attributes) == label


def test_the_price_verdict_puts_the_label_on_every_item() -> None:
    record: dict[str, Any] = {"items": [{"variantLabel": None}, {}]}
    apply_price(record, PriceInfo("OK", variant_label="L · blanco"))
    assert [i["variantLabel"] for i in record["items"]] == ["L · blanco", "L · blanco"]
    apply_price(record, PriceInfo("UNKNOWN_VARIANT"))
    assert [i["variantLabel"] for i in record["items"]] == [None, None]
