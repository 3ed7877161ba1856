"""`/api/catalog`: products and variants (read by anyone, replaced by an ADMIN)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from server.api.deps import AdminUser, ServicesDep, read_json
from server.domain.schemas import CatalogIn, parse

__all__ = ["router"]

router = APIRouter(prefix="/api/catalog", tags=["catalog"])


@router.get("")
def list_catalog(services: ServicesDep) -> dict[str, Any]:
    return {"success": True, "products": services.catalog.list()}


@router.put("")
async def import_catalog(request: Request, services: ServicesDep, _admin: AdminUser) -> dict[str, Any]:
    catalog = parse(CatalogIn, await read_json(request))
    return await run_in_threadpool(services.catalog.upsert, catalog)
