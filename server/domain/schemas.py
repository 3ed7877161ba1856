"""Wire schemas: what clients send, validated with pydantic v2 (camelCase, unknown fields ignored).

Responses are built as plain dicts in `serialize.py`: the order list can be 100k orders long and
is streamed, so it does not go through a pydantic model per row.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlparse

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel

from server.domain.errors import Invalid, validation_to_invalid
from server.domain.handover import Courier, TrackingNumber
from server.domain.lifecycle import Role, Status
from server.domain.recipient import RecipientIdNumber, RecipientName, RecipientPhone
from server.domain.text import NOT_BLANK, PY_WHITESPACE

__all__ = [
    "EMAIL_PATTERN",
    "AdvanceIn",
    "CatalogIn",
    "DeviceTokenIn",
    "LoginIn",
    "OrderIn",
    "PasswordChangeIn",
    "PasswordResetIn",
    "PaymentIn",
    "PlanIn",
    "UserIn",
    "parse",
]

MAX_PREVIEW_BYTES = 2 * 1024 * 1024
MAX_USD = Decimal("1000000")
MAX_BS = Decimal("100000000000")  # 1e11 Bs.: far beyond any real order, well inside Numeric(16, 2)
_DATA_URI = re.compile(r"^data:image/(png|jpeg|webp);base64,(?P<data>[A-Za-z0-9+/=\s]*)$", re.DOTALL)


def _decimal(value: Any) -> Decimal:
    # JSON numbers only: a string or a boolean here is a client bug we want to report, not coerce.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a number")
    try:
        result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not result.is_finite():
        raise ValueError("must be a finite number")
    return result


def _money(limit: Decimal) -> Any:
    def check(value: Decimal) -> Decimal:
        if value < 0:
            raise ValueError("must not be negative")
        if value > limit:
            raise ValueError(f"must be at most {limit}")
        if value != value.quantize(Decimal("0.01")):
            raise ValueError("must have at most 2 decimals")
        return value.quantize(Decimal("0.01"))

    return check


def _rate(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("must be greater than 0")
    if value > Decimal("100000000"):
        raise ValueError("is too large")
    if value != value.quantize(Decimal("0.0001")):
        raise ValueError("must have at most 4 decimals")
    return value


def _http_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("must be an http(s) URL")
    return value


def _preview(value: str) -> str:
    if value.startswith("data:"):
        match = _DATA_URI.match(value)
        if not match:
            raise ValueError("must be an http(s) URL or a data:image/(png|jpeg|webp);base64, URI")
        encoded = "".join(match["data"].split())
        # Cheap bound before decoding: 4 base64 chars carry 3 bytes.
        if len(encoded) * 3 // 4 > MAX_PREVIEW_BYTES + 3:
            raise ValueError("image must be at most 2 MB")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("is not valid base64") from None
        if len(raw) > MAX_PREVIEW_BYTES:
            raise ValueError("image must be at most 2 MB")
        return value
    if len(value) > 2048:
        raise ValueError("URL must be at most 2048 characters")
    return _http_url(value)


MAX_JSON_DEPTH = 16
# Design views as stored (compact JSON), all of them together. Editors send a few small objects
# (side, colour, a URL); without a cap one anonymous order carried 3 MB of them, and every list
# that includes the order carries them again. With the 2 MB preview, an order stays near 3 MB at
# most, however the 5 MB body cap is filled.
MAX_DESIGN_VIEWS_BYTES = 512 * 1024


def _compact(value: list[dict[str, Any]]) -> list[dict[str, Any]]:
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_DESIGN_VIEWS_BYTES:
        raise ValueError(
            f"must be at most {MAX_DESIGN_VIEWS_BYTES // 1024} KB as JSON (got {size // 1024} KB)"
        )
    return value


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a JSON value, counting no further than `limit + 1`."""
    if limit < 0 or not isinstance(value, dict | list):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


def _shallow(value: Any) -> Any:
    # Free-form JSON (design views, variant attributes) is flat in practice. Without a bound, a value
    # nested a few hundred levels deep was stored and then broke every response carrying it (the
    # serialiser's depth limit, a 500): one client's body could make an order impossible to show or advance.
    if _depth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise ValueError(f"must not be nested more than {MAX_JSON_DEPTH} levels deep")
    return value


def _whole(value: Any) -> Any:
    # JSON Schema's integer includes 90.0; a float with a fraction stays a float and is refused.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _text(max_length: int) -> StringConstraints:
    return StringConstraints(
        strict=True, strip_whitespace=True, min_length=1, max_length=max_length, pattern=NOT_BLANK
    )


# Named aliases rather than a `Text(n)` call in annotations, so a type checker reads them as `str`.
Text64 = Annotated[str, _text(64)]
Text100 = Annotated[str, _text(100)]
Text120 = Annotated[str, _text(120)]
Text200 = Annotated[str, _text(200)]
Text300 = Annotated[str, _text(300)]


