"""The client's reading of the event stream: the SSE parser, and the follower's reconnect rules
(with `httpx.MockTransport`: these are the client's decisions, not the server's behaviour)."""

from __future__ import annotations

import json
import threading

import httpx
import pytest

from krafta_cli.client import RESYNC, KraftaClient, NotLoggedIn, OrderEvent
from krafta_cli.client._events import parse_sse, sse_lines

ORDER = {"id": "o1", "orderNumber": "KRFT-000001", "status": "CONFIRMED"}


def _frame(event_id: str, kind: str, order: dict[str, object]) -> str:
    return f"id: {event_id}\nevent: {kind}\ndata: {json.dumps({'type': kind, 'order': order})}\n\n"


def test_parser_follows_the_sse_rules() -> None:
    text = (
        "retry: 2000\n: connected\n\n"
        ": keepalive\n\n"
        'id: 7\nevent: order.created\ndata: {"a":\ndata: 1}\n\n'
        'event: resync\ndata:{"type":"resync"}\n\n'
        "id: bad\x00id\nevent: x\ndata: y\n\n"
    )
    frames = list(parse_sse(text.split("\n")))
    assert frames[0].retry == 2000
    assert (frames[1].id, frames[1].event, frames[1].data) == ("7", "order.created", '{"a":\n1}')
    assert (frames[2].event, frames[2].data) == ("resync", '{"type":"resync"}')
    assert frames[3].id is None  # an id holding NUL is ignored, as the standard says
    assert len(frames) == 4


@pytest.mark.parametrize("cut", [1, 2, 3, 7, 64])
def test_lines_end_at_crlf_cr_or_lf_only_however_the_chunks_fall(cut: int) -> None:
    text = "a\r\nb\rc\nd\u2028e\x85f\x1cg\r\n\r\nh\r"
    chunks = [text[i : i + cut] for i in range(0, len(text), cut)]

    assert list(sse_lines(chunks)) == ["a", "b", "c", "d\u2028e\x85f\x1cg", "", "h"]


def test_a_customers_line_separator_does_not_cut_the_event() -> None:
    # The server's JSON carries U+2028 and NEL as they are; httpx's iter_lines would end a line there.
    order = {**ORDER, "shippingAddress": "Calle 1\u2028Casa 2\x85Piso 3"}
    data = json.dumps({"type": "order.created", "order": order}, ensure_ascii=False)
    body = f"retry: 2000\r\n\r\nid: 1\r\nevent: order.created\r\ndata: {data}\r\n\r\n"
    payload = body.encode()
    chunks = [payload[i : i + 5] for i in range(0, len(payload), 5)]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(chunks))

    with _client(httpx.MockTransport(handler)) as client, client.events() as stream:
        assert list(stream) == [OrderEvent("1", "order.created", order)]


def _client(handler: httpx.MockTransport) -> KraftaClient:
    return KraftaClient("http://krafta.test", "token", transport=handler)


def test_events_yields_orders_and_resync_and_skips_unknown_kinds() -> None:
    body = (
        "retry: 1500\n\n"
        + _frame("1", "order.created", ORDER)
        + "id: 2\nevent: order.archived\ndata: {}\n\n"
        + 'id: 3\nevent: resync\ndata: {"type":"resync"}\n\n'
    )

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer token"
        assert request.url.params.get_list("status") == ["READY"]
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, text=body)

    with _client(httpx.MockTransport(handler)) as client, client.events(status=["READY"]) as stream:
        got = list(stream)
        assert stream.retry_ms == 1500
        assert stream.last_event_id == "3"
    assert got == [OrderEvent("1", "order.created", ORDER), OrderEvent("3", RESYNC, None)]


def test_follow_reconnects_with_the_last_event_id_and_reports_each_state() -> None:
    seen_ids: list[str | None] = []
    stop = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        seen_ids.append(request.headers.get("last-event-id"))
        if len(seen_ids) == 1:
            body = "retry: 1\n\n" + _frame("5", "order.created", ORDER)
        elif len(seen_ids) == 2:
            raise httpx.ConnectError("connection refused")
        else:
            body = _frame("6", "order.status_changed", ORDER)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, text=body)

    states: list[bool] = []
    with _client(httpx.MockTransport(handler)) as client:
        got = []
        for event in client.follow_events(stop=stop, on_state=lambda up, _: states.append(up)):
            got.append(event.id)
            if len(got) == 2:
                stop.set()
    assert got == ["5", "6"]
    assert seen_ids == [None, "5", "5"]
    assert states == [True, False, False, True]


def test_follow_gives_up_at_once_when_not_logged_in() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"success": False, "error": "Not logged in."})

    with _client(httpx.MockTransport(handler)) as client, pytest.raises(NotLoggedIn):
        next(iter(client.follow_events()))


def test_an_answer_that_is_not_an_event_stream_is_an_error_not_a_hang() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"success": True, "order": ORDER})

    with _client(httpx.MockTransport(handler)) as client, pytest.raises(Exception, match="event stream"):
        client.events()
