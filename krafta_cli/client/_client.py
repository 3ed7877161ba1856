"""`KraftaClient`: the one HTTP client for the Krafta orders API, shared by the CLI and the board.

No command or screen talks to httpx directly: they call `KraftaClient` and catch the errors of
`krafta_cli.client` (the tree is drawn in `_exceptions.py`). Wire shapes are the ones in
docs/API.md; orders stay plain dicts with the API's camelCase keys so that `--json` output is
exactly what the server sent.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from krafta_cli.client._exceptions import (
    ApiError,
    Unreachable,
    error_from_response,
    json_object,
    one_line,
)
from krafta_cli.client._vocabulary import Status

if TYPE_CHECKING:
    # Only `orders watch` and the board read events: `_events` is loaded by the methods that use it.
    from krafta_cli.client._events import EventStream, OrderEvent, StateCallback

__all__ = ["DEFAULT_TIMEOUT", "TOKEN_COOKIE", "KraftaClient", "LoginResult", "Order", "OrderPage", "Paper"]

Order = dict[str, Any]
"""One order exactly as the API returns it (see docs/API.md, "Order")."""

TOKEN_COOKIE = "krafta-token"
DEFAULT_TIMEOUT = 10.0
# Page size used by iter_orders: large enough to keep round trips few, small enough that one
# page of orders with full history stays a modest response.
_ITER_PAGE_SIZE = 200
# A rule longer than this (seconds; ten years, as the server caps it) cannot be a datetime offset.
_LONGEST_RULE = 10 * 366 * 86400


def _transport_reason(exc: httpx.TransportError) -> str:
    """A short human reason for a transport failure, e.g. "connection refused"."""
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "not an http:// or https:// URL"
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service not known" in text or "nodename nor servname" in text or "name resolution" in text:
        return "host name not found"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect" + (f" ({one_line(str(exc))})" if str(exc) else "")
    # ReadError / RemoteProtocolError: the server went away in the middle of a request.
    return "connection lost" + (f" ({one_line(str(exc))})" if str(exc) else "")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class LoginResult:
    """A successful login: the JWT (from the `krafta-token` cookie), the user, and its expiry."""

    token: str
    user: dict[str, Any]
    expires_at: str | None


@dataclass(frozen=True)
class Viewer:
    """Who is looking (`GET /api/auth/me`): the user, and what the server says their role may do.

    `moves` maps each status to where this user may move an order in it (what `nextStatuses` says
    for such an order); None when the server publishes none (an older server).
    """

    user: dict[str, Any]
    moves: dict[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class OrderPage:
    """One page of `GET /api/orders`; `next_cursor` is set only when more orders match.

    `stuck_rules` is what the server published with a staff answer (`stuckRules`): how long an
    order may sit in each status (statuses not listed are never stuck; empty when the rules are
    off). None when the answer carried none (a customer's list).

    `database_down`: the server said `"database": "down"` — its database did not answer, so the
    page holds only the orders in its fallback store: a part of the shop, never the whole.
    """

    orders: list[Order]
    next_cursor: str | None
    stuck_rules: dict[str, timedelta] | None = None
    database_down: bool = False


def _stuck_rules(value: object) -> dict[str, timedelta] | None:
    """`{"REPORTED": 86400, ...}` (seconds) as timedeltas; an entry that is not a number is skipped."""
    if not isinstance(value, Mapping):
        return None
    return {
        str(status): timedelta(seconds=seconds)
        for status, seconds in value.items()
        if isinstance(seconds, int | float) and not isinstance(seconds, bool) and 0 <= seconds < _LONGEST_RULE
    }


@dataclass(frozen=True)
class Paper:
    """A printable answer (tickets, a manifest): its bytes, the server's file name for it, and
    how many tickets it holds (None for a manifest)."""

    content: bytes
    filename: str | None
    count: int | None = None


_FILENAME = re.compile(r'filename="([A-Za-z0-9._-]{1,100})"')


def _filename(disposition: str) -> str | None:
    # Only a plain name is kept: the server's suggestion must never name another folder.
    match = _FILENAME.search(disposition)
    name = match[1] if match else None
    return name if name and not name.startswith(".") else None


# --------------------------------------------------------------------------- client


def _path_segment(value: str) -> str:
    """`value` as one percent-encoded path segment that cannot climb to another endpoint.

    quote(safe="") already encodes "/", but "." and ".." would still be dot segments that httpx
    resolves (`/api/orders/..` is `/api`), so dots are encoded too; the server decodes them back.
    """
    return quote(value, safe="").replace(".", "%2E")


class KraftaClient:
    """A synchronous client for one Krafta server, holding at most one session token.

    Use as a context manager (or call `close()`): it owns one `httpx.Client`, so connections
    are reused across calls. `transport` lets tests plug in `httpx.MockTransport`.

    One client may be shared by several threads (the board's workers): changing `token` only
    rebinds an attribute that each request reads once, and the shared `httpx.Client` is never
    mutated after construction (no default Authorization header, a cookie jar that stores nothing).
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token: str | None = None
        try:
            self._http = httpx.Client(
                base_url=self.base_url,
                timeout=httpx.Timeout(timeout),
                transport=transport,
                headers={"Accept": "application/json", "User-Agent": "krafta-cli"},
                # The Bearer header is the only credential we want to send: a cookie kept from a
                # response (the login's `krafta-token`) would keep an old session alive after the
                # token was changed or dropped, and clearing a shared jar after each response
                # races with other threads' requests. A jar that accepts no cookie cannot race.
                cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
                # A TLS context is built only for a server that speaks TLS: httpx's default loads
                # the CA bundle on every client (~24 ms of CPU measured per `krafta` command),
                # and a plain http:// shop never uses it.
                verify=self.base_url.lower().startswith("https:"),
            )
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise Unreachable(url=base_url, reason="not a valid URL") from exc
        self.token = token

    # -- session ---------------------------------------------------------------------------

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        # One attribute rebinding (atomic): a request in flight keeps the token it started with,
        # the next one uses the new token; nothing shared is edited in place.
        self._token = value or None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> KraftaClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------------------

    def _send(
        self, method: str, path: str, *, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        token = self._token  # read once: the setter may run on another thread meanwhile
        merged = dict(headers or {})
        if token:
            merged["Authorization"] = f"Bearer {token}"
        try:
            response = self._http.request(method, path, headers=merged, **kwargs)
        except httpx.TransportError as exc:
            raise Unreachable(url=self.base_url, reason=_transport_reason(exc)) from exc
        except httpx.InvalidURL as exc:
            raise Unreachable(url=self.base_url, reason="not a valid URL") from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        if response.is_redirect:
            # Redirects are not followed (httpx's default, and the Bearer header must not travel
            # to another place); say so instead of "not JSON" about the redirect's empty body.
            where = response.headers.get("Location", "?")
            raise ApiError(
                f"the server at {self.base_url} redirected {method} {response.request.url.path} "
                f"to {one_line(where)} (HTTP {response.status_code}); check the server URL",
                status_code=response.status_code,
            )
        return response

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._send(method, path, **kwargs)
        body = json_object(response)
        if body is None:
            raise ApiError(
                f"the server at {self.base_url} sent a reply that is not JSON (is it a Krafta server?)",
                status_code=response.status_code,
            )
        return body

    @staticmethod
    def _missing(body: Mapping[str, Any], key: str) -> ApiError:
        return ApiError(f"unexpected reply from the server: no {key!r} in it", status_code=200, body=body)

    def _object(self, body: Mapping[str, Any], key: str) -> dict[str, Any]:
        """`body[key]`, which the API promises is a JSON object."""
        value = body.get(key)
        if not isinstance(value, dict):
            raise self._missing(body, key)
        return value

    def _list(self, body: Mapping[str, Any], key: str) -> list[Any]:
        """`body[key]`, which the API promises is a JSON array."""
        value = body.get(key)
        if not isinstance(value, list):
            raise self._missing(body, key)
        return value

    # -- auth --------------------------------------------------------------------------------

    def login(self, email: str, password: str) -> LoginResult:
        """Log in; the token is kept on this client and returned for storage."""
        return self._new_session("/api/auth/login", {"email": email, "password": password})

    def change_password(self, current: str, new: str) -> LoginResult:
        """Change the caller's own password: every session issued before ends, this client's too, and
        the answer is a new session (kept on this client and returned for storage, as `login`)."""
        return self._new_session("/api/auth/password", {"currentPassword": current, "newPassword": new})

    def _new_session(self, path: str, payload: dict[str, Any]) -> LoginResult:
        response = self._send("POST", path, json=payload)
        body = json_object(response) or {}
        token = response.cookies.get(TOKEN_COOKIE)
        if not token:
            raise ApiError(
                f"the server did not send a {TOKEN_COOKIE} cookie",
                status_code=response.status_code,
                body=body,
            )
        user = self._object(body, "user")
        self.token = token
        expires = body.get("expiresAt")
        return LoginResult(token=token, user=user, expires_at=expires if isinstance(expires, str) else None)

    def logout(self) -> None:
        """Tell the server to end the session and forget the token here."""
        try:
            self._request("POST", "/api/auth/logout")
        finally:
            self.token = None

    def me(self) -> dict[str, Any]:
        """The current user (`id`, `email`, `role`) plus `expiresAt` when the server sends it."""
        return self.viewer().user

    def viewer(self) -> Viewer:
        """The current user (as `me`) and the moves their role may make from each status."""
        body = self._request("GET", "/api/auth/me")
        user = dict(self._object(body, "user"))
        if "expiresAt" in body:
            user["expiresAt"] = body["expiresAt"]
        moves = body.get("moves")
        if not isinstance(moves, dict):
            return Viewer(user)
        return Viewer(
            user,
            {
                str(status): tuple(t for t in targets if isinstance(t, str))
                for status, targets in moves.items()
                if isinstance(targets, list)
            },
        )

    def health(self) -> dict[str, Any]:
        return self._request("GET", "/api/health")

    # -- orders ------------------------------------------------------------------------------

    def list_orders(
        self,
        *,
        status: Sequence[str] = (),
        q: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        updated_since: str | None = None,
        stuck: bool = False,
        plan: Mapping[str, str] | None = None,
        same_reference: bool = False,
    ) -> OrderPage:
        """One page of orders, newest first; without `limit` the server returns every match.

        `updated_since` (ISO 8601 with offset) keeps only orders changed after that instant;
        `stuck` only those sitting in their status longer than the server's KRAFTA_STUCK_AFTER;
        `plan`: the planning parameters as the server takes them (`late`, `held`, `priority`,
        `sort`: `workflows.plan_params` builds them).
        """
        params: dict[str, Any] = dict(plan or {})
        if status:
            params["status"] = list(status)
        if stuck:
            params["stuck"] = "true"
        if same_reference:
            params["sameReference"] = "true"
        if q:
            params["q"] = q
        if limit is not None:
            params["limit"] = limit
        if cursor:
            params["cursor"] = cursor
        if updated_since:
            params["updatedSince"] = updated_since
        body = self._request("GET", "/api/orders", params=params)
        orders = self._list(body, "orders")
        next_cursor = body.get("nextCursor")
        return OrderPage(
            orders=orders,
            next_cursor=next_cursor if isinstance(next_cursor, str) else None,
            stuck_rules=_stuck_rules(body.get("stuckRules")),
            database_down=body.get("database") == "down",
        )

    def iter_pages(
        self,
        *,
        status: Sequence[str] = (),
        q: str | None = None,
        page_size: int = _ITER_PAGE_SIZE,
        updated_since: str | None = None,
        stuck: bool = False,
        plan: Mapping[str, str] | None = None,
        same_reference: bool = False,
    ) -> Iterator[OrderPage]:
        """Every page of matching orders, newest first, following `nextCursor` (at least one page)."""
        cursor: str | None = None
        while True:
            page = self.list_orders(
                status=status,
                q=q,
                limit=page_size,
                cursor=cursor,
                updated_since=updated_since,
                stuck=stuck,
                plan=plan,
                same_reference=same_reference,
            )
            yield page
            if not page.next_cursor or page.next_cursor == cursor:
                return
            cursor = page.next_cursor

    def iter_orders(
        self,
        *,
        status: Sequence[str] = (),
        q: str | None = None,
        page_size: int = _ITER_PAGE_SIZE,
        updated_since: str | None = None,
        stuck: bool = False,
        plan: Mapping[str, str] | None = None,
    ) -> Iterator[Order]:
        """Every matching order, newest first, fetched page by page by following `nextCursor`."""
        for page in self.iter_pages(
            status=status, q=q, page_size=page_size, updated_since=updated_since, stuck=stuck, plan=plan
        ):
            yield from page.orders

    def get_order(self, id_or_number: str) -> Order:
        """One order by uuid or number (`KRFT-482031`); ValueError when it is empty or blank."""
        ref = id_or_number.strip()
        if not ref:
            # `/api/orders/` is not an order: the server would redirect it to the list.
            raise ValueError("an order number or id is needed, not an empty string")
        body = self._request("GET", f"/api/orders/{_path_segment(ref)}")
        return self._object(body, "order")

    def advance(
        self,
        order_id: str,
        to: str,
        *,
        expected: str,
        note: str | None = None,
        force: bool = False,
        courier: str | None = None,
        tracking_number: str | None = None,
    ) -> Order:
        """Move an order to `to`; `expected` is its status as the caller saw it (409 if it moved).

        `courier` and `tracking_number` go with a move to HANDED_TO_DELIVERY (both optional).
        """
        payload: dict[str, Any] = {"orderId": order_id, "status": to, "expectedStatus": expected}
        if note:
            payload["note"] = note
        if force:
            payload["force"] = True
        if courier:
            payload["courier"] = courier
        if tracking_number:
            payload["trackingNumber"] = tracking_number
        body = self._request("PUT", "/api/orders", json=payload)
        return self._object(body, "order")

    def plan(self, id_or_number: str, changes: Mapping[str, Any], *, expected: str | None = None) -> Order:
        """Plan an order (PATCH): `changes` has any of `dueAt` (a date or None), `priority`, `hold`
        (an object, or None to release) and `note`; `expected` is its status as the caller saw it."""
        ref = id_or_number.strip()
        if not ref:
            raise ValueError("an order number or id is needed, not an empty string")
        payload = dict(changes)
        if expected:
            payload["expectedStatus"] = expected
        body = self._request("PATCH", f"/api/orders/{_path_segment(ref)}", json=payload)
        return self._object(body, "order")

    def cancel(self, order_id: str, *, expected: str, note: str) -> Order:
        return self.advance(order_id, Status.CANCELLED, expected=expected, note=note)

    # -- paper -------------------------------------------------------------------------------

    def tickets(self, refs: Sequence[str] = (), *, status: str | None = None, size: str = "a6") -> Paper:
        """Job tickets as one PDF, a page per order: for these order numbers (or ids), or every
        order in `status`."""
        params: dict[str, Any] = {"size": size}
        if refs:
            params["number"] = list(refs)
        if status:
            params["status"] = status
        return self._paper("/api/tickets", params, "application/pdf")

    def manifest(self, *, day: str | None = None, courier: str | None = None, fmt: str = "pdf") -> Paper:
        """The courier's manifest of `day` (YYYY-MM-DD; the shop's today when None) as a PDF or CSV."""
        params = {k: v for k, v in {"date": day, "courier": courier, "format": fmt}.items() if v}
        return self._paper("/api/manifest", params, "text/csv" if fmt == "csv" else "application/pdf")

    def _paper(self, path: str, params: Mapping[str, Any], media_type: str) -> Paper:
        response = self._send("GET", path, params=params, headers={"Accept": media_type})
        if response.headers.get("Content-Type", "").split(";")[0].strip() != media_type:
            raise ApiError(
                f"the server at {self.base_url} sent {response.headers.get('Content-Type', 'nothing')!r}, "
                f"not {media_type}",
                status_code=response.status_code,
            )
        count = response.headers.get("X-Ticket-Count", "")
        return Paper(
            response.content,
            _filename(response.headers.get("Content-Disposition", "")),
            int(count) if count.isdigit() else None,
        )

    def create_order(self, body: Mapping[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Submit an order as a customer would; returns `{orderId, orderNumber, status, …}`."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self._request("POST", "/api/orders", json=dict(body), headers=headers)

    def add_payment(
        self,
        id_or_number: str,
        payment: Mapping[str, Any],
        *,
        order_token: str | None = None,
        idempotency_key: str | None = None,
    ) -> Order:
        """New payment evidence for a PENDING order (its payment was rejected), as its customer: the
        order's `orderToken` (`X-Order-Token`: with it the token decides, whoever is logged in) or
        this client's session (the owner's). Returns the order as its customer sees it, REPORTED again."""
        ref = id_or_number.strip()
        if not ref:
            raise ValueError("an order number or id is needed, not an empty string")
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        if order_token:
            headers["X-Order-Token"] = order_token
        body = self._request(
            "POST", f"/api/orders/{_path_segment(ref)}/payments", json=dict(payment), headers=headers
        )
        return self._object(body, "order")

    # -- live events -------------------------------------------------------------------------

    def events(self, *, status: Sequence[str] = (), last_event_id: str | None = None) -> EventStream:
        """Open the live event stream once (see `_events.py`); iterate it for `OrderEvent`s."""
        from krafta_cli.client._events import EventStream

        return EventStream(
            self._http, base_url=self.base_url, token=self._token, status=status, last_event_id=last_event_id
        )

    def follow_events(
        self,
        *,
        status: Sequence[str] = (),
        last_event_id: str | None = None,
        stop: threading.Event | None = None,
        on_state: StateCallback | None = None,
        on_open: Callable[[EventStream], None] | None = None,
    ) -> Iterator[OrderEvent]:
        """Live events for as long as `stop` is not set, reconnecting with Last-Event-ID by itself."""
        from krafta_cli.client._events import follow_events

        return follow_events(
            lambda last: self.events(status=status, last_event_id=last),
            last_event_id=last_event_id,
            stop=stop,
            on_state=on_state,
            on_open=on_open,
        )

    # -- users and catalog -------------------------------------------------------------------

    def add_user(self, email: str, password: str, role: str) -> dict[str, Any]:
        body = self._request("POST", "/api/users", json={"email": email, "password": password, "role": role})
        return self._object(body, "user")

    def list_users(self) -> list[dict[str, Any]]:
        return self._list(self._request("GET", "/api/users"), "users")

    def deactivate_user(self, email: str) -> dict[str, Any]:
        """The account may no longer log in; its sessions and live streams end."""
        return self._object(self._request("POST", f"/api/users/{quote(email, safe='@')}/deactivate"), "user")

    def reset_password(self, email: str, password: str) -> dict[str, Any]:
        """Set another account's password (ADMIN); that account's sessions end."""
        path = f"/api/users/{quote(email, safe='@')}/password"
        return self._object(self._request("POST", path, json={"password": password}), "user")

    def issue_device_token(self, name: str, role: str, days: int) -> tuple[dict[str, Any], str]:
        """A device token: its listing and the token itself (the server shows it this once)."""
        body = self._request(
            "POST", "/api/users/device-tokens", json={"name": name, "role": role, "days": days}
        )
        token = body.get("token")
        if not isinstance(token, str) or not token:
            raise self._missing(body, "token")
        return self._object(body, "deviceToken"), token

    def list_device_tokens(self) -> list[dict[str, Any]]:
        return self._list(self._request("GET", "/api/users/device-tokens"), "deviceTokens")

    def revoke_device_token(self, device_id: str) -> dict[str, Any]:
        path = f"/api/users/device-tokens/{quote(device_id, safe='')}"
        return self._object(self._request("DELETE", path), "deviceToken")

    def import_catalog(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Upsert products and variants by id; returns `{products: N, variants: M}` counts."""
        return self._request("PUT", "/api/catalog", json=dict(data))

    def list_catalog(self) -> list[dict[str, Any]]:
        return self._list(self._request("GET", "/api/catalog"), "products")