def _amount_schema(maximum: Decimal) -> WithJsonSchema:
    # What the validators above accept, stated for the OpenAPI description (pydantic would describe a
    # Decimal as "number or string", and a string is refused): a JSON number, 0..maximum, cents.
    return WithJsonSchema({"type": "number", "minimum": 0, "maximum": float(maximum), "multipleOf": 0.01})


UsdAmount = Annotated[
    Decimal, BeforeValidator(_decimal), AfterValidator(_money(MAX_USD)), _amount_schema(MAX_USD)
]
BsAmount = Annotated[
    Decimal, BeforeValidator(_decimal), AfterValidator(_money(MAX_BS)), _amount_schema(MAX_BS)
]
Rate = Annotated[
    Decimal,
    BeforeValidator(_decimal),
    AfterValidator(_rate),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0, "maximum": 100000000, "multipleOf": 0.0001}),
]
# What `_http_url` takes, as a pattern: http(s), then a host (urlparse refuses a lone bracket there).
HTTP_URL_PATTERN = "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\\[\\]\\s\\u0000]+([/?#][^\\u0000]*)?$"
HttpUrl = Annotated[
    str,
    _text(2048),
    AfterValidator(_http_url),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 2048, "pattern": HTTP_URL_PATTERN}),
]
# `_preview`'s rule: an http(s) URL, or an image as base64 whose bytes fit in MAX_PREVIEW_BYTES
# (the longest base64 of whole 3-byte groups under it, after the longest prefix).
_PREVIEW_SCHEMA = {
    "anyOf": [
        {"type": "string", "maxLength": 2048, "pattern": HTTP_URL_PATTERN},
        {
            "type": "string",
            "maxLength": len("data:image/jpeg;base64,") + MAX_PREVIEW_BYTES // 3 * 4,
            "pattern": "^data:image/(png|jpeg|webp);base64,([A-Za-z0-9+/]{4})*"
            "([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
        },
    ]
}


class _Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class PaymentIn(_Wire):
    method: Literal["PAGO_MOVIL", "TRANSFERENCIA"]
    reference: Text64
    origin_bank: Text120
    payer_name: Text120
    receipt_url: HttpUrl | None = None
    amount_reported: BsAmount | None = None


class OrderIn(_Wire):
    """A customer's order. The money must add up (400 otherwise): total = subtotal + shippingCost
    (within 0.01) and totalBs = total × exchangeRate (within 0.5%)."""

    variant_id: Text64
    quantity: Annotated[StrictInt, Field(ge=1, le=1000), BeforeValidator(_whole)]
    shipping_address: Text300
    shipping_city: Text100
    shipping_state: Text100
    shipping_cost: UsdAmount
    subtotal: UsdAmount
    total: UsdAmount
    total_bs: BsAmount
    exchange_rate: Rate
    design_upload_id: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=64)] | None = (
        None
    )
    preview_url: (
        Annotated[
            str,
            StringConstraints(strict=True, max_length=3_000_000),
            AfterValidator(_preview),
            WithJsonSchema(_PREVIEW_SCHEMA),
        ]
        | None
    ) = None
    design_views: (
        Annotated[
            list[dict[str, Any]], Field(max_length=20), AfterValidator(_shallow), AfterValidator(_compact)
        ]
        | None
    ) = None
    payment: PaymentIn
    recipient_name: RecipientName | None = None
    recipient_phone: RecipientPhone | None = None
    recipient_id_number: RecipientIdNumber | None = None

    def check_totals(self) -> None:
        """Money that does not add up is refused: the admin verifies payments against these figures."""
        fields: dict[str, str] = {}
        if abs(self.subtotal + self.shipping_cost - self.total) > Decimal("0.01"):
            fields["total"] = f"must equal subtotal + shippingCost ({self.subtotal + self.shipping_cost})"
        expected_bs = self.total * self.exchange_rate
        if abs(self.total_bs - expected_bs) > expected_bs * Decimal("0.005") + Decimal("0.005"):
            fields["totalBs"] = (
                f"must equal total × exchangeRate ({expected_bs.quantize(Decimal('0.01'))}) within 0.5%"
            )
        if fields:
            first = next(iter(fields))
            raise Invalid(f"Invalid {first}: {fields[first]}.", fields=fields)


StatusName = Annotated[Status, BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v)]


class AdvanceIn(_Wire):
    order_id: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=64)]
    status: StatusName
    note: Annotated[str, StringConstraints(strict=True, strip_whitespace=True, max_length=1000)] | None = None
    expected_status: StatusName | None = None
    force: StrictBool = False
    courier: Courier | None = None
    tracking_number: TrackingNumber | None = None


