"""A Server-Sent Events reader for tests: reads a live stream in a thread, events land in a queue.

Deliberately not the product's client (`krafta_cli`): the server tests check the wire format, so
they parse it themselves, line by line as the SSE standard says.
"""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["SSEEvent", "Subscriber"]


@dataclass
class SSEEvent:
    id: str | None
    event: str
    data: str
    received_at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> Any:
        return json.loads(self.data)


class Subscriber:
    """`GET /api/orders/events` as one client; `start()` returns once the server has subscribed it."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        last_event_id: str | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        headers = {"Accept": "text/event-stream", **(headers or {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.client = httpx.Client(
            base_url=base_url, headers=headers, timeout=httpx.Timeout(30, read=None), verify=False
        )
        self.params = params or {}
        self.events: queue.Queue[SSEEvent] = queue.Queue()
        self.comments: list[str] = []
        self.retry: int | None = None
        self.status: int | None = None
        self.content_type = ""
        self.ended = threading.Event()  # the server closed the stream
        self._connected = threading.Event()
        self._socket: socket.socket | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)

    def start(self, timeout: float = 10) -> Subscriber:
        self._thread.start()
        assert self._connected.wait(timeout), "the event stream did not open"
        return self

    def _read(self) -> None:
        try:
            with self.client.stream("GET", "/api/orders/events", params=self.params) as response:
                self.status = response.status_code
                self._socket = response.extensions["network_stream"].get_extra_info("socket")
                self.content_type = response.headers.get("content-type", "")
                if response.status_code != 200:
                    response.read()
                    self._connected.set()
                    return
                fields: dict[str, str] = {}
                data: list[str] = []
                for line in response.iter_lines():
                    if line == "":
                        if data or fields.get("event"):
                            event = SSEEvent(
                                fields.get("id"), fields.get("event", "message"), "\n".join(data)
                            )
                            self.events.put(event)
                        fields, data = {}, []
                        continue
                    if line.startswith(":"):
                        self.comments.append(line[1:].strip())
                        self._connected.set()
                        continue
                    name, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    if name == "data":
                        data.append(value)
                    elif name == "retry":
                        self.retry = int(value)
                    else:
                        fields[name] = value
            self.ended.set()
        except (httpx.HTTPError, RuntimeError, ValueError):
            pass  # closed by the test
        finally:
            self._connected.set()

    def next(self, timeout: float = 5) -> SSEEvent:
        return self.events.get(timeout=timeout)

    def take(self, n: int, timeout: float = 5) -> list[SSEEvent]:
        deadline = time.monotonic() + timeout
        return [self.events.get(timeout=max(0.01, deadline - time.monotonic())) for _ in range(n)]

    def quiet_for(self, seconds: float) -> bool:
        """True when no event arrives within `seconds`."""
        try:
            self.events.get(timeout=seconds)
        except queue.Empty:
            return True
        return False

    def close(self) -> None:
        # Shut the socket down: the reading thread wakes at once and the server sees the disconnect.
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)
        self.client.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Subscriber:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
