"""`krafta_cli.workflows.production_batches`: the grouping the CLI and the board both show (pure)."""

from __future__ import annotations

from typing import Any

from krafta_cli.workflows import batches_json, production_batches

CATALOG = [
    {
        "id": "franela",
        "name": "Franela blanca",
        "variants": [
            {"id": "var-1", "attributes": {"talla": "M", "color": "white"}},
            {"id": "var-2", "attributes": {"talla": "L", "color": "white"}},
            # Same attributes as var-1 under another id (a re-imported catalog): same batch.
            {"id": "var-1b", "attributes": {"color": "white", "talla": "M"}},
        ],
    },
    {"id": "taza", "name": "Taza", "variants": [{"id": "var-4", "attributes": {"capacidad": "11oz"}}]},
]


def _order(
    number: str, status: str, created: str, *items: tuple[str, int], name: str | None = None
) -> dict[str, Any]:
    return {
        "id": f"id-{number}",
        "orderNumber": number,
        "status": status,
        "createdAt": f"2026-11-{created}+00:00",
        "items": [{"variantId": v, "quantity": q, "productName": name} for v, q in items],
    }


def test_same_variant_is_one_batch_with_quantity_summed_oldest_first() -> None:
    orders = [
        _order("KRFT-000003", "CONFIRMED", "29T10:00:00", ("var-1", 5)),
        _order("KRFT-000001", "CONFIRMED", "28T10:00:00", ("var-1", 7)),
        _order("KRFT-000002", "CONFIRMED", "28T11:00:00", ("var-2", 1)),
    ]
    batches = production_batches(orders, CATALOG)
    assert [b.label for b in batches] == ["12 × Franela blanca · M · white", "1 × Franela blanca · L · white"]
    assert [o.number for o in batches[0].orders] == ["KRFT-000001", "KRFT-000003"]
    assert batches[0].order_ids == ("id-KRFT-000001", "id-KRFT-000003")


def test_variants_with_equal_attributes_share_a_batch() -> None:
    orders = [
        _order("KRFT-000001", "CONFIRMED", "28T10:00:00", ("var-1", 2)),
        _order("KRFT-000002", "CONFIRMED", "28T11:00:00", ("var-1b", 3)),
    ]
    (batch,) = production_batches(orders, CATALOG)
    assert batch.quantity == 5 and set(batch.variant_ids) == {"var-1", "var-1b"}


def test_status_splits_batches_and_others_are_left_out() -> None:
    orders = [
        _order("KRFT-000001", "IN_PRODUCTION", "27T10:00:00", ("var-1", 2)),
        _order("KRFT-000002", "CONFIRMED", "28T10:00:00", ("var-1", 3)),
        _order("KRFT-000003", "READY", "20T10:00:00", ("var-1", 9)),
        _order("KRFT-000004", "REPORTED", "20T10:00:00", ("var-1", 9)),
    ]
    batches = production_batches(orders, CATALOG)
    assert [(b.status, b.quantity) for b in batches] == [("CONFIRMED", 3), ("IN_PRODUCTION", 2)]
    only = production_batches(orders, CATALOG, statuses=["IN_PRODUCTION"])
    assert [(b.status, b.quantity) for b in only] == [("IN_PRODUCTION", 2)]


def test_batches_with_the_longest_wait_come_first() -> None:
    orders = [
        _order("KRFT-000001", "CONFIRMED", "29T10:00:00", ("var-1", 1)),
        _order("KRFT-000002", "CONFIRMED", "25T10:00:00", ("var-4", 1)),
    ]
    assert [b.name for b in production_batches(orders, CATALOG)] == [
        "Taza · 11oz",
        "Franela blanca · M · white",
    ]


def test_unknown_variants_get_their_own_batch_named_by_the_order() -> None:
    orders = [
        _order("KRFT-000001", "CONFIRMED", "28T10:00:00", ("var-9", 2), name="Gorra"),
        _order("KRFT-000002", "CONFIRMED", "28T11:00:00", ("var-9", 1), name="Gorra"),
        _order("KRFT-000003", "CONFIRMED", "28T12:00:00", ("var-8", 1)),
    ]
    batches = production_batches(orders, [])
    assert [b.label for b in batches] == ["3 × Gorra · var-9", "1 × var-8"]


def test_an_order_with_several_items_is_in_each_batch() -> None:
    orders = [_order("KRFT-000001", "CONFIRMED", "28T10:00:00", ("var-1", 2), ("var-4", 1))]
    batches = production_batches(orders, CATALOG)
    assert sorted(b.label for b in batches) == ["1 × Taza · 11oz", "2 × Franela blanca · M · white"]


def test_odd_input_does_not_raise() -> None:
    orders: list[Any] = [
        {"status": "CONFIRMED", "items": None},
        {"status": "CONFIRMED", "items": [None, {"variantId": "var-1", "quantity": "3"}]},
    ]
    (batch,) = production_batches(orders, [None, {"variants": [None, {"id": 5}]}])  # type: ignore[list-item]
    assert batch.quantity == 0


def test_json_shape() -> None:
    orders = [_order("KRFT-000001", "CONFIRMED", "28T10:00:00", ("var-1", 2))]
    (data,) = batches_json(production_batches(orders, CATALOG))
    assert data["label"] == "2 × Franela blanca · M · white"
    assert data["quantity"] == 2 and data["attributes"] == ["M", "white"]
    assert data["orders"] == [
        {
            "id": "id-KRFT-000001",
            "orderNumber": "KRFT-000001",
            "status": "CONFIRMED",
            "quantity": 2,
            "createdAt": "2026-11-28T10:00:00+00:00",
        }
    ]


def test_variants_without_attributes_are_told_apart_by_sku() -> None:
    catalog = [
        {"id": "p", "name": "Franela", "variants": [{"id": "v1", "sku": "F-M"}, {"id": "v2", "sku": "F-L"}]}
    ]
    orders = [
        _order("KRFT-000001", "CONFIRMED", "28T10:00:00", ("v1", 1)),
        _order("KRFT-000002", "CONFIRMED", "28T11:00:00", ("v2", 2)),
    ]
    assert [b.label for b in production_batches(orders, catalog)] == [
        "1 × Franela · F-M",
        "2 × Franela · F-L",
    ]
