"""Production batches: what the workshop prints together, as one pure function for CLI and board.

`production_batches(orders, catalog)` groups the items of CONFIRMED and IN_PRODUCTION orders by
status, product and variant attributes ("12 × Franela blanca · M · blanco"), oldest order first
within a batch, batches with the longest-waiting order first. The status is part of the key so that
"start this batch" (mark its orders, then advance) moves every order of it one and the same step.

An order item carries its variant id and the product name at the time of the order; the variant's
attributes come from the catalog (`GET /api/catalog`). An item whose variant the catalog does not
know (renamed, removed) still gets a batch of its own, labelled with what the order says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from krafta_cli.client import Status

__all__ = ["BATCH_STATUSES", "Batch", "BatchOrder", "batches_json", "production_batches"]

BATCH_STATUSES: tuple[str, ...] = (Status.CONFIRMED, Status.IN_PRODUCTION)


@dataclass(frozen=True)
class BatchOrder:
    """One order's part of a batch."""

    id: str
    number: str
    status: str
    quantity: int
    created_at: str


@dataclass(frozen=True)
class Batch:
    status: str
    product: str
    attributes: tuple[str, ...]
    variant_ids: tuple[str, ...]
    orders: tuple[BatchOrder, ...]

    @property
    def quantity(self) -> int:
        return sum(o.quantity for o in self.orders)

    @property
    def name(self) -> str:
        """`Franela blanca · M · blanco`: the product and its variant's attribute values."""
        return " · ".join([self.product, *self.attributes])

    @property
    def label(self) -> str:
        return f"{self.quantity} × {self.name}"

    @property
    def order_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o.id for o in self.orders))


def _variants(
    catalog: Iterable[Mapping[str, Any]],
) -> dict[str, tuple[str, str, tuple[tuple[str, str], ...]]]:
    """variant id → (product id, product name, what tells the variant apart, in the catalog's order).

    What tells it apart is its attribute values; a variant without attributes is told apart by its
    SKU (or id), so two such variants of one product are never merged into one batch.
    """
    out: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {}
    for product in catalog:
        if not isinstance(product, Mapping):
            continue
        variants = product.get("variants")
        for variant in variants if isinstance(variants, list) else ():
            if not isinstance(variant, Mapping) or not isinstance(variant.get("id"), str):
                continue
            attrs = variant.get("attributes")
            pairs = tuple(
                (str(k), _text(v)) for k, v in (attrs.items() if isinstance(attrs, Mapping) else ())
            )
            if not pairs:
                pairs = (("sku", _text(variant.get("sku") or variant["id"])),)
            out[variant["id"]] = (
                str(product.get("id")),
                str(product.get("name") or product.get("id")),
                pairs,
            )
    return out


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _quantity(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def production_batches(
    orders: Iterable[Mapping[str, Any]],
    catalog: Iterable[Mapping[str, Any]] = (),
    *,
    statuses: Sequence[str] = BATCH_STATUSES,
) -> list[Batch]:
    """The batches of `orders` in `statuses` (orders in other statuses are left out)."""
    variants = _variants(catalog)
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    wanted = set(statuses)
    for order in orders:
        status = order.get("status")
        if status not in wanted:
            continue
        items = order.get("items")
        for item in items if isinstance(items, list) else ():
            if not isinstance(item, Mapping):
                continue
            variant_id = _text(item.get("variantId") or "?")
            known = variants.get(variant_id)
            if known is not None:
                product_id, product, pairs = known
                # Two variants with the same attributes are the same thing to print.
                key: tuple[Any, ...] = (status, "product", product_id, tuple(sorted(pairs)))
                attributes = tuple(v for _, v in pairs)
            else:
                product = _text(item.get("productName") or variant_id)
                key = (status, "variant", variant_id)
                attributes = (variant_id,) if item.get("productName") else ()
            group = groups.setdefault(
                key,
                {
                    "status": status,
                    "product": product,
                    "attributes": attributes,
                    "variants": {},
                    "orders": [],
                },
            )
            group["variants"][variant_id] = None
            group["orders"].append(
                BatchOrder(
                    id=_text(order.get("id") or ""),
                    number=_text(order.get("orderNumber") or order.get("id") or "?"),
                    status=str(status),
                    quantity=_quantity(item.get("quantity")),
                    created_at=_text(order.get("createdAt") or ""),
                )
            )
    batches = []
    for group in groups.values():
        members = sorted(group["orders"], key=lambda o: (o.created_at, o.number))
        batches.append(
            Batch(
                status=group["status"],
                product=group["product"],
                attributes=group["attributes"],
                variant_ids=tuple(group["variants"]),
                orders=tuple(members),
            )
        )
    # Work waiting to start (CONFIRMED) above work under way, each with the longest wait on top:
    # the list reads as "what to print next". createdAt strings are all UTC ISO, so they sort as text.
    rank = {s: i for i, s in enumerate(statuses)}
    batches.sort(key=lambda b: (rank.get(b.status, len(rank)), b.orders[0].created_at, b.name))
    return batches


def batches_json(batches: Iterable[Batch]) -> list[dict[str, Any]]:
    """The batches as `krafta orders batches --json` prints them."""
    return [
        {
            "status": b.status,
            "product": b.product,
            "attributes": list(b.attributes),
            "variantIds": list(b.variant_ids),
            "label": b.label,
            "quantity": b.quantity,
            "orders": [
                {
                    "id": o.id,
                    "orderNumber": o.number,
                    "status": o.status,
                    "quantity": o.quantity,
                    "createdAt": o.created_at,
                }
                for o in b.orders
            ],
        }
        for b in batches
    ]
