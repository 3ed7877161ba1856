"""Paper: job tickets (`/api/orders/{ident}/ticket`, `/api/tickets`) and the courier's manifest
(`/api/manifest`), for ADMIN and TALLER.

The orders are read through the order service as staff see them (database and fallback alike),
then drawn by `server.paper`; these are plain `def` routes, so rendering runs in the threadpool,
off the event loop.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BeforeValidator

from server import paper
from server.api.deps import NUL_MESSAGE, ServicesDep, StaffReader
from server.domain.errors import Invalid, NotFound, Unavailable
from server.domain.filter import OrderFilter
from server.domain.lifecycle import Status
from server.domain.localday import day_span, local_today
from server.domain.numbers import parse_number
from server.domain.principal import Principal
from server.services import Services

__all__ = ["MAX_TICKETS", "router"]

router = APIRouter(tags=["paper"])

# Tickets in one PDF: a day's batch of a busy shop, not the whole history (about 50 ms a page).
MAX_TICKETS = 200
# Statuses an order can be in once it was handed over (a handed-over order may still be cancelled).
_AFTER_HANDOVER = (Status.HANDED_TO_DELIVERY, Status.COMPLETED, Status.CANCELLED)

Size = Annotated[Literal["a6", "80mm"], Query(description="Paper: A6 sheet or an 80 mm roll.")]


def _status(value: str) -> Status:
    try:
        return Status(value.strip().upper())
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise Invalid(f"Invalid status: use one of {known}.", fields={"status": f"one of {known}"}) from None


def _pdf(content: bytes, filename: str, *, tickets: int | None = None) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    if tickets is not None:
        headers["X-Ticket-Count"] = str(tickets)
    return Response(content, media_type="application/pdf", headers=headers)


def _tickets(services: Services, orders: list[dict[str, Any]], size: str) -> bytes:
    settings = services.settings
    return paper.tickets_pdf(orders, size=size, zone=settings.timezone, now=datetime.now(UTC))


@router.get("/api/orders/{ident}/ticket", response_model=None)
def order_ticket(ident: str, services: ServicesDep, user: StaffReader, size: Size = "a6") -> Response:
    order = services.orders.get(user, ident.strip())
    return _pdf(_tickets(services, [order], size), f"ticket-{order['orderNumber']}.pdf", tickets=1)


@router.get("/api/tickets", response_model=None)
def batch_tickets(
    services: ServicesDep,
    user: StaffReader,
    number: Annotated[
        list[str],
        Query(max_length=MAX_TICKETS, description="Order numbers; give these or a status, one of the two."),
    ] = [],  # noqa: B006 - FastAPI copies it
    status: Annotated[str | None, Query(max_length=40)] = None,
    size: Size = "a6",
) -> Response:
    if number and status is not None:
        raise Invalid("Give order numbers or a status, not both.", fields={"status": "not with number"})
    if status is not None:
        wanted = _status(status)
        orders = _pages(services, user, OrderFilter(statuses=(wanted,)), "tickets", limit=MAX_TICKETS + 1)
        if len(orders) > MAX_TICKETS:
            raise Invalid(
                f"More than {MAX_TICKETS} orders are {wanted.value}: print them by number, in batches.",
                fields={"status": f"at most {MAX_TICKETS} orders"},
            )
        if not orders:
            raise NotFound(f"No {wanted.value} orders to print.")
        # Oldest first: the order they were placed in, which is the order the workshop takes them.
        orders.reverse()
        name = f"tickets-{wanted.value}.pdf"
    elif number:
        # One order typed two ways (`482031`, `KRFT-482031`) is one ticket.
        refs = dict.fromkeys(parse_number(ref) or ref.strip() for ref in number)
        orders = [services.orders.get(user, ref) for ref in refs]
        name = "tickets.pdf"
    else:
        raise Invalid(
            "Say which tickets: number=KRFT-… (repeated for several) or status=….",
            fields={"number": "an order number, or status instead"},
        )
    return _pdf(_tickets(services, orders, size), name, tickets=len(orders))


def _iso_day(value: Any) -> Any:
    # YYYY-MM-DD only: pydantic's lax dates also take a number of seconds (`date=0` was 1970-01-01).
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("must be a date like 2026-12-10")


@router.get("/api/manifest", response_model=None)
def manifest(
    services: ServicesDep,
    user: StaffReader,
    day: Annotated[
        date | None,
        BeforeValidator(_iso_day),
        Query(alias="date", description="YYYY-MM-DD, the shop's local day."),
    ] = None,
    courier: Annotated[str | None, Query(max_length=40)] = None,
    format: Annotated[Literal["pdf", "csv"], Query()] = "pdf",
) -> Response:
    zone = services.settings.timezone
    now = datetime.now(UTC)
    day = day or local_today(zone, now)
    try:
        start, end = day_span(day, zone)
    except OverflowError:
        raise Invalid(
            "Invalid date: out of range.", fields={"date": "a day between years 1 and 9999"}
        ) from None
    # An order handed over that day was last changed then or later: its updatedAt bounds the search.
    filt = OrderFilter(statuses=_AFTER_HANDOVER, updated_since=start)
    if courier and "\x00" in courier:
        # As every text the API reads (the description says so); it would only ever match nothing.
        raise Invalid("Invalid courier: must not contain NUL characters.", fields={"courier": NUL_MESSAGE})
    courier = courier.strip() if courier and courier.strip() else None
    handed = paper.handed_over(_pages(services, user, filt, "the manifest"), start, end, courier)
    rows = paper.manifest_rows(handed)
    stem = f"manifest-{day.isoformat()}"
    if format == "csv":
        return Response(
            paper.manifest_csv(rows, zone),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
        )
    pdf = paper.manifest_pdf(rows, day=day, courier=courier, zone=zone, now=now)
    return _pdf(pdf, f"{stem}.pdf")


def _pages(
    services: Services, user: Principal, filt: OrderFilter, what: str, *, limit: int | None = None
) -> list[dict[str, Any]]:
    """The orders matching `filt` (the first `limit`, or all of them, page by page).

    Only while the database answers: from the fallback alone the list would be partial, and a
    manifest the courier signs, or a batch of tickets, must not quietly miss parcels.
    """
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        size = 500 if limit is None else min(500, limit - len(found))
        page = orjson.loads(services.orders.list_page(user, filt, limit=size, cursor=cursor))
        if page.get("database") == "down":
            raise Unavailable(f"The database is down: {what} now would miss orders. Try again shortly.")
        found += page["orders"]
        cursor = page.get("nextCursor")
        if not cursor or (limit is not None and len(found) >= limit):
            return found
