"""Request dependencies as `Annotated` aliases: `ServicesDep`, `OptionalUser`, `CurrentUser`, `StaffUser`,
`AdminUser`.

There is deliberately no `SessionDep` yielding a session per request: a yield-dependency keeps its
connection checked out until the response is sent, and with sync endpoints that was measured to
stall the server under 16 concurrent clients (requests holding connections while waiting for
threads). Services open and close their sessions inside the call instead.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import Depends, Request

from server.auth import Principal
from server.db import is_unavailable
from server.errors import Forbidden, Invalid, NotAuthenticated, TooLarge
from server.lifecycle import Role
from server.services import Services
from server.settings import MAX_BODY_BYTES

__all__ = [
    "TOKEN_COOKIE",
    "AdminUser",
    "CurrentUser",
    "OptionalUser",
    "ServicesDep",
    "StaffUser",
    "body_hash",
    "read_json",
]

TOKEN_COOKIE = "krafta-token"


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(TOKEN_COOKIE) or None


def optional_user(request: Request, services: ServicesDep) -> Principal | None:
    token = _token(request)
    principal = services.tokens.read(token) if token else None
    if principal is None:
        return None
    # The role is read again on every request so a demotion takes effect at once; while the database
    # is down the signed role stands in, so staff can keep working against the fallback.
    try:
        user = services.users.current(principal.id)
    except Exception as error:
        if is_unavailable(error):
            return principal
        raise
    if user is None or not user.active:
        return None
    return Principal(id=user.id, email=user.email, role=user.role, expires_at=principal.expires_at)


OptionalUser = Annotated[Principal | None, Depends(optional_user)]


def current_user(user: OptionalUser) -> Principal:
    if user is None:
        raise NotAuthenticated("Not logged in: send a valid krafta-token cookie or Bearer token.")
    return user


CurrentUser = Annotated[Principal, Depends(current_user)]


def staff_user(user: OptionalUser) -> Principal:
    # The seed answers 403 (not 401) when PUT has no valid ADMIN or TALLER session; the code says which.
    if user is None:
        raise NotAuthenticated("Not logged in: an ADMIN or TALLER session is required.", status_code=403)
    if user.role not in (Role.ADMIN, Role.TALLER):
        raise Forbidden(
            f"The {user.role} role may not change orders; an ADMIN or TALLER session is required."
        )
    return user


StaffUser = Annotated[Principal, Depends(staff_user)]


def admin_user(user: CurrentUser) -> Principal:
    if user.role != Role.ADMIN:
        raise Forbidden(f"Only an ADMIN may do this; you are {user.role}.")
    return user


AdminUser = Annotated[Principal, Depends(admin_user)]


async def read_json(request: Request, limit: int = MAX_BODY_BYTES) -> Any:
    """The request's JSON body, refusing more than `limit` bytes before reading them all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"The request body is larger than {limit // (1024 * 1024)} MB.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"The request body is larger than {limit // (1024 * 1024)} MB.")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise Invalid("The request body is empty; send a JSON object.", fields={"body": "required"})
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise Invalid("The request body is not valid JSON.", fields={"body": "not valid JSON"}) from None


def body_hash(data: Any) -> str:
    """Same JSON, same hash — whatever the key order or spacing the client used."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
