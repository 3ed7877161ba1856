"""Every error `KraftaClient` raises, and the one function that reads them off an HTTP answer.

The tree (every error of a request is a `KraftaError`; context is passed by keyword)::

    KraftaError
    ├── Unreachable(url=, reason=)        connection refused, DNS failure, timeout, dropped connection
    └── ApiError(status_code=, code=)     the server answered with an error status
        ├── NotLoggedIn                   401, or code "not_authenticated" (also a 403 on PUT)
        ├── Forbidden                     403: the caller's role may not do this
        ├── NotFound                      404
        ├── Conflict(current_status=, next_statuses=)   409: moved meanwhile / not allowed now
        ├── ValidationFailed(fields=)     400 / 413 / 415 / 422: bad input, `fields` names each culprit
        ├── RateLimited(retry_after=)     429: too many attempts
        └── ServerError                   5xx
            └── DatabaseDown              503 "unavailable": the database is down, nothing to fall back on
    UnknownName(value=, closest=)         a ValueError of parse_status / parse_role, never of a request

Errors are mapped by the body's `code` first, then by the HTTP status, because the seed makes
`PUT /api/orders` answer 403 for a missing session, where the status alone would say "forbidden".

`message` is the server's own sentence, unfiltered: whoever shows it on a terminal passes it
through `krafta_cli.view.sanitize` first (the CLI's error line and the board's toasts do).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import httpx

__all__ = [
    "ApiError",
    "Conflict",
    "DatabaseDown",
    "Forbidden",
    "KraftaError",
    "NotFound",
    "NotLoggedIn",
    "RateLimited",
    "ServerError",
    "UnknownName",
    "Unreachable",
    "ValidationFailed",
    "error_from_response",
    "json_object",
    "one_line",
]

# Longest server-provided message we keep; a proxy's HTML error page must not flood a terminal.
_MAX_MESSAGE = 300


class KraftaError(Exception):
    """Base of every error the client raises; `str(error)` is one line fit for a terminal."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Unreachable(KraftaError):
    """The server could not be reached at all (nothing listening, DNS, timeout, dropped)."""

    def __init__(self, message: str | None = None, *, url: str, reason: str = "connection refused") -> None:
        self.url = url
        self.reason = reason
        super().__init__(message or f"cannot reach {url}: {reason} — is `krafta serve` running?")


class ApiError(KraftaError):
    """The server answered with an error status; `message` is its one-sentence `error`."""

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int,
        code: str | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.body: dict[str, Any] = dict(body or {})
        super().__init__(message or _status_phrase(status_code))


class NotLoggedIn(ApiError):
    """No session, a wrong password, or a token the server rejects (expired, bad signature)."""


class Forbidden(ApiError):
    """Logged in, but the role may not do this (e.g. TALLER confirming a payment)."""


class NotFound(ApiError):
    """No such order, user or route."""


class Conflict(ApiError):
    """The order is not where the caller thought: someone moved it, or the move is not allowed now."""

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int = 409,
        code: str | None = None,
        body: Mapping[str, Any] | None = None,
        current_status: str | None = None,
        next_statuses: Sequence[str] = (),
    ) -> None:
        super().__init__(message, status_code=status_code, code=code, body=body)
        self.current_status = current_status
        self.next_statuses = list(next_statuses)


class ValidationFailed(ApiError):
    """Bad input; `fields` maps each field at fault (dotted when nested) to what is wrong."""

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int = 400,
        code: str | None = None,
        body: Mapping[str, Any] | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code, body=body)
        self.fields: dict[str, str] = dict(fields or {})


class RateLimited(ApiError):
    """Too many attempts; `retry_after` is the server's hint in seconds, when given."""

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int = 429,
        code: str | None = None,
        body: Mapping[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code, body=body)
        self.retry_after = retry_after


class ServerError(ApiError):
    """The server failed (5xx)."""


class DatabaseDown(ServerError):
    """503 "unavailable": the server answers but its database does not, and what was asked has no
    fallback (a login, the catalog) or may be in the database (an order not in the fallback)."""


_BY_CODE: dict[str, type[ApiError]] = {
    "invalid": ValidationFailed,
    "too_large": ValidationFailed,
    "not_authenticated": NotLoggedIn,
    "forbidden": Forbidden,
    "not_found": NotFound,
    "conflict": Conflict,
    "idempotency_conflict": Conflict,
    "rate_limited": RateLimited,
    "unavailable": DatabaseDown,
}

_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationFailed,
    401: NotLoggedIn,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: ValidationFailed,
    415: ValidationFailed,
    422: ValidationFailed,
    429: RateLimited,
}


class UnknownName(ValueError):
    """A status or role nobody has; `str()` names the closest one ("did you mean …?") and all of them."""

    def __init__(self, value: str, what: str, names: Sequence[str], closest: str | None) -> None:
        self.value = value
        self.closest = closest
        hint = f"did you mean {closest}? " if closest else ""
        super().__init__(f"{value!r} is not a {what}: {hint}use one of {', '.join(names)}")


def _status_phrase(status_code: int) -> str:
    try:
        return f"HTTP {status_code} {HTTPStatus(status_code).phrase}"
    except ValueError:
        return f"HTTP {status_code}"


def one_line(text: str) -> str:
    """`text` with its whitespace runs folded to one space, cut at a length a terminal line takes."""
    line = " ".join(text.split())
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 1] + "…"


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one (HTML from a proxy, empty, …)."""
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def error_from_response(response: httpx.Response) -> ApiError:
    """Turn an error response into the matching `ApiError` subclass (code first, then status)."""
    body = json_object(response) or {}
    raw_code = body.get("code")
    code = raw_code if isinstance(raw_code, str) else None
    status = response.status_code
    cls = _BY_CODE.get(code or "") or _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else ApiError
    raw_message = body.get("error")
    message = one_line(raw_message) if isinstance(raw_message, str) and raw_message.strip() else None
    if cls is Conflict:
        current = body.get("currentStatus")
        nexts = body.get("nextStatuses")
        return Conflict(
            message,
            status_code=status,
            code=code,
            body=body,
            current_status=current if isinstance(current, str) else None,
            next_statuses=[s for s in nexts if isinstance(s, str)] if isinstance(nexts, list) else [],
        )
    if cls is ValidationFailed:
        fields = body.get("fields")
        return ValidationFailed(
            message,
            status_code=status,
            code=code,
            body=body,
            fields={str(k): str(v) for k, v in fields.items()} if isinstance(fields, dict) else {},
        )
    if cls is RateLimited:
        retry = response.headers.get("Retry-After", "")
        return RateLimited(
            message,
            status_code=status,
            code=code,
            body=body,
            retry_after=int(retry) if retry.isdigit() else None,
        )
    return cls(message, status_code=status, code=code, body=body)