def _day(value: Any) -> date:
    # A JSON string `YYYY-MM-DD` only: pydantic's lax dates would also take a number of seconds.
    if not isinstance(value, str) or len(value.strip()) != 10:
        raise ValueError("must be a date like 2026-12-10")
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("must be a date like 2026-12-10") from None
    if not 2000 <= day.year <= 2999:
        raise ValueError("must be a date between 2000 and 2999")
    return day


Day = Annotated[
    date,
    BeforeValidator(_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": "^\\s*2[0-9]{3}-[0-9]{2}-[0-9]{2}\\s*$"}),
]
PlanNote = Annotated[str, _text(1000)]


class HoldIn(_Wire):
    """Why an order is parked (`at` and `by` are the server's to write: ignored if sent)."""

    reason: Literal["MATERIAL", "ARTWORK", "ADDRESS", "PAYMENT", "OTHER"]
    note: Annotated[str, StringConstraints(strict=True, strip_whitespace=True, max_length=500)] | None = None
    until: Day | None = None


class PlanIn(_Wire):
    """`PATCH /api/orders/{ident}`: any of these; a field left out is left as it is (`model_fields_set`),
    `dueAt: null` clears the date and `hold: null` releases."""

    due_at: Day | None = None
    # Left out leaves it; null is refused (`planning.patch`), so the description offers no null.
    priority: Annotated[
        Literal["normal", "rush"] | None, WithJsonSchema({"type": "string", "enum": ["normal", "rush"]})
    ] = None
    hold: HoldIn | None = None
    note: PlanNote | None = None
    expected_status: StatusName | None = None


class LoginIn(_Wire):
    email: Annotated[
        str,
        StringConstraints(
            strict=True, strip_whitespace=True, min_length=1, max_length=254, pattern=NOT_BLANK
        ),
    ]
    password: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=1024)]


def _email(value: str) -> str:
    value = value.strip().lower()
    local, _, domain = value.partition("@")
    labels = domain.split(".")
    if not local or "@" in domain or len(labels) < 2 or not all(labels) or any(c.isspace() for c in value):
        raise ValueError("must be an email address")
    return value


# `_email`'s rule as a pattern, for the OpenAPI description: one @, something before it, two or more
# non-empty dot-separated labels after it, no spaces (the server also trims and lower-cases).
EMAIL_PATTERN = (
    f"^[^@{PY_WHITESPACE}\\u0000]+@[^@{PY_WHITESPACE}.\\u0000]+(\\.[^@{PY_WHITESPACE}.\\u0000]+)+$"
)
Email = Annotated[
    str,
    StringConstraints(strict=True, max_length=254),
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "maxLength": 254, "pattern": EMAIL_PATTERN}),
]
Password = Annotated[str, StringConstraints(strict=True, min_length=8, max_length=1024)]


class UserIn(_Wire):
    email: Email
    password: Password
    role: Role


class PasswordResetIn(_Wire):
    password: Password


class PasswordChangeIn(_Wire):
    current_password: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=1024)]
    new_password: Password


_DEVICE_NAME = re.compile(r"^[\w.@-]+( [\w.@-]+)*$")


def _device_name(value: str) -> str:
    # A name people read in lists and history entries: letters, digits, `.@-_`, single spaces.
    if not _DEVICE_NAME.match(value):
        raise ValueError("must be letters, digits, '.', '@', '-' or '_' (single spaces between words)")
    return value


class DeviceTokenIn(_Wire):
    # Not trimmed: the pattern is the whole rule (the CLI trims what it is given).
    name: Annotated[
        str,
        StringConstraints(strict=True, min_length=1, max_length=64),
        AfterValidator(_device_name),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 64, "pattern": _DEVICE_NAME.pattern}),
    ]
    role: Literal["ADMIN", "TALLER"]
    days: Annotated[int, Field(strict=True, ge=1, le=365), BeforeValidator(_whole)] = 90


class VariantIn(_Wire):
    id: Text64
    sku: Text64
    base_price: UsdAmount
    attributes: Annotated[dict[str, Any], AfterValidator(_shallow)] = Field(default_factory=dict)
    active: StrictBool = True


class ProductIn(_Wire):
    id: Text64
    name: Text200
    active: StrictBool = True
    variants: Annotated[list[VariantIn], Field(max_length=1000)] = Field(default_factory=list)


class CatalogIn(_Wire):
    # 4,998: with the body's object and this list, the most a body may hold (`deps.MAX_CONTAINERS`).
    products: Annotated[list[ProductIn], Field(max_length=4998)]


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any) -> M:
    """Validate `data` into `model`, turning pydantic's errors into one `Invalid` naming each field."""
    if not isinstance(data, dict):
        raise Invalid("The request body must be a JSON object.", fields={"body": "must be a JSON object"})
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_to_invalid(error.errors()) from None
