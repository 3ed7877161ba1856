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
    "NUL_MESSAGE",
    "TOKEN_COOKIE",
    "AdminUser",
    "CurrentUser",
    "OptionalUser",
    "ServicesDep",
    "StaffUser",
    "bad_text_field",
    "body_hash",
    "read_json",
]

TOKEN_COOKIE = "krafta-token"
NUL_MESSAGE = "must not contain NUL (\\u0000) characters"
SURROGATE_MESSAGE = "must not contain unpaired surrogates (not valid Unicode text)"


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
        data = json.loads(raw)
    # ValueError also covers integer literals past Python's 4,300-digit conversion limit.
    except (ValueError, RecursionError):
        raise Invalid("The request body is not valid JSON.", fields={"body": "not valid JSON"}) from None
    if (bad := bad_text_field(data)) is not None:
        where, problem = bad
        raise Invalid(f"Invalid {where}: {problem}.", fields={where: problem})
    return data


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return NUL_MESSAGE
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE_MESSAGE
    return None


def bad_text_field(data: Any) -> tuple[str, str] | None:
    """The dotted name of a string in `data` (a key or a value) that cannot be stored, and why; or None.

    JSON allows `\\u0000` and lone surrogates (`\\ud800`) in strings. PostgreSQL refuses NUL in text
    columns, and a lone surrogate cannot be encoded as UTF-8: stored unchecked, one such order made
    every later list response fail. No field of this API has a use for either.
    Walked with a stack rather than recursion: the body may be nested as deep as the parser allows.
    """
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if problem := _text_problem(value):
                return path or "body", problem
        elif isinstance(value, dict):
            for key, child in value.items():
                if problem := _text_problem(key):
                    return path or "body", problem
                stack.append((f"{path}.{key}" if path else key, child))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), child) for i, child in enumerate(value))
    return None


def body_hash(data: Any) -> str:
    """Same JSON, same hash — whatever the key order or spacing the client used."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
