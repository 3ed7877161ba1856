"""The HTTP/1.1 protocol `krafta serve` runs: uvicorn's own (httptools when installed, else h11) with
a deadline for request headers.

uvicorn closes a connection that stays idle between requests (keep-alive), but has no limit on how
long a request's headers may take to arrive: a client that opens a connection and sends nothing, or
a header line now and then, holds it for as long as it likes (1,500 such connections were still open
after 73 s). Here every request's headers must be complete `seconds` after the connection opened or
after the first byte of the request arrived; else the connection is closed. The request *body* has
its own deadline (`middleware.BodyDeadline`, 408).

"Headers complete" is read off the protocol's request cycle, which both uvicorn implementations
create when a request's headers have been parsed: while it is the same object as when the deadline
was set, the headers have not arrived.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

__all__ = ["with_header_deadline"]

log = logging.getLogger("krafta.server")


def with_header_deadline(seconds: float) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol class, closing a connection whose request headers take over `seconds`
    (0: no deadline, uvicorn's own class)."""
    if not seconds > 0:
        return AutoHTTPProtocol
    base: Any = AutoHTTPProtocol

    class HeaderDeadline(base):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._deadline: asyncio.TimerHandle | None = None
            self._waiting_since: object = None  # the request cycle when the deadline was set

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._set_deadline()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._deadline is not None:
                if self.cycle is not self._waiting_since:
                    self._clear_deadline()  # the headers are in
            elif self.cycle is None or self.cycle.response_complete:
                # The first bytes of a next request on a kept-alive connection: a new cycle has not
                # begun, so its headers are still incomplete (a complete one starts a cycle at once).
                self._set_deadline()

        def connection_lost(self, exc: Exception | None) -> None:
            self._clear_deadline()
            super().connection_lost(exc)

        def _set_deadline(self) -> None:
            self._waiting_since = self.cycle
            self._deadline = self.loop.call_later(seconds, self._expired)

        def _clear_deadline(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if self.cycle is self._waiting_since and not self.transport.is_closing():
                peer = self.client[0] if self.client else "?"
                log.info("closing a connection from %s: no complete request headers in %g s", peer, seconds)
                self.transport.close()

    return HeaderDeadline
