"""`/api/health`: is the database up, and how many orders wait in the fallback."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from server.deps import ServicesDep

__all__ = ["router"]

router = APIRouter(prefix="/api/health", tags=["health"])


@router.get("")
def health(services: ServicesDep) -> dict[str, Any]:
    up = services.db.ping()
    return {
        "status": "ok" if up else "degraded",
        "database": "up" if up else "down",
        "fallbackPending": services.store.count(),
    }
