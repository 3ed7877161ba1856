"""Request dependencies as `Annotated` aliases: `ServicesDep`, `ClientAddress`, `OptionalUser`,
`CurrentUser`, `StaffUser`, `AdminUser`.

There is deliberately no `SessionDep` yielding a session per request: a yield-dependency keeps its
connection checked out until the response is sent, and with sync endpoints that was measured to
stall the server under 16 concurrent clients (requests holding connections while waiting for
threads). Services open and close their sessions inside the call instead.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from server.accounts.limits import budget_key
from server.api.errors import NoStaffSession
from server.domain.errors import Forbidden, Invalid, NotAuthenticated, TooLarge, UnsupportedMedia
from server.domain.lifecycle import Role
from server.domain.principal import Principal
from server.domain.schemas import OrderIn, parse
from server.services import Services
from server.settings import MAX_BODY_BYTES

__all__ = [
    "NUL_MESSAGE",
    "TOKEN_COOKIE",
    "AdminUser",
    "ClientAddress",
    "CurrentUser",
    "NewOrder",
    "NewOrderBody",
    "OptionalUser",
    "ServicesDep",
    "StaffReader",
    "StaffUser",
    "bad_text_field",
    "body_hash",
    "parse_json",
    "read_body",
    "read_json",
    "request_user",
    "token_principal",
]

TOKEN_COOKIE = "krafta-token"
NUL_MESSAGE = "must not contain NUL (\\u0000) characters"
SURROGATE_MESSAGE = "must not contain unpaired surrogates (not valid Unicode text)"


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in the thread
# pool, and each such hop cost more than the work (measured on POST /api/orders).
async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def client_address(request: Request, services: ServicesDep) -> str:
    """Who the client is, as its budgets count it: an IPv6 client is its /64 (`limits.budget_key`)."""
    peer = request.client.host if request.client else ""
    return budget_key(services.addresses.resolve(peer, request.headers.getlist("x-forwarded-for")))


ClientAddress = Annotated[str, Depends(client_address)]


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(TOKEN_COOKIE) or None


def token_principal(request: Request, services: ServicesDep) -> Principal | None:
    """What the request's token says, checked for signature and expiry only."""
    token = _token(request)
    return services.tokens.read(token) if token else None


def optional_user(request: Request, services: ServicesDep) -> Principal | None:
    principal = token_principal(request, services)
    # The role is read again on every request so a demotion or a logout takes effect at once; while
    # the database is down, `Sessions` answers from what it last saw.
    return services.sessions.resolve(principal) if principal else None


async def request_user(request: Request, services: ServicesDep) -> Principal | None:
    """`optional_user` as a dependency: no thread hop for a request without a token."""
    principal = token_principal(request, services)
    return await run_in_threadpool(services.sessions.resolve, principal) if principal else None


OptionalUser = Annotated[Principal | None, Depends(request_user)]


async def current_user(user: OptionalUser) -> Principal:
    if user is None:
        raise NotAuthenticated("Not logged in: send a valid krafta-token cookie or Bearer token.")
    return user


CurrentUser = Annotated[Principal, Depends(current_user)]


async def staff_user(user: OptionalUser) -> Principal:
    if user is None:
        raise NoStaffSession("Not logged in: an ADMIN or TALLER session is required.")
    if user.role not in (Role.ADMIN, Role.TALLER):
        raise Forbidden(
            f"The {user.role} role may not change orders; an ADMIN or TALLER session is required."
        )
    return user


StaffUser = Annotated[Principal, Depends(staff_user)]


async def admin_user(user: CurrentUser) -> Principal:
    if user.role != Role.ADMIN:
        raise Forbidden(f"Only an ADMIN may do this; you are {user.role}.")
    return user


AdminUser = Annotated[Principal, Depends(admin_user)]


async def staff_reader(user: CurrentUser) -> Principal:
    # For staff-only reads (tickets, manifests): no session is a plain 401 here, unlike the seed's
    # 403 on `PUT /api/orders` that `StaffUser` keeps.
    if user.role not in (Role.ADMIN, Role.TALLER):
        raise Forbidden(f"Only ADMIN or TALLER staff may do this; you are {user.role}.")
    return user


StaffReader = Annotated[Principal, Depends(staff_reader)]


# Caps on what one body may hold, beyond its bytes: a 4.8 MB `{"x":[[],[],…]}` is 1.6 million lists.
MAX_CONTAINERS = 5_000  # arrays and objects (an order has a handful; 20 design views a few hundred)
MAX_VALUES = 100_000  # strings, numbers, booleans, nulls, containers


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request's bytes, refusing more than `limit` before reading them all.

    Only `application/json` is read: other types (`text/plain` above all) are what a browser sends
    cross-site without a CORS preflight, so accepting them would let any web page post here.
    """
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMedia(
            f"Send the body as Content-Type: application/json (got {media[:60] or 'none'!r})."
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"The request body is larger than {limit // (1024 * 1024)} MB.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"The request body is larger than {limit // (1024 * 1024)} MB.")
        chunks.append(chunk)
    return b"".join(chunks)


def _too_many(what: str) -> Invalid:
    return Invalid(f"The request body holds too many {what}.", fields={"body": f"too many {what}"})


def parse_json(raw: bytes) -> Any:
    """Parse and check a JSON body (CPU work: call it off the event loop, as `read_json` does)."""
    if not raw.strip():
        raise Invalid("The request body is empty; send a JSON object.", fields={"body": "required"})
    # Counted on the raw bytes before parsing (brackets inside strings count too: an upper bound).
    if raw.count(b"[") + raw.count(b"{") > MAX_CONTAINERS:
        raise _too_many("arrays and objects")
    try:
        data = json.loads(raw)
    # ValueError also covers integer literals past Python's 4,300-digit conversion limit.
    except (ValueError, RecursionError):
        raise Invalid("The request body is not valid JSON.", fields={"body": "not valid JSON"}) from None
    if (bad := bad_text_field(data)) is not None:
        where, problem = bad
        raise Invalid(f"Invalid {where}: {problem}.", fields={where: problem})
    return data


# Bodies up to this size are parsed on the event loop (tens of microseconds: cheaper than a thread
# hop); larger ones in the thread pool, so no single body stalls other requests.
INLINE_PARSE_BYTES = 16 * 1024


async def read_json(request: Request, limit: int = MAX_BODY_BYTES) -> Any:
    """The request's JSON body: read on the event loop, parsed and checked off it when large."""
    raw = await read_body(request, limit)
    if len(raw) <= INLINE_PARSE_BYTES:
        return parse_json(raw)
    return await run_in_threadpool(parse_json, raw)


@dataclass(frozen=True)
class NewOrder:
    """A validated `POST /api/orders` body and its hash (for the Idempotency-Key check)."""

    body: OrderIn
    request_hash: str


def _new_order(raw: bytes) -> NewOrder:
    data = parse_json(raw)
    body = parse(OrderIn, data)
    body.check_totals()
    return NewOrder(body, body_hash(data))


async def new_order(request: Request) -> NewOrder:
    raw = await read_body(request)
    if len(raw) <= INLINE_PARSE_BYTES:
        return _new_order(raw)
    return await run_in_threadpool(_new_order, raw)


NewOrderBody = Annotated[NewOrder, Depends(new_order)]


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
    seen = 0
    while stack:
        path, value = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise _too_many("values")
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
    try:
        canonical = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer past 64 bits in a field the order ignores
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(canonical).hexdigest()
