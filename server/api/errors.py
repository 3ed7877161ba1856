"""The error tree (`server.domain.errors`) turned into HTTP answers: each code's status in one table,
the headers some codes carry, and the handlers `create_app` installs."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from server.domain.errors import (
    ApiError,
    ErrorCode,
    NotAuthenticated,
    RateLimited,
    Unavailable,
    validation_to_invalid,
)
from server.storage.seam import unavailable

__all__ = ["STATUS", "NoStaffSession", "error_response", "install_handlers", "status_of"]

log = logging.getLogger("krafta.server")

# The HTTP status of every code. The CLI's exit codes follow these statuses: never change one.
STATUS: Mapping[ErrorCode, int] = MappingProxyType(
    {
        ErrorCode.ERROR: 500,
        ErrorCode.INVALID: 400,
        ErrorCode.NOT_AUTHENTICATED: 401,
        ErrorCode.FORBIDDEN: 403,
        ErrorCode.NOT_FOUND: 404,
        ErrorCode.METHOD_NOT_ALLOWED: 405,
        ErrorCode.TIMEOUT: 408,
        ErrorCode.CONFLICT: 409,
        ErrorCode.SAME_REFERENCE: 409,
        ErrorCode.IDEMPOTENCY_CONFLICT: 409,
        ErrorCode.NOT_STORED: 409,
        ErrorCode.EXISTS: 409,
        ErrorCode.TOO_LARGE: 413,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
        ErrorCode.RATE_LIMITED: 429,
        ErrorCode.UNAVAILABLE: 503,
    }
)
_BY_STATUS = {401: ErrorCode.NOT_AUTHENTICATED, 403: ErrorCode.FORBIDDEN, 404: ErrorCode.NOT_FOUND}


class NoStaffSession(NotAuthenticated):
    """No valid session on a staff-only write: the one answer whose status is not its code's.

    The seed answers 403 (not 401) to `PUT /api/orders` without an ADMIN or TALLER session; the
    code still says `not_authenticated`, so a client can tell it from a role that may not move orders.
    """


def status_of(error: ApiError) -> int:
    return 403 if isinstance(error, NoStaffSession) else STATUS[error.code]


def _headers(error: ApiError) -> dict[str, str] | None:
    if isinstance(error, RateLimited):
        return {"Retry-After": str(error.retry_after)}
    if error.code is ErrorCode.TIMEOUT:
        # The rest of the body may still be trickling in: the connection cannot be reused.
        return {"Connection": "close"}
    return None


def error_response(error: ApiError, *, status: int | None = None) -> JSONResponse:
    return JSONResponse(error.body(), status_code=status or status_of(error), headers=_headers(error))


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed(app: FastAPI, request: Request) -> list[str]:
    """The methods some route takes for this request's path (each asked: routers nest routes)."""
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in app.router.routes
        )
    ]


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(validation_to_invalid(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's own answers (no such route, wrong method): our body, its status.
        code = _BY_STATUS.get(exc.status_code, ErrorCode.ERROR)
        if exc.status_code == 405:
            code = ErrorCode.METHOD_NOT_ALLOWED
        response = error_response(ApiError(str(exc.detail), code=code), status=exc.status_code)
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            # RFC 9110: a 405 names the methods the path takes. Starlette's names those of the first
            # route on the path only (POST for /api/orders, which GET and PUT serve too).
            response.headers["Allow"] = ", ".join(_allowed(app, request))
        return response

    # Registered by class (not under the catch-all below, whose middleware re-raises and so drops the
    # client's keep-alive connection): an outage is an expected condition, not a crash.
    @app.exception_handler(SQLAlchemyError)
    async def _database(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        if unavailable(exc):
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
