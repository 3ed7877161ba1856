"""`GET /api/orders/events`: the live order event stream (Server-Sent Events).

Access as `GET /api/orders`: no session → 401; ADMIN and TALLER get every order's events, CLIENTE
and CREADOR only their own orders', each order as they are shown it (`domain/audience.py`); a guest
with an order's `X-Order-Token` and `?order=` that order's, as its customer. Frames:

    id: 1234                 (opaque cursor, increasing in commit order)
    event: order.status_changed
    data: {"type": "order.status_changed", "order": {...as GET /api/orders/{id} returns it...}}

plus a `retry:` hint first, `: keepalive` comments every `heartbeat_seconds`, and `event: resync`
("reload, then carry on") when a `Last-Event-ID` can no longer be resumed exactly (pruned, unknown,
or from a fallback change) or when the subscriber fell too far behind (then the stream ends).

The response is written here, not with sse-starlette (issue 20 asked for it where it measures no
slower): as an `EventSourceResponse` subclass, a frame cost 7.42 µs of CPU against 6.82 µs here
(1.09x; medians of 9 alternating rounds, 7.12–8.35 against 6.52–6.92; one stream fed 20,000
pre-encoded frames by its hub, ASGI `send` a no-op: `FRAMES` in bench/libs_ab.py). End to end the
box's noise blurs it: a 1,999-event backlog read from both servers up at once, 4 reads per figure,
9 rounds, cost 66.3 µs of server CPU per event either way; bench/results/libs-ab.md (7 rounds, one
server at a time) has 1.10x on the backlog and 1.20x on a 20-subscriber fan-out. Its own drain
on SIGTERM also polls every 0.5 s: alone, it made stopping with 3 open streams 576 ms instead of 265
(the hub's close, which `create_app` chains in front of uvicorn's handlers). The swap is on the
branch `libs-sse-swap`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from server.api.deps import OptionalUser, ServicesDep, optional_user
from server.api.routes.orders import OrderToken, _customer_or_token, _statuses
from server.api.serialize import dump
from server.domain.errors import Invalid
from server.domain.principal import Principal
from server.live import log as live_log
from server.live.events import LiveEvents
from server.live.hub import CLOSE, Resync, Subscription

__all__ = ["EventStream", "router"]

log = logging.getLogger("krafta.live")

router = APIRouter(prefix="/api/orders", tags=["events"])

RETRY_MS = 2000
# A client that has not taken a frame for this long is gone or stalled: its connection is closed.
WRITE_TIMEOUT_SECONDS = 60.0
BACKLOG_PAGE = 500


class _Stalled(Exception):
    pass


def _resync_frame(cursor: str | None) -> bytes:
    head = f"id: {cursor}\n" if cursor is not None else ""
    return f'{head}event: resync\ndata: {{"type":"resync"}}\n\n'.encode()


class EventStream(Response):
    """An endless `text/event-stream` response fed by one hub subscription."""

    media_type = "text/event-stream"

    def __init__(
        self,
        live: LiveEvents,
        viewer: Principal,
        sub: Subscription,
        *,
        resume: str | None,
        still_allowed: Callable[[], bool],
    ) -> None:
        # Not Response.__init__: it would declare a Content-Length for an empty body.
        self.status_code = 200
        self.background = None
        self.live = live
        self.viewer = viewer
        self.sub = sub
        self.resume = resume
        self.still_allowed = still_allowed
        self.init_headers(
            {
                "Cache-Control": "no-store",
                # nginx buffers proxied responses unless told otherwise; SSE must not be buffered.
                "X-Accel-Buffering": "no",
                "X-Content-Type-Options": "nosniff",
            }
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sub = self.sub
        complete = False
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_cancel_on_disconnect, receive, tasks.cancel_scope)
                try:
                    await self._stream(send, sub)
                    complete = True
                except _Stalled:
                    log.info("live subscriber %s stopped reading; closing its stream", self.viewer.id)
                tasks.cancel_scope.cancel()
            if complete:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self.live.hub.unsubscribe(sub)

    async def _write(self, send: Send, chunk: bytes) -> None:
        with anyio.move_on_after(WRITE_TIMEOUT_SECONDS) as scope:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if scope.cancelled_caught:
            raise _Stalled

    def _frame(self, change: live_log.LoggedChange) -> bytes:
        """The SSE event that tells a subscriber of a logged change."""
        # What is shown depends on the role only (visibility was checked by the subscription): one
        # encoding per role per change, however many subscribers share it.
        role = str(self.viewer.role)
        frame = change.frames.get(role)
        if frame is None:
            data = {"type": change.kind, "order": self.live.shown_to(change.order, self.viewer)}
            frame = f"id: {change.cursor}\nevent: {change.kind}\ndata: {dump(data)}\n\n".encode()
            change.frames[role] = frame
        return frame

    async def _stream(self, send: Send, sub: Subscription) -> None:
        await self._write(send, f"retry: {RETRY_MS}\n: connected\n\n".encode())
        sent_through = sub.mark
        if self.resume is not None:
            sent_through = await self._replay_backlog(send, sub)
        while True:
            item = await sub.next(self.live.heartbeat_seconds)
            if item is None:
                # Once per heartbeat: a demoted, deactivated or logged-out user's stream ends.
                if not await anyio.to_thread.run_sync(self.still_allowed):
                    return
                await self._write(send, b": keepalive\n\n")
                continue
            if item is CLOSE:
                return
            if isinstance(item, Resync):
                await self._write(send, _resync_frame(item.cursor))
                if item.drop:
                    return
                continue
            if item.origin != "fallback" and sent_through is not None and item.seq <= sent_through:
                continue  # already sent from the backlog
            await self._write(send, self._frame(item))

    async def _replay_backlog(self, send: Send, sub: Subscription) -> int | None:
        """Send the events of the changes logged after `Last-Event-ID` up to the subscription's start;
        or a resync."""
        mark, cursor = sub.mark, (self.resume or "").strip()
        db = self.live.db
        known = False
        if cursor.isdigit() and len(cursor) < 19:
            try:
                known = await anyio.to_thread.run_sync(live_log.exists, db, int(cursor))
            except Exception:
                log.warning("cannot check Last-Event-ID %s; sending resync", cursor, exc_info=True)
        if not known:
            # Pruned, never ours, or a fallback change's cursor (those are not kept): reload.
            await self._write(send, _resync_frame(None if mark is None else str(mark)))
            return mark
        after = int(cursor)
        while mark is not None and after < mark:
            batch = await anyio.to_thread.run_sync(
                functools.partial(live_log.fetch_after, db, after, limit=BACKLOG_PAGE)
            )
            for change in batch:
                if change.seq > mark:
                    break
                after = change.seq
                if sub.wants(change):
                    await self._write(send, self._frame(change))
            if len(batch) < BACKLOG_PAGE or (batch and batch[-1].seq > mark):
                break
        return max(int(cursor), mark or 0)


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            scope.cancel()
            return


@router.get("/events", response_model=None)
async def order_events(
    request: Request,
    services: ServicesDep,
    user: OptionalUser,
    status: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies query defaults
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)] = None,
    last_event_id_query: Annotated[str | None, Query(alias="lastEventId", max_length=64)] = None,
    token: OrderToken = None,
    order: Annotated[
        str | None,
        Query(max_length=64, description="With X-Order-Token: the order (uuid or number) it opens."),
    ] = None,
) -> Any:
    statuses = frozenset(s.value for s in _statuses(status))
    resume = last_event_id if last_event_id is not None else last_event_id_query
    if resume is not None and not resume.strip():
        resume = None
    if resume is not None and not resume.isprintable():
        raise Invalid(
            "Invalid Last-Event-ID: use the id of an event this stream sent.",
            fields={"Last-Event-ID": "not an event id"},
        )

    _customer_or_token(user, token)
    if user is None:
        if not order:
            raise Invalid(
                "Invalid order: with X-Order-Token, name the order it opens (?order=KRFT-482031).",
                fields={"order": "required with X-Order-Token"},
            )
        holder = await run_in_threadpool(services.orders.holder, order.strip(), token or "")
        # A token is not a session: nothing revokes it, so the stream stands while the server does.
        held = services.live.hub.subscribe(holder, statuses)
        return EventStream(services.live, holder, held, resume=resume, still_allowed=lambda: True)
    viewer = user

    def still_allowed() -> bool:
        try:
            now = optional_user(request, services)
        except Exception:
            return True  # the database is busy or down: the signed session stands, as for other requests
        return now is not None and now.id == viewer.id and now.role == viewer.role

    # Subscribed before the headers go out (a client that has the 200 misses nothing after it), and
    # here rather than in the response, so a user or a server with its most streams open gets a 429.
    sub = services.live.hub.subscribe(viewer, statuses)
    return EventStream(services.live, viewer, sub, resume=resume, still_allowed=still_allowed)
