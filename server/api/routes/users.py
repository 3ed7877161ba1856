"""`/api/users`: accounts, ADMIN only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from server.api.deps import AdminUser, ServicesDep, read_json
from server.domain.schemas import UserIn, parse

__all__ = ["router"]

router = APIRouter(prefix="/api/users", tags=["users"])


@router.post("", status_code=201)
async def add_user(request: Request, services: ServicesDep, _admin: AdminUser) -> JSONResponse:
    new = parse(UserIn, await read_json(request, limit=64 * 1024))
    user = await run_in_threadpool(
        services.users.create, email=new.email, password=new.password, role=new.role
    )
    return JSONResponse({"success": True, "user": user}, status_code=201)


@router.get("")
def list_users(services: ServicesDep, _admin: AdminUser) -> dict[str, Any]:
    return {"success": True, "users": services.users.list()}
