"""Live order events (`GET /api/orders/events`, Server-Sent Events): one stream, and a follower.

* `EventStream` is one connection: iterate it for `OrderEvent`s; it ends when the server closes
  the stream and raises `Unreachable` when the connection drops. `close()` may be called from any
  thread (the board's UI thread stops its worker's stream that way).
* `follow_events` keeps a stream going: it reconnects by itself with `Last-Event-ID` (the server
  then sends exactly the events missed), waits the server's `retry:` hint and then longer between
  failed attempts, and reports each connect and drop through `on_state`, so a caller can say
  "live" or fall back to polling. Errors a retry cannot fix (not logged in, forbidden, a bad
  filter) are raised.

An event of type `resync` (no order) means "events were missed: reload, then carry on".

The wire format is read here, not by httpx-sse (issue 20 asked for it where it measures no slower):
reading an event took 9.03 µs of CPU with httpx-sse against 7.84 µs with `sse_lines` and
`parse_sse` (1.15x; medians of 9 alternating rounds, 8.91–9.23 against 7.75–8.26; 20,000 frames of
a 900-byte order through `KraftaClient.events()` over httpx.MockTransport in 16 KiB chunks:
`PARSE` in bench/libs_ab.py). The swap is on the branch `libs-sse-swap`.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from krafta_cli.client._exceptions import (
    ApiError,
    Forbidden,
    KraftaError,
    NotLoggedIn,
    Unreachable,
    ValidationFailed,
    error_from_response,
)

__all__ = [
    "CREATED",
    "RESYNC",
    "STATUS_CHANGED",
    "EventStream",
    "OrderEvent",
    "StateCallback",
    "follow_events",
    "parse_sse",
    "sse_lines",
]

CREATED = "order.created"
STATUS_CHANGED = "order.status_changed"
RESYNC = "resync"

# The server sends a comment at least every 15 s: silence for longer means the connection is dead.
READ_TIMEOUT = 45.0
MAX_BACKOFF = 30.0


@dataclass(frozen=True)
class OrderEvent:
    """One event: `order` is the order as the server shows it to us (None for `resync`)."""

    id: str | None
    type: str
    order: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        """What `krafta orders watch --json` prints: the server's data plus the event id."""
        return {"id": self.id, "type": self.type, **({"order": self.order} if self.order is not None else {})}


@dataclass
class _Frame:
    id: str | None = None
    event: str = "message"
    data: str = ""
    retry: int | None = None


def sse_lines(texts: Iterable[str]) -> Iterator[str]:
    """Lines as Server-Sent Events end them: CRLF, CR or LF, and nothing else.

    Not httpx's `iter_lines`: it also ends a line at U+2028, NEL and other separators, which the
    server's JSON carries as they are inside a customer's text — the frame would be cut in two and
    the event lost.
    """
    partial, held_cr = "", False
    for text in texts:
        if held_cr:
            text, held_cr = "\r" + text, False
        if text.endswith("\r"):
            # Maybe the first half of a CRLF split between two chunks: decided with the next one.
            text, held_cr = text[:-1], True
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        pieces = text.split("\n")
        pieces[0] = partial + pieces[0]
        partial = pieces.pop()
        yield from pieces
    if held_cr or partial:
        yield partial


def parse_sse(lines: Iterable[str]) -> Iterator[_Frame]:
    """Server-Sent Events frames from text lines (the WHATWG rules: fields, comments, blank line ends).

    A frame with only `retry:` is yielded too (event "", no data), so the caller learns the hint.
    """
    frame, seen = _Frame(), False
    data: list[str] = []
    for line in lines:
        if line == "":
            if seen:
                frame.data = "\n".join(data)
                yield frame
            frame, data, seen = _Frame(), [], False
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
            seen = True
        elif name == "event":
            frame.event, seen = value, True
        elif name == "id":
            if "\x00" not in value:
                frame.id, seen = value, True
        elif name == "retry" and value.isdigit():
            frame.retry, seen = int(value), True
            if frame.event == "message":
                frame.event = ""


