"""The OpenAPI description, made to describe what the server really reads and answers.

Bodies are read by hand (`deps.read_body`: byte caps, media type, off-loop parsing), so FastAPI
cannot see them: each JSON endpoint's body model is declared here once, every operation lists the
error answers the one handler in `errors.py` produces, and the success answers say what a client
may rely on. The order's schemas (`Order`, `OrderItem`, `Payment`, `HistoryEntry`) are generated from
the order's declaration (`server/domain/shape.py`): a declared field is described without a line
here. The fuzz test
(`tests/live/test_fuzz_openapi.py`) generates requests from this description and checks the
answers against it, so a drift between the two fails a test.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from server.api.errors import STATUS
from server.domain.errors import ErrorCode
from server.domain.handover import HANDOVER
from server.domain.lifecycle import Status
from server.domain.schemas import (
    AdvanceIn,
    CatalogIn,
    DeviceTokenIn,
    LoginIn,
    OrderIn,
    PasswordChangeIn,
    PasswordResetIn,
    PaymentIn,
    PlanIn,
    UserIn,
)
from server.domain.shape import (
    BOOL,
    CHILDREN,
    DATE,
    INT,
    JSON,
    MONEY,
    ORDER,
    PAYMENT,
    TEXT,
    TIME,
    Field,
    Part,
)
from server.domain.text import NOT_BLANK, WHITESPACE

__all__ = ["install_openapi", "part_schema"]

# (method, path) → the model of its JSON body.
BODIES: dict[tuple[str, str], type[BaseModel]] = {
    ("post", "/api/orders"): OrderIn,
    ("post", "/api/orders/{ident}/payments"): PaymentIn,
    ("put", "/api/orders"): AdvanceIn,
    ("patch", "/api/orders/{ident}"): PlanIn,
    ("post", "/api/auth/login"): LoginIn,
    ("post", "/api/users"): UserIn,
    ("post", "/api/users/{email}/password"): PasswordResetIn,
    ("post", "/api/users/device-tokens"): DeviceTokenIn,
    ("post", "/api/auth/password"): PasswordChangeIn,
    ("put", "/api/catalog"): CatalogIn,
}

# (method, path) → the media type of a streamed 200 answer.
STREAMS = {("get", "/api/orders/events"): "text/event-stream"}
# (method, path) → the media types of a 200 answer that is a file (tickets, the manifest).
FILES = {
    ("get", "/api/orders/{ident}/ticket"): ("application/pdf",),
    ("get", "/api/tickets"): ("application/pdf",),
    ("get", "/api/manifest"): ("application/pdf", "text/csv"),
}


def _obj(required: dict[str, Any], **optional: Any) -> dict[str, Any]:
    """An object schema: `required` properties must be there; more properties are allowed (the
    description promises what a client can rely on, not that nothing will ever be added)."""
    return {"type": "object", "required": list(required), "properties": {**required, **optional}}


_TRUE = {"const": True}
_STR = {"type": "string"}
_USER = _obj({"id": _STR, "email": _STR, "role": _STR})

# How each kind of declared field travels on the wire (`server.domain.shape`).
_KINDS: dict[str, dict[str, Any]] = {
    TEXT.name: {"type": "string"},
    INT.name: {"type": "integer"},
    BOOL.name: {"type": "boolean"},
    MONEY.name: {"type": "number"},
    TIME.name: {"type": "string", "format": "date-time"},
    DATE.name: {"type": "string", "format": "date"},
    JSON.name: {"type": ["array", "object"]},
}
# The order's parts under their names in components/schemas.
_NAMES = {None: "Order", "items": "OrderItem", "payments": "Payment", "history": "HistoryEntry"}
_STAFF_ONLY = "Shown to staff only."


def _field(f: Field) -> dict[str, Any]:
    schema = dict(_KINDS[f.kind.name])
    if f.choices is not None:
        schema["enum"] = sorted(f.choices)
    if f.nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "description": _STAFF_ONLY} if f.staff_only else schema


def part_schema(part: Part) -> dict[str, Any]:
    """A part of the order as every answer carries it, generated from its declaration: each field
    with its kind, choices and nullability; a group as an object or null; children as arrays of
    their part. A staff-only field is described but not required (customers are not shown it)."""
    required: dict[str, Any] = {}
    optional: dict[str, Any] = {}
    groups: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for f in part.fields:
        if f.group is not None:
            group_required, group_optional = groups.setdefault(f.group, ({}, {}))
            (group_optional if f.staff_only else group_required)[f.wire] = _field(f)
        else:
            (optional if f.staff_only else required)[f.wire] = _field(f)
    for name, (members, staff_members) in groups.items():
        required[name] = {"anyOf": [_obj(members, **staff_members), {"type": "null"}]}
    if part is ORDER:
        for child in CHILDREN:
            required[child.key or ""] = {"type": "array", "items": _ref(_NAMES[child.key])}
        # Not stored: where the answer came from, and what its audience adds (`domain/audience.py`).
        required["storage"] = {"enum": ["database", "fallback"]}
        required["nextStatuses"] = {"type": "array", "items": {"enum": [s.value for s in Status]}}
        # Shown to staff only: its status has a stuck rule and now − enteredStatusAt ≥ that rule.
        optional["stuck"] = {"type": "boolean", "description": _STAFF_ONLY}
        # Shown to staff only: dueAt has passed and the order is not handed over, completed or cancelled.
        optional["late"] = {"type": "boolean", "description": _STAFF_ONLY}
    if part is PAYMENT:
        # Not stored: the other orders paid with this reference (`domain/desk.py`), staff only.
        optional["sameReference"] = {"type": "array", "items": {"type": "string"}, "description": _STAFF_ONLY}
    return _obj(required, **optional)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_ORDER = _ref("Order")
_SESSION = _obj({"success": _TRUE, "user": _USER, "expiresAt": _STR})
# (method, path) → (status, schema) of the success answer, as the routes build it.
SUCCESSES: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("post", "/api/orders"): (
        "201",
        _obj(
            {"success": _TRUE, "orderId": _STR, "orderNumber": _STR, "status": _STR},
            # The first answer only (a retry with the same Idempotency-Key gets it without).
            orderToken={
                "type": "string",
                "description": "Opens this order (X-Order-Token): GET, its live events, new payment "
                "evidence. Shown once; the server keeps only its hash.",
            },
        ),
    ),
    ("post", "/api/orders/{ident}/payments"): ("201", _obj({"success": _TRUE, "order": _ORDER})),
    ("get", "/api/orders"): (
        "200",
        _obj(
            {"success": _TRUE, "orders": {"type": "array", "items": _ORDER}},
            nextCursor={"type": ["string", "null"]},
            # Staff answers only: the server's stuck rules (KRAFTA_STUCK_AFTER), seconds per status;
            # `{}` when off. An order is stuck iff its status is listed and now − enteredStatusAt ≥ it.
            stuckRules={
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 1},
                "description": "Seconds an order may stay in each listed status before it is stuck "
                "(staff answers only; {} when stuck rules are off).",
            },
        ),
    ),
    ("get", "/api/orders/{ident}"): ("200", _obj({"success": _TRUE, "order": _ORDER})),
    ("put", "/api/orders"): ("200", _obj({"success": _TRUE, "order": _ORDER})),
    ("patch", "/api/orders/{ident}"): ("200", _obj({"success": _TRUE, "order": _ORDER})),
    ("post", "/api/auth/login"): ("200", _SESSION),
    ("get", "/api/auth/me"): (
        "200",
        _obj(
            {
                "success": _TRUE,
                "user": _USER,
                "expiresAt": _STR,
                "moves": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"enum": [s.value for s in Status]}},
                    "description": "Every status with the statuses the caller's role may move an order "
                    "in it to (what nextStatuses says for such an order).",
                },
            }
        ),
    ),
    ("post", "/api/auth/logout"): ("200", _obj({"success": _TRUE})),
    ("get", "/api/users"): ("200", _obj({"success": _TRUE, "users": {"type": "array", "items": _USER}})),
    ("post", "/api/users"): ("201", _obj({"success": _TRUE, "user": _USER})),
    ("get", "/api/catalog"): ("200", _obj({"success": _TRUE, "products": {"type": "array"}})),
    ("put", "/api/catalog"): (
        "200",
        _obj({"success": _TRUE, "products": {"type": "integer"}, "variants": {"type": "integer"}}),
    ),
    ("get", "/api/health"): (
        "200",
        _obj(
            {
                "status": {"enum": ["ok", "degraded"]},
                "database": {"enum": ["up", "down"]},
                "writes": {"enum": ["ok", "failing"]},
                "fallbackPending": {"type": "integer", "minimum": 0},
            }
        ),
    ),
}

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
# A description of each status the error table (`errors.STATUS`) answers with; a status without one
# fails at the first request for the description. A 500 is never a documented answer.
_ERRORS = {
    400: "Bad input: `fields` names each field at fault",
    401: "No valid session",
    403: "The caller's role may not do this (or no staff session on PUT /api/orders)",
    404: "Not found",
    405: "Method not allowed",
    408: "The request body did not arrive in time",
    409: "Conflict (status moved, idempotency key reused, account exists, order not stored)",
    413: "Body too large",
    415: "Body not sent as application/json",
    429: "Rate limited; see Retry-After",
    503: "The database is unavailable: this operation has no fallback, or the order may be in the database",
}


# Rules the server enforces that a JSON Schema can state (schemathesis found them unstated, issue 14).
# No string the API reads may hold NUL (`deps.bad_text_field`: PostgreSQL cannot store it).
NO_NUL = "^[^\\u0000]*$"
NOT_BLANK_NOR_NUL = f"^[^\\u0000]*[^\\u0000{WHITESPACE}][^\\u0000]*$"
# A list cursor is what the server made: URL-safe base64 without padding (`filter.encode_cursor`).
PARAMETER_PATTERNS = {("get", "/api/orders", "cursor"): "^[A-Za-z0-9_-]+$"}
# Parameters the routes read as text but take only these values of (400 otherwise).
PARAMETER_ENUMS: dict[tuple[str, str, str], list[str]] = {
    ("get", "/api/orders", "priority"): ["normal", "rush"],
    ("get", "/api/orders", "sort"): ["due"],
    ("get", "/api/tickets", "status"): [s.value for s in Status],
}
# Parameters with a length rule of their own (`orders._key`: an Idempotency-Key is 1 to 255 characters).
PARAMETER_LENGTHS = {
    ("post", "/api/orders", "Idempotency-Key"): (1, 255),
    ("post", "/api/orders/{ident}/payments", "Idempotency-Key"): (1, 255),
}


# Any JSON value without NUL in its strings or keys (what a body's free-form parts may hold).
_NUL_FREE = {
    "anyOf": [
        {"type": ["number", "boolean", "null"]},
        {"type": "string", "pattern": NO_NUL},
        {"type": "array", "items": {"$ref": "#/components/schemas/NulFree"}},
        {
            "type": "object",
            "propertyNames": {"pattern": NO_NUL},
            "additionalProperties": {"$ref": "#/components/schemas/NulFree"},
        },
    ]
}


def _no_nul(schema: Any) -> None:
    """Give every free string in `schema` (a request's) the NUL rule."""
    if isinstance(schema, list):
        for item in schema:
            _no_nul(item)
    elif isinstance(schema, dict):
        if schema.get("type") == "string" and not {"pattern", "enum", "const", "format"} & schema.keys():
            schema["pattern"] = NO_NUL
        elif schema.get("type") == "string" and schema.get("pattern") == NOT_BLANK:
            schema["pattern"] = NOT_BLANK_NOR_NUL
        if schema.get("type") == "object":
            # Keys and free-form values too: a NUL anywhere in a body is refused, also in a property
            # the model ignores.
            schema["propertyNames"] = {"pattern": NO_NUL}
            if schema.get("additionalProperties", True) in (True, {}):
                schema["additionalProperties"] = {"$ref": "#/components/schemas/NulFree"}
        for value in schema.values():
            _no_nul(value)


def _parameter_rules(method: str, path: str, operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        key = (method, path, parameter["name"])
        pattern = PARAMETER_PATTERNS.get(key)
        schema = parameter.get("schema", {})
        for branch in schema.get("anyOf", [schema]):
            if branch.get("type") == "string":
                if key in PARAMETER_ENUMS:
                    branch["enum"] = PARAMETER_ENUMS[key]
                    branch.pop("maxLength", None)
                    continue
                if key in PARAMETER_LENGTHS:
                    branch["minLength"], branch["maxLength"] = PARAMETER_LENGTHS[key]
                if pattern:
                    branch["pattern"] = pattern
                else:
                    _no_nul(branch)


# A courier and a tracking number go with a hand-over only (`handover.check_handover`: 400 otherwise).
_HANDOVER_ONLY = {
    "if": {"required": ["status"], "properties": {"status": {"not": {"const": HANDOVER.value}}}},
    "then": {"properties": {"courier": {"type": "null"}, "trackingNumber": {"type": "null"}}},
}
# A forced move needs a note saying why (`moves`: 400 "required with force"); the note is trimmed first.
_FORCE_NEEDS_NOTE = {
    "if": {"required": ["force"], "properties": {"force": {"const": True}}},
    "then": {"required": ["note"], "properties": {"note": {"type": "string", "pattern": NOT_BLANK}}},
}


def _error_statuses() -> list[int]:
    return sorted({status for code, status in STATUS.items() if code is not ErrorCode.ERROR})


def _describe(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(title=app.title, version=app.version, routes=app.routes)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = _ERROR
    schemas["NulFree"] = _NUL_FREE
    for part in (ORDER, *CHILDREN):
        schemas[_NAMES[part.key]] = part_schema(part)
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's own validation answer; ours is a 400
            for error_status in _error_statuses():
                responses.setdefault(
                    str(error_status),
                    {
                        "description": _ERRORS[error_status],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
            if (method, path) in SUCCESSES:
                status, schema = SUCCESSES[method, path]
                for code in ("200", "201"):
                    responses.pop(code, None)
                responses[status] = {
                    "description": "Success",
                    "content": {"application/json": {"schema": schema}},
                }
            if (method, path) in FILES:
                binary = {"schema": {"type": "string", "format": "binary"}}
                responses["200"] = {
                    "description": "A file",
                    "content": dict.fromkeys(FILES[method, path], binary),
                }
            if (method, path) in STREAMS:
                responses["200"] = {"description": "An event stream", "content": {STREAMS[method, path]: {}}}
            _parameter_rules(method, path, operation)
            model = BODIES.get((method, path))
            if model is None:
                continue
            schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
            _no_nul(schema)
            if model is PlanIn:
                # Something to change: `expectedStatus` alone is refused (`planning.patch`).
                schema["anyOf"] = [{"required": [name]} for name in ("dueAt", "priority", "hold", "note")]
            if model is AdvanceIn:
                schema["allOf"] = [_HANDOVER_ONLY, _FORCE_NEEDS_NOTE]
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
