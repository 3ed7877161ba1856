"""The server's error hierarchy, turned into JSON responses in one place (`server.api.errors`).

    ApiError
    ├── Invalid              400  bad input; `fields` names each field at fault
    ├── NotAuthenticated     401  no session, or an invalid/expired token
    ├── Forbidden            403  the caller's role may not do this
    ├── NotFound             404
    ├── Conflict             409  status conflict; carries currentStatus and nextStatuses
    ├── IdempotencyConflict  409  an Idempotency-Key reused with another body
    ├── BodyTimeout          408  the request body did not arrive in time
    ├── TooLarge             413
    ├── UnsupportedMedia     415  a JSON endpoint sent something that is not application/json
    ├── RateLimited          429
    └── Unavailable          503  the database is down and there is no fallback for this

Every body is `{"success": false, "error": ..., "code": ...}` plus what the subclass adds.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

__all__ = [
    "ApiError",
    "BodyTimeout",
    "Conflict",
    "Forbidden",
    "IdempotencyConflict",
    "Invalid",
    "NotAuthenticated",
    "NotFound",
    "RateLimited",
    "TooLarge",
    "Unavailable",
    "UnsupportedMedia",
    "validation_to_invalid",
]


class ApiError(Exception):
    status_code = 500
    code = "error"

    def __init__(self, message: str | None = None, *, status_code: int | None = None) -> None:
        if status_code is not None:
            self.status_code = status_code
        self.message = message or HTTPStatus(self.status_code).phrase
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"success": False, "error": self.message, "code": self.code}

    def headers(self) -> dict[str, str] | None:
        return None


class Invalid(ApiError):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}

    def body(self) -> dict[str, Any]:
        return {**super().body(), "fields": self.fields}


class NotAuthenticated(ApiError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(ApiError):
    status_code = 403
    code = "forbidden"


class NotFound(ApiError):
    status_code = 404
    code = "not_found"


class Conflict(ApiError):
    status_code = 409
    code = "conflict"

    def __init__(self, message: str, *, current_status: str, next_statuses: list[str]) -> None:
        super().__init__(message)
        self.current_status = current_status
        self.next_statuses = next_statuses

    def body(self) -> dict[str, Any]:
        return {**super().body(), "currentStatus": self.current_status, "nextStatuses": self.next_statuses}


class IdempotencyConflict(ApiError):
    status_code = 409
    code = "idempotency_conflict"


class TooLarge(ApiError):
    status_code = 413
    code = "too_large"


class BodyTimeout(ApiError):
    status_code = 408
    code = "timeout"

    def headers(self) -> dict[str, str]:
        # The rest of the body may still be trickling in: the connection cannot be reused.
        return {"Connection": "close"}


class UnsupportedMedia(ApiError):
    status_code = 415
    code = "unsupported_media_type"


class RateLimited(ApiError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Unavailable(ApiError):
    status_code = 503
    code = "unavailable"


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
