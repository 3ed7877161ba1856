"""The server's error hierarchy, turned into JSON responses in one place (`install_handlers`).

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

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.db import is_unavailable

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
    "install_handlers",
]

log = logging.getLogger("krafta.server")


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


def error_response(exc: ApiError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers())


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(validation_to_invalid(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        mapped = {401: NotAuthenticated, 403: Forbidden, 404: NotFound}.get(exc.status_code)
        err = mapped(str(exc.detail)) if mapped else ApiError(str(exc.detail), status_code=exc.status_code)
        if exc.status_code == 405:
            err.code = "method_not_allowed"
        return error_response(err)

    # Registered by class (not under the catch-all below, whose middleware re-raises and so drops the
    # client's keep-alive connection): an outage is an expected condition, not a crash.
    @app.exception_handler(SQLAlchemyError)
    async def _database(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        if is_unavailable(exc):
            # Where an operation has a fallback it never gets here; for the rest (logins, accounts,
            # the catalog) a database outage is the server's honest 503, not an unexplained 500.
            log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
            return error_response(Unavailable("The database is unavailable; try again shortly."))
        log.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(ApiError("Internal server error."))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Never a traceback on the wire; the log keeps it for the operator.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(ApiError("Internal server error."))
