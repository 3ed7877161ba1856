"""`/api/users`: accounts and device tokens, ADMIN only.

Deactivating an account or resetting its password ends its sessions (`UserService`: the account's
sessions generation moves on) and its live event streams on this server at once; device tokens are
`server/accounts/devices.py`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from server.api.deps import AdminUser, ServicesDep, read_json
from server.domain.errors import Forbidden
from server.domain.schemas import DeviceTokenIn, PasswordResetIn, UserIn, parse
from server.services import Services

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


def _sessions_ended(services: Services, user: dict[str, Any]) -> None:
    services.sessions.forget_sessions(user["id"])
    services.live.hub.end_streams(user["id"])


@router.post("/device-tokens", status_code=201)
async def issue_device_token(request: Request, services: ServicesDep, admin: AdminUser) -> JSONResponse:
    new = parse(DeviceTokenIn, await read_json(request, limit=64 * 1024))
    device, token = await run_in_threadpool(
        services.devices.issue, name=new.name, role=new.role, days=new.days, created_by=admin.email
    )
    # The token is in this answer only: the server keeps its row, never the token.
    return JSONResponse({"success": True, "deviceToken": device, "token": token}, status_code=201)


@router.get("/device-tokens")
def list_device_tokens(services: ServicesDep, _admin: AdminUser) -> dict[str, Any]:
    return {"success": True, "deviceTokens": services.devices.list()}


@router.delete("/device-tokens/{device_id}")
def revoke_device_token(device_id: str, services: ServicesDep, _admin: AdminUser) -> dict[str, Any]:
    device = services.devices.revoke(device_id)
    _sessions_ended(services, device)
    return {"success": True, "deviceToken": device}


@router.post("/{email}/deactivate")
def deactivate_user(email: str, services: ServicesDep, admin: AdminUser) -> dict[str, Any]:
    if email.strip().lower() == admin.email.lower():
        # The last ADMIN locking the shop out of its own accounts is a mistake nobody means.
        raise Forbidden("You may not deactivate your own account; another ADMIN may.")
    user = services.users.deactivate(email)
    _sessions_ended(services, user)
    return {"success": True, "user": user}


@router.post("/{email}/password")
async def reset_password(
    email: str, request: Request, services: ServicesDep, _admin: AdminUser
) -> dict[str, Any]:
    new = parse(PasswordResetIn, await read_json(request, limit=64 * 1024))
    user = await run_in_threadpool(services.users.reset_password, email, new.password)
    _sessions_ended(services, user)
    return {"success": True, "user": user}
