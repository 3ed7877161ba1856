"""Plain ASGI middleware (no BaseHTTPMiddleware: it would buffer streamed lists and cost a task per
request): response headers every API answer carries, and a deadline for request bodies."""

from __future__ import annotations

import math

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.domain.errors import BodyTimeout

__all__ = ["BodyDeadline", "SecurityHeaders"]

_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store")]


class SecurityHeaders:
    """`X-Content-Type-Options: nosniff` and `Cache-Control: no-store` on every `/api` answer.

    Answers hold addresses and payment details: no cache (a browser's, a shared proxy's) may keep
    them, and no browser may guess a script or page out of a JSON body. A header the route set
    itself (an event stream's own Cache-Control) is left as it is.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in _HEADERS if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() not in (b"", b"0")):
            return True
    return False


class BodyDeadline:
    """A request body must have arrived `seconds` after the request started, else 408.

    Without it a client trickling a byte at a time held a connection (and a parsing task) for as long
    as it liked: 1,000 such clients stayed connected for 70+ s. The deadline covers the whole body,
    not each chunk, so trickling cannot reset it. Reading past it raises `BodyTimeout`, which the error
    handlers turn into the 408 answer.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.seconds or math.isinf(self.seconds) or not _has_body(scope):
            # No body announced (GET, an event stream): nothing to wait for, and a long-lived answer's
            # later receive() calls (waiting for the disconnect) must never meet a deadline.
            await self.app(scope, receive, send)
            return
        deadline = anyio.current_time() + self.seconds
        body_done = False

        async def receive_by_deadline() -> Message:
            nonlocal body_done
            if body_done:
                # After the body only a disconnect can come (SSE and streamed answers wait for it).
                return await receive()
            remaining = deadline - anyio.current_time()
            if remaining <= 0:
                raise BodyTimeout(f"The request body did not arrive within {self.seconds:g} s.")
            with anyio.move_on_after(remaining):
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    body_done = True
                return message
            raise BodyTimeout(f"The request body did not arrive within {self.seconds:g} s.")

        await self.app(scope, receive_by_deadline, send)
