"""The error hierarchy (`server.domain.errors`) turned into HTTP responses, in one place."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.domain.errors import (
    ApiError,
    Forbidden,
    NotAuthenticated,
    NotFound,
    Unavailable,
    validation_to_invalid,
)
from server.storage.db import is_unavailable

__all__ = ["error_response", "install_handlers"]

log = logging.getLogger("krafta.server")


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
