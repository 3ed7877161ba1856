"""`/api/orders`: create (customers), list and get (staff and owners; a guest with its order token),
advance and plan (staff), new payment evidence (the order's customer)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from server.api.deps import (
    NUL_MESSAGE,
    ClientAddress,
    CurrentUser,
    NewOrderBody,
    OptionalUser,
    ServicesDep,
    StaffUser,
    read_json,
)
from server.api.serialize import JsonBytes
from server.domain.errors import Invalid, NotAuthenticated, RateLimited
from server.domain.filter import OrderFilter
from server.domain.lifecycle import Status
from server.domain.principal import Principal
from server.domain.schemas import AdvanceIn, PaymentIn, PlanIn, parse

__all__ = ["router"]

router = APIRouter(prefix="/api/orders", tags=["orders"])


async def _order_budget(services: ServicesDep, client: ClientAddress) -> None:
    # A dependency listed before the body's: a flood is refused before its body is read or parsed.
    if (wait := services.order_rate.hit(client)) is not None:
        raise RateLimited("Too many orders from your address; wait a minute.", retry_after=wait)


async def _key(idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None) -> str | None:
    if idempotency_key is not None and not (1 <= len(idempotency_key) <= 255):
        raise Invalid(
            "Invalid Idempotency-Key: 1 to 255 characters.", fields={"Idempotency-Key": "1 to 255 characters"}
        )
    return idempotency_key


# The order token (`POST /api/orders` answers it once): lets a guest open that one order.
OrderToken = Annotated[
    str | None,
    Header(alias="X-Order-Token", description="The orderToken of the order's 201: opens that order only."),
]


def _customer_or_token(user: Principal | None, token: str | None) -> None:
    if user is None and not token:
        raise NotAuthenticated(
            "Not logged in: send a valid krafta-token cookie or Bearer token, or the order's X-Order-Token."
        )


@router.post("", status_code=201, response_model=None)
def create_order(
    _budget: Annotated[None, Depends(_order_budget)],
    new: NewOrderBody,
    services: ServicesDep,
    owner: OptionalUser,
    idempotency_key: Annotated[str | None, Depends(_key)],
) -> JsonBytes:
    status, response = services.orders.create(
        new.body, owner=owner, idempotency_key=idempotency_key, request_hash=new.request_hash
    )
    return JsonBytes(response, status_code=status)


def _statuses(values: list[str]) -> list[Status]:
    try:
        return [Status(v.upper()) for v in values]
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise Invalid(f"Invalid status: use one of {known}.", fields={"status": f"one of {known}"}) from None


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value.strip())
        if instant.tzinfo is None:
            raise ValueError("no offset")
        return instant.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Invalid(
            "Invalid updatedSince: an ISO 8601 time with an offset, like 2026-11-26T06:20:05+00:00.",
            fields={"updatedSince": "ISO 8601 time with an offset"},
        ) from None


@router.get("", response_model=None)
def list_orders(
    services: ServicesDep,
    user: CurrentUser,
    status: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies query defaults
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Orders whose number, city, state or a payer's name contains this text, "
            "case and accents folded (maria finds María).",
        ),
    ] = None,
    limit: Annotated[int | None, Query(ge=1, le=500)] = None,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="A previous page's nextCursor, with its limit and sort (400 otherwise).",
        ),
    ] = None,
    updated_since: Annotated[str | None, Query(alias="updatedSince", max_length=64)] = None,
    stuck: Annotated[bool | None, Query()] = None,
    late: Annotated[
        bool | None, Query(description="Orders whose dueAt has passed, not yet handed over or closed.")
    ] = None,
    held: Annotated[bool | None, Query(description="Orders on hold (true) or not (false).")] = None,
    priority: Annotated[str | None, Query(max_length=16, description="normal or rush.")] = None,
    sort: Annotated[
        str | None,
        Query(
            max_length=16,
            description="due: rush first, then dueAt (none last), then oldest. Default: newest first.",
        ),
    ] = None,
    same_reference: Annotated[
        bool | None,
        Query(
            alias="sameReference",
            description="true: only orders with a payment whose reference another order's payment "
            "carries (same method and digits, leading zeros ignored); false: only the others.",
        ),
    ] = None,
) -> Any:
    statuses = _statuses(status)
    if q and "\x00" in q:
        # PostgreSQL cannot even compare text holding NUL: refuse it here rather than answer 500.
        raise Invalid("Invalid q: must not contain NUL characters.", fields={"q": NUL_MESSAGE})
    query = q.strip() or None if q else None
    now = services.orders.calendar.now()
    cutoffs = services.settings.stuck_rules.cutoffs(now) if stuck is not None else {}
    if priority is not None and priority not in ("normal", "rush"):
        raise Invalid("Invalid priority: normal or rush.", fields={"priority": "normal or rush"})
    if sort is not None and sort != "due":
        raise Invalid("Invalid sort: due (or leave it out: newest first).", fields={"sort": "due"})
    filt = OrderFilter(
        statuses=tuple(statuses),
        q=query,
        updated_since=_instant(updated_since),
        stuck=stuck,
        stuck_cutoffs=tuple(cutoffs.items()),
        late=late,
        today=services.orders.calendar.today(now) if late is not None else None,
        held=held,
        priority=priority,
        sort="due" if sort == "due" else "new",
        same_reference=same_reference,
    )
    if limit is None:
        if cursor is not None:
            raise Invalid("Invalid cursor: a cursor needs a limit.", fields={"cursor": "only with limit"})
        # The seed returns every order; stream them a page at a time so memory does not grow with the shop.
        chunks = services.orders.stream_all(user, filt)
        return StreamingResponse(chunks, media_type="application/json")
    return Response(
        services.orders.list_page(user, filt, limit=limit, cursor=cursor), media_type="application/json"
    )


@router.get("/{ident}", response_model=None)
def get_order(ident: str, services: ServicesDep, user: OptionalUser, token: OrderToken = None) -> JsonBytes:
    _customer_or_token(user, token)
    return JsonBytes({"success": True, "order": services.orders.get(user, ident.strip(), token)})


@router.post("/{ident}/payments", status_code=201, response_model=None)
async def add_payment(
    ident: str,
    request: Request,
    _budget: Annotated[None, Depends(_order_budget)],
    services: ServicesDep,
    user: OptionalUser,
    idempotency_key: Annotated[str | None, Depends(_key)],
    token: OrderToken = None,
) -> JsonBytes:
    """New payment evidence for a PENDING order (its payment was rejected), by the order's owner or
    its token's holder; a body shaped like the order's `payment`. 201 with the order, REPORTED again."""
    _customer_or_token(user, token)
    body = parse(PaymentIn, await read_json(request))
    order = await run_in_threadpool(
        services.orders.add_payment,
        user,
        ident.strip(),
        body,
        token=token,
        idempotency_key=idempotency_key,
    )
    return JsonBytes({"success": True, "order": order}, status_code=201)


@router.put("", response_model=None)
async def advance_order(request: Request, services: ServicesDep, user: StaffUser) -> JsonBytes:
    cmd = parse(AdvanceIn, await read_json(request))
    order = await run_in_threadpool(services.orders.advance, user, cmd)
    return JsonBytes({"success": True, "order": order})


@router.patch("/{ident}", response_model=None)
async def plan_order(ident: str, request: Request, services: ServicesDep, user: StaffUser) -> JsonBytes:
    body = parse(PlanIn, await read_json(request))
    order = await run_in_threadpool(services.orders.plan, user, ident.strip(), body)
    return JsonBytes({"success": True, "order": order})
