"""The catalog: products and variants with their base prices, used by the order price check."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.domain.schemas import CatalogIn
from server.domain.shape import money
from server.storage.db import Database
from server.storage.models import Product, ProductVariant

__all__ = ["CatalogService"]


class CatalogService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list(self) -> list[dict[str, Any]]:
        with self.db.session() as session:
            products = session.scalars(
                select(Product).options(selectinload(Product.variants)).order_by(Product.id)
            )
            return [
                {
                    "id": p.id,
                    "name": p.name,
                    "active": p.active,
                    "variants": [
                        {
                            "id": v.id,
                            "sku": v.sku,
                            "basePrice": money(v.base_price),
                            "attributes": v.attributes,
                            "active": v.active,
                        }
                        for v in p.variants
                    ],
                }
                for p in products
            ]

    def upsert(self, catalog: CatalogIn) -> dict[str, Any]:
        """Insert or update every product and variant by id, in one transaction."""
        variants = 0
        with self.db.write() as session:
            for p in catalog.products:
                product = session.get(Product, p.id) or Product(id=p.id)
                product.name, product.active = p.name, p.active
                session.add(product)
                session.flush()
                for v in p.variants:
                    variant = session.get(ProductVariant, v.id) or ProductVariant(id=v.id)
                    variant.product_id, variant.sku, variant.base_price = p.id, v.sku, v.base_price
                    variant.attributes, variant.active = v.attributes, v.active
                    session.add(variant)
                    variants += 1
        return {"success": True, "products": len(catalog.products), "variants": variants}
