"""`/api/health`: is the database up and taking writes, and how many orders wait in the fallback."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from server.api.deps import ServicesDep

__all__ = ["router"]

router = APIRouter(prefix="/api/health", tags=["health"])


@router.get("")
def health(services: ServicesDep) -> dict[str, Any]:
    up = services.db.ping()
    # A read probe passes while SQLite refuses writes (locked, disk full, read-only): the outcome of
    # the last real write says whether orders reach the database, and while it failed a write is
    # tried again here (every 2 s at most), so a recovered database is reported ok within seconds
    # even when no order or login writes meanwhile.
    if up:
        services.db.recheck_writes()
    writes_ok = up and services.db.write_failed_at is None
    return {
        "status": "ok" if up and writes_ok else "degraded",
        "database": "up" if up else "down",
        "writes": "ok" if writes_ok else "failing",
        "fallbackPending": services.store.count(),
    }


# Load balancers and uptime checks often probe with HEAD: same checks, no body (left out of the
# OpenAPI description, where it would only repeat GET).
@router.head("", include_in_schema=False)
def health_head(services: ServicesDep) -> dict[str, Any]:
    return health(services)
