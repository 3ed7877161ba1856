"""The OpenAPI description, made to describe what the server really reads and answers.

Bodies are read by hand (`deps.read_body`: byte caps, media type, off-loop parsing), so FastAPI
cannot see them: each JSON endpoint's body model is declared here once, and every operation lists
the error answers the one handler in `errors.py` produces. The fuzz test
(`tests/server/test_fuzz_openapi.py`) generates requests from this description and checks the
answers against it, so a drift between the two fails a test.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from server.schemas import AdvanceIn, CatalogIn, LoginIn, OrderIn, UserIn

__all__ = ["install_openapi"]

# (method, path) → the model of its JSON body.
BODIES: dict[tuple[str, str], type[BaseModel]] = {
    ("post", "/api/orders"): OrderIn,
    ("put", "/api/orders"): AdvanceIn,
    ("post", "/api/auth/login"): LoginIn,
    ("post", "/api/users"): UserIn,
    ("put", "/api/catalog"): CatalogIn,
}

# (method, path) → the media type of a streamed 200 answer.
STREAMS = {("get", "/api/orders/events"): "text/event-stream"}

_ERROR = {
    "type": "object",
    "required": ["success", "error", "code"],
    "properties": {
        "success": {"const": False},
        "error": {"type": "string"},
        "code": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        "currentStatus": {"type": "string"},
        "nextStatuses": {"type": "array", "items": {"type": "string"}},
    },
}
_ERRORS = {
    "400": "Bad input: `fields` names each field at fault",
    "401": "No valid session",
    "403": "The caller's role may not do this",
    "404": "Not found",
    "405": "Method not allowed",
    "408": "The request body did not arrive in time",
    "409": "Conflict (status moved, idempotency key reused, account exists)",
    "413": "Body too large",
    "415": "Body not sent as application/json",
    "429": "Rate limited; see Retry-After",
    "503": "The database is unavailable and this operation has no fallback",
}


def _describe(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(title=app.title, version=app.version, routes=app.routes)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = _ERROR
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's own validation answer; ours is a 400
            for status, text in _ERRORS.items():
                responses.setdefault(
                    status,
                    {
                        "description": text,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
            if (method, path) in STREAMS:
                responses["200"] = {"description": "An event stream", "content": {STREAMS[method, path]: {}}}
            model = BODIES.get((method, path))
            if model is None:
                continue
            schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
                },
            }
    return spec


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _describe(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
