"""`/api/auth`: login (sets the `krafta-token` cookie), logout, me."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from server.accounts.auth import MAX_CONCURRENT_HASHES
from server.api.deps import TOKEN_COOKIE, ClientAddress, CurrentUser, ServicesDep, read_json, token_principal
from server.domain.errors import Forbidden
from server.domain.lifecycle import moves_of
from server.domain.schemas import LoginIn, PasswordChangeIn, parse
from server.domain.shape import iso
from server.services import Services
from server.storage.models import User

__all__ = ["router"]

router = APIRouter(prefix="/api/auth", tags=["auth"])


def _login_threads(request: Request) -> anyio.CapacityLimiter:
    # Logins wait for one of a few hash slots (auth.py); this keeps the waiting ones off the shared
    # worker threads, so a login storm queues on its own and orders keep being taken.
    state = request.app.state
    if getattr(state, "login_threads", None) is None:
        state.login_threads = anyio.CapacityLimiter(2 * MAX_CONCURRENT_HASHES)
    limiter: anyio.CapacityLimiter = state.login_threads
    return limiter


@router.post("/login")
async def login(
    request: Request, response: Response, services: ServicesDep, client: ClientAddress
) -> dict[str, Any]:
    creds = parse(LoginIn, await read_json(request, limit=64 * 1024))
    user = await anyio.to_thread.run_sync(
        services.users.authenticate, creds.email, creds.password, client, limiter=_login_threads(request)
    )
    return _session(request, response, services, user)


def _session(request: Request, response: Response, services: Services, user: User) -> dict[str, Any]:
    """A new token for `user` in its current sessions generation: the cookie, and the answer."""
    token, expires = services.tokens.issue(
        user_id=user.id, email=user.email, role=user.role, generation=user.sessions_generation or 0
    )
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


@router.post("/password")
async def change_password(
    request: Request, response: Response, services: ServicesDep, caller: CurrentUser
) -> dict[str, Any]:
    """The caller's own password: the current one is checked, every session issued before ends
    (this one included), and the answer carries a new session as a login does."""
    if caller.device:
        raise Forbidden("A device token has no password.")
    change = parse(PasswordChangeIn, await read_json(request, limit=64 * 1024))
    user = await anyio.to_thread.run_sync(
        services.users.change_password,
        caller.id,
        change.current_password,
        change.new_password,
        limiter=_login_threads(request),
    )
    services.live.hub.end_streams(user.id)
    return _session(request, response, services, user)


@router.post("/logout")
async def logout(request: Request, response: Response, services: ServicesDep) -> dict[str, Any]:
    # The token itself is revoked (by its jti), not only the cookie: a copy of it stops working too.
    principal = token_principal(request, services)
    if principal is not None:
        await run_in_threadpool(services.sessions.revoke, principal)
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return {"success": True}


@router.get("/me")
def me(user: CurrentUser) -> dict[str, Any]:
    return {
        "success": True,
        "user": {"id": user.id, "email": user.email, "role": user.role},
        "expiresAt": iso(user.expires_at),
        # What this role may do from each status: a board's columns are known before its orders are.
        "moves": moves_of(user.role),
    }
