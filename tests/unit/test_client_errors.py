"""Unit tests of KraftaClient's error mapping and request shapes, over httpx.MockTransport.

These check the client's own logic (code-before-status mapping, robustness to odd bodies, the
exact request it sends). The end-to-end behaviour against a real server is in test_cli_*.py.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from krafta_cli.client import (
    ApiError,
    Conflict,
    DatabaseDown,
    Forbidden,
    KraftaClient,
    KraftaError,
    NotFound,
    NotLoggedIn,
    RateLimited,
    ServerError,
    Unreachable,
    ValidationFailed,
)

Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler, token: str | None = None) -> KraftaClient:
    return KraftaClient("http://krafta.test", token, transport=httpx.MockTransport(handler))


def replying(
    status: int, body: Any = None, *, text: str | None = None, headers: dict[str, str] | None = None
) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if text is not None:
            return httpx.Response(status, text=text, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return handler


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "invalid", ValidationFailed),
        (413, "too_large", ValidationFailed),
        (422, None, ValidationFailed),
        (401, "not_authenticated", NotLoggedIn),
        # The seed answers a missing session on PUT /api/orders with 403: the code wins.
        (403, "not_authenticated", NotLoggedIn),
        (403, "forbidden", Forbidden),
        (403, None, Forbidden),
        (404, "not_found", NotFound),
        (409, "conflict", Conflict),
        (409, "idempotency_conflict", Conflict),
        (429, "rate_limited", RateLimited),
        (503, "unavailable", DatabaseDown),
        (500, None, ServerError),
        (502, None, ServerError),
        (418, None, ApiError),
    ],
)
def test_error_mapping_by_code_then_status(status: int, code: str | None, expected: type[ApiError]) -> None:
    body: dict[str, Any] = {"success": False, "error": "something is off"}
    if code:
        body["code"] = code
    with client_for(replying(status, body)) as client, pytest.raises(ApiError) as info:
        client.health()
    assert type(info.value) is expected
    assert info.value.status_code == status
    assert info.value.code == code
    assert str(info.value) == "something is off"


def test_conflict_carries_current_and_next_statuses() -> None:
    body = {
        "success": False,
        "error": "order is IN_PRODUCTION, not CONFIRMED",
        "code": "conflict",
        "currentStatus": "IN_PRODUCTION",
        "nextStatuses": ["READY", "CANCELLED"],
    }
    with client_for(replying(409, body)) as client, pytest.raises(Conflict) as info:
        client.advance("u-1", "IN_PRODUCTION", expected="CONFIRMED")
    assert info.value.current_status == "IN_PRODUCTION"
    assert info.value.next_statuses == ["READY", "CANCELLED"]


def test_validation_carries_fields() -> None:
    body = {"success": False, "error": "bad", "code": "invalid", "fields": {"payment.reference": "required"}}
    with client_for(replying(400, body)) as client, pytest.raises(ValidationFailed) as info:
        client.create_order({})
    assert info.value.fields == {"payment.reference": "required"}


def test_rate_limited_reads_retry_after() -> None:
    body = {"success": False, "error": "too many attempts", "code": "rate_limited"}
    reply = replying(429, body, headers={"Retry-After": "42"})
    with client_for(reply) as client, pytest.raises(RateLimited) as info:
        client.login("a@b.c", "whatever-1")
    assert info.value.retry_after == 42


@pytest.mark.parametrize(
    "reply",
    [
        replying(502, text="<html><body><h1>502 Bad Gateway</h1>\n</body></html>"),
        replying(500, text=""),
        replying(404, ["not", "an", "object"]),
        replying(400, {"error": 12, "code": ["x"], "fields": "nope"}),
    ],
)
def test_odd_error_bodies_do_not_crash(reply: Handler) -> None:
    with client_for(reply) as client, pytest.raises(ApiError) as info:
        client.list_users()
    message = str(info.value)
    assert message and "\n" not in message
    assert message.startswith("HTTP ")


def test_non_json_success_is_an_error_not_a_crash() -> None:
    with client_for(replying(200, text="hello, I am nginx")) as client, pytest.raises(ApiError) as info:
        client.health()
    assert "not JSON" in str(info.value)


def test_long_server_message_is_cut_to_one_line() -> None:
    body = {"error": "line one\nline two " + "x" * 1000, "code": "invalid"}
    with client_for(replying(400, body)) as client, pytest.raises(ValidationFailed) as info:
        client.list_catalog()
    assert "\n" not in str(info.value)
    assert len(str(info.value)) <= 300


def test_connection_refused_names_the_url() -> None:
    # A port that was just free: nothing listens there, so the connection is refused for real.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with KraftaClient(url, timeout=2.0) as client, pytest.raises(Unreachable) as info:
        client.health()
    assert str(info.value) == f"cannot reach {url}: connection refused — is `krafta serve` running?"
    assert info.value.url == url
    assert isinstance(info.value, KraftaError)


def test_timeout_is_unreachable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with client_for(handler) as client, pytest.raises(Unreachable) as info:
        client.me()
    assert info.value.reason == "timed out"
    assert "http://krafta.test" in str(info.value)


def test_login_reads_token_from_cookie_and_sends_bearer_afterwards() -> None:
    seen: list[httpx.Request] = []
    reply = {
        "success": True,
        "user": {"id": "u", "email": "a@b.c", "role": "ADMIN"},
        "expiresAt": "2030-01-01T00:00:00+00:00",
    }

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/auth/login":
            cookie = "krafta-token=jwt.value.here; HttpOnly; Path=/; SameSite=lax"
            return httpx.Response(200, json=reply, headers={"Set-Cookie": cookie})
        return httpx.Response(200, json=reply)

    with client_for(handler) as client:
        result = client.login("a@b.c", "correct-horse-1")
        assert result.token == "jwt.value.here"
        assert result.user["role"] == "ADMIN"
        assert result.expires_at == "2030-01-01T00:00:00+00:00"
        me = client.me()
    assert me["email"] == "a@b.c" and me["expiresAt"] == "2030-01-01T00:00:00+00:00"
    assert json.loads(seen[0].content) == {"email": "a@b.c", "password": "correct-horse-1"}
    assert "authorization" not in seen[0].headers
    assert seen[1].headers["authorization"] == "Bearer jwt.value.here"
    # Only the Bearer header carries the session, never a cookie picked up from the login reply.
    assert "cookie" not in seen[1].headers


def test_login_without_cookie_is_an_error() -> None:
    body = {"success": True, "user": {"id": "u", "email": "a@b.c", "role": "ADMIN"}}
    with client_for(replying(200, body)) as client, pytest.raises(ApiError) as info:
        client.login("a@b.c", "pw-123456")
    assert "krafta-token" in str(info.value)
    assert client.token is None


def test_advance_always_sends_expected_status() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json={"success": True, "order": {"id": "u-1", "status": "CANCELLED"}})

    with client_for(handler, token="t") as client:
        client.advance("u-1", "IN_PRODUCTION", expected="CONFIRMED")
        client.cancel("u-1", expected="CONFIRMED", note="customer asked")
        client.advance("u-1", "REPORTED", expected="READY", note="fix", force=True)
    assert seen == [
        {"orderId": "u-1", "status": "IN_PRODUCTION", "expectedStatus": "CONFIRMED"},
        {"orderId": "u-1", "status": "CANCELLED", "expectedStatus": "CONFIRMED", "note": "customer asked"},
        {"orderId": "u-1", "status": "REPORTED", "expectedStatus": "READY", "note": "fix", "force": True},
    ]


def test_list_orders_params_and_iter_follows_cursors() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        cursor = request.url.params.get("cursor")
        if cursor is None:
            first = {"success": True, "orders": [{"id": "1"}, {"id": "2"}], "nextCursor": "c2"}
            return httpx.Response(200, json=first)
        return httpx.Response(200, json={"success": True, "orders": [{"id": "3"}], "nextCursor": None})

    with client_for(handler, token="t") as client:
        page = client.list_orders(status=["READY", "CONFIRMED"], q="Lara", limit=2)
        assert [o["id"] for o in page.orders] == ["1", "2"] and page.next_cursor == "c2"
        assert [o["id"] for o in client.iter_orders(status=["READY"], page_size=2)] == ["1", "2", "3"]
    assert seen[0].params.get_list("status") == ["READY", "CONFIRMED"]
    assert seen[0].params["q"] == "Lara" and seen[0].params["limit"] == "2"
    assert seen[2].params["cursor"] == "c2"


def test_get_order_cannot_escape_the_orders_path() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        return httpx.Response(404, json={"success": False, "error": "no such order", "code": "not_found"})

    with client_for(handler, token="t") as client:
        for ref in ("../users", "..", ".", " KRFT-000001 "):
            with pytest.raises(NotFound):
                client.get_order(ref)
        # `/api/orders/` is no order: refused before any request, not sent to be redirected.
        for blank in ("", "  "):
            with pytest.raises(ValueError, match="order number or id"):
                client.get_order(blank)
    # Dots are encoded too: httpx resolves a bare ".." / "." segment (`/api/orders/..` is `/api`).
    assert paths == [
        "/api/orders/%2E%2E%2Fusers",
        "/api/orders/%2E%2E",
        "/api/orders/%2E",
        "/api/orders/KRFT-000001",
    ]


def test_a_redirect_is_reported_as_one_not_as_a_reply_that_is_not_json() -> None:
    handler = replying(307, text="", headers={"Location": "http://krafta.test/api/orders"})
    with client_for(handler, token="t") as client, pytest.raises(ApiError) as info:
        client.list_orders()
    message = str(info.value)
    assert "not JSON" not in message
    assert "redirected GET /api/orders to http://krafta.test/api/orders (HTTP 307)" in message
    assert info.value.status_code == 307


class _HeldBody(httpx.SyncByteStream):
    """A response body that is not delivered until the test says so (`release`)."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        self.reached.set()
        assert self.release.wait(10), "the test never released the body"
        yield json.dumps({"success": True, "user": {"id": "u", "email": "a@b.c", "role": "ADMIN"}}).encode()


