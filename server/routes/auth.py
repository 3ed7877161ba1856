"""`/api/auth`: login (sets the `krafta-token` cookie), logout, me."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from server.deps import TOKEN_COOKIE, CurrentUser, ServicesDep, read_json
from server.schemas import LoginIn, parse
from server.serialize import iso

__all__ = ["router"]

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login")
async def login(request: Request, response: Response, services: ServicesDep) -> dict[str, Any]:
    creds = parse(LoginIn, await read_json(request, limit=64 * 1024))
    user = await run_in_threadpool(services.users.authenticate, creds.email, creds.password)
    token, expires = services.tokens.issue(user_id=user.id, email=user.email, role=user.role)
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=int(services.tokens.ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return {
        "success": True,
        "user": {"id": user.id, "email": user.email, "role": user.role},
        "expiresAt": iso(expires),
    }


@router.post("/logout")
def logout(response: Response) -> dict[str, Any]:
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return {"success": True}


@router.get("/me")
def me(user: CurrentUser) -> dict[str, Any]:
    return {
        "success": True,
        "user": {"id": user.id, "email": user.email, "role": user.role},
        "expiresAt": iso(user.expires_at),
    }
