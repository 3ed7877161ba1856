"""The server's error tree: every refusal carries an `ErrorCode`; `server.api.errors` maps each code
to its HTTP status (one table) and turns the error into the JSON answer (one handler).

    ApiError                 error                   a failure of the server itself
    ├── Invalid              invalid                 bad input; `fields` names each field at fault
    ├── NotAuthenticated     not_authenticated       no session, or an invalid/expired token
    ├── Forbidden            forbidden               the caller's role may not do this
    ├── NotFound             not_found
    ├── Conflict             conflict                status conflict; carries currentStatus and nextStatuses
    ├── SameReference        same_reference          confirming a payment whose reference another order has
    ├── IdempotencyConflict  idempotency_conflict    an Idempotency-Key reused with another body
    ├── NotStored            not_stored              a new order could not be stored after several tries
    ├── AlreadyExists        exists                  an account with this email exists
    ├── BodyTimeout          timeout                 the request body did not arrive in time
    ├── TooLarge             too_large
    ├── UnsupportedMedia     unsupported_media_type  a JSON endpoint sent something that is not JSON
    ├── RateLimited          rate_limited            carries how long to wait
    └── Unavailable          unavailable             the database is down and there is no fallback for this

Every body is `{"success": false, "error": ..., "code": ...}` plus what the subclass adds. The domain
says *what* was refused; which HTTP status and headers say it is the edge's business.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = [
    "AlreadyExists",
    "ApiError",
    "BodyTimeout",
    "Conflict",
    "ErrorCode",
    "Forbidden",
    "IdempotencyConflict",
    "Invalid",
    "NotAuthenticated",
    "NotFound",
    "NotStored",
    "RateLimited",
    "SameReference",
    "TooLarge",
    "Unavailable",
    "UnsupportedMedia",
    "validation_to_invalid",
]


class ErrorCode(StrEnum):
    """The `code` of an error answer: what clients branch on (docs/API.md lists them)."""

    ERROR = "error"
    INVALID = "invalid"
    NOT_AUTHENTICATED = "not_authenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    SAME_REFERENCE = "same_reference"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    NOT_STORED = "not_stored"
    EXISTS = "exists"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"


class ApiError(Exception):
    """An error the server answers with: a code and one sentence."""

    code = ErrorCode.ERROR

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        if code is not None:
            self.code = code
        self.message = message
        super().__init__(message)

    def body(self) -> dict[str, Any]:
        return {"success": False, "error": self.message, "code": self.code.value}


class Invalid(ApiError):
    code = ErrorCode.INVALID

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}

    def body(self) -> dict[str, Any]:
        return {**super().body(), "fields": self.fields}


class NotAuthenticated(ApiError):
    code = ErrorCode.NOT_AUTHENTICATED


class Forbidden(ApiError):
    code = ErrorCode.FORBIDDEN


class NotFound(ApiError):
    code = ErrorCode.NOT_FOUND


class Conflict(ApiError):
    code = ErrorCode.CONFLICT

    def __init__(self, message: str, *, current_status: str, next_statuses: list[str]) -> None:
        super().__init__(message)
        self.current_status = current_status
        self.next_statuses = next_statuses

    def body(self) -> dict[str, Any]:
        return {**super().body(), "currentStatus": self.current_status, "nextStatuses": self.next_statuses}


class SameReference(ApiError):
    """A confirmation without `force` of a payment whose reference other orders' payments carry."""

    code = ErrorCode.SAME_REFERENCE

    def __init__(self, message: str, *, numbers: list[str]) -> None:
        super().__init__(message)
        self.numbers = numbers

    def body(self) -> dict[str, Any]:
        return {**super().body(), "sameReference": self.numbers}


class IdempotencyConflict(ApiError):
    code = ErrorCode.IDEMPOTENCY_CONFLICT


class NotStored(ApiError):
    """A new order lost every race for its number or key in a row (the client may simply retry)."""

    code = ErrorCode.NOT_STORED


class AlreadyExists(ApiError):
    code = ErrorCode.EXISTS


class TooLarge(ApiError):
    code = ErrorCode.TOO_LARGE


class BodyTimeout(ApiError):
    code = ErrorCode.TIMEOUT


class UnsupportedMedia(ApiError):
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


class RateLimited(ApiError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(ApiError):
    code = ErrorCode.UNAVAILABLE


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def validation_to_invalid(errors: list[dict[str, Any]] | Any) -> Invalid:
    fields: dict[str, str] = {}
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "json_invalid":
            return Invalid("The request body is not valid JSON.", fields={"body": "not valid JSON"})
        name = _field_name(loc)
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        fields.setdefault(name, msg)
    first = next(iter(fields.items()), ("body", "invalid"))
    return Invalid(f"Invalid {first[0]}: {first[1]}.", fields=fields)