def test_threads_sharing_a_client_never_send_a_cookie_or_a_stale_token() -> None:
    """The board's workers share one client: one thread's reply must not leak into another's request.

    Thread A's reply sets a `krafta-token` cookie and is held after its headers arrived (httpx has
    stored its cookies by then); thread B sends requests meanwhile, after changing the token.
    """
    held = _HeldBody()
    seen: list[tuple[str, httpx.Headers]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers))
        if request.url.path == "/api/auth/me":
            cookie = "krafta-token=old.session; Path=/; HttpOnly"
            return httpx.Response(200, headers={"Set-Cookie": cookie}, stream=held)
        return httpx.Response(200, json={"status": "ok"})

    with client_for(handler, token="first") as client, ThreadPoolExecutor(max_workers=1) as pool:
        a = pool.submit(client.me)
        assert held.reached.wait(10)
        client.token = "second"
        client.health()
        client.token = None
        client.health()
        held.release.set()
        assert a.result(timeout=10)["email"] == "a@b.c"
    (_, me), (_, second), (_, dropped) = seen
    assert me["authorization"] == "Bearer first"
    assert second["authorization"] == "Bearer second"
    assert "authorization" not in dropped
    # Before, the jar kept A's cookie until A's request finished: B sent the old session along.
    assert "cookie" not in second and "cookie" not in dropped, (second, dropped)