def _event(frame: _Frame) -> OrderEvent | None:
    if frame.event == RESYNC:
        return OrderEvent(id=frame.id, type=RESYNC, order=None)
    if frame.event not in (CREATED, STATUS_CHANGED):
        return None  # a kind this client does not know yet: skipped, as SSE clients do
    try:
        data = json.loads(frame.data)
    except ValueError:
        return None
    order = data.get("order") if isinstance(data, dict) else None
    if not isinstance(order, dict):
        return None
    return OrderEvent(id=frame.id, type=frame.event, order=order)


class EventStream:
    """One open event stream. Use as a context manager, or call `close()`."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        base_url: str,
        token: str | None,
        status: Sequence[str] = (),
        last_event_id: str | None = None,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.base_url = base_url
        self.last_event_id = last_event_id
        self.retry_ms: int | None = None
        self._closed = threading.Event()
        self._socket: socket.socket | None = None
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        params = {"status": list(status)} if status else None
        request = http.build_request(
            "GET",
            "/api/orders/events",
            headers=headers,
            params=params,
            timeout=httpx.Timeout(10.0, read=read_timeout),
        )
        try:
            self._response = http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise Unreachable(url=base_url, reason=_reason(exc)) from exc
        if self._response.status_code >= 400:
            self._response.read()
            self._response.close()
            raise error_from_response(self._response)
        content_type = self._response.headers.get("content-type", "")
        if not content_type.startswith("text/event-stream"):
            self._response.close()
            raise ApiError(
                f"the server at {base_url} did not answer with an event stream (is it a Krafta server "
                "new enough for `watch`?)",
                status_code=self._response.status_code,
            )
        stream = self._response.extensions.get("network_stream")
        if stream is not None:
            self._socket = stream.get_extra_info("socket")

    def __iter__(self) -> Iterator[OrderEvent]:
        try:
            for frame in parse_sse(sse_lines(self._response.iter_text())):
                if frame.retry is not None:
                    self.retry_ms = frame.retry
                event = _event(frame)
                if event is None:
                    continue
                if event.id is not None:
                    self.last_event_id = event.id
                yield event
        except (httpx.TransportError, httpx.StreamError) as exc:
            if self._closed.is_set():
                return
            raise Unreachable(url=self.base_url, reason="connection lost") from exc
        finally:
            self._response.close()

    def close(self) -> None:
        """End the stream now; safe from another thread (the reading one wakes up and stops)."""
        self._closed.set()
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(Exception):
            self._response.close()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return "connection refused" if "refused" in str(exc).lower() else "cannot connect"


StateCallback = Callable[[bool, KraftaError | None], None]


def follow_events(
    open_stream: Callable[[str | None], EventStream],
    *,
    last_event_id: str | None = None,
    stop: threading.Event | None = None,
    on_state: StateCallback | None = None,
    on_open: Callable[[EventStream], None] | None = None,
) -> Iterator[OrderEvent]:
    """Events from a stream that is reopened after every drop, resuming after the last event seen.

    `open_stream(last_event_id)` opens one connection (`KraftaClient.events`). `on_state(True,
    None)` after each connect, `on_state(False, error)` after each drop. Stops when `stop` is set.
    """
    stop = stop or threading.Event()
    wait = 0.0
    while not stop.is_set():
        if wait and stop.wait(wait):
            return
        try:
            stream = open_stream(last_event_id)
        except (NotLoggedIn, Forbidden, ValidationFailed):
            raise
        except KraftaError as exc:
            if on_state:
                on_state(False, exc)
            wait = min(max(wait * 2, 1.0), MAX_BACKOFF)
            continue
        if on_open:
            on_open(stream)
        if on_state:
            on_state(True, None)
        error: KraftaError | None = None
        try:
            with stream:
                for event in stream:
                    last_event_id = stream.last_event_id
                    yield event
                    if stop.is_set():
                        return
        except Unreachable as exc:
            error = exc
        if stop.is_set():
            return
        if on_state:
            on_state(False, error)
        # The server asked for this much between reconnects; a clean end (server stopping) too.
        wait = (stream.retry_ms or 2000) / 1000
