"""Malformed input over HTTP on a live server: always a 4xx with the field named, never a 500, nothing stored.

Every POST case is checked three ways: the status and error body, the order count seen by an
ADMIN (unchanged), and the fallback directory (still no files: a bad order must not land there either).
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.helpers import order_body
from tests.servers import Server

Body = dict[str, Any]


def _without(*path: str) -> Callable[[Body], Body]:
    def edit(body: Body) -> Body:
        target = body
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        return body

    return edit


def _with(**changes: Any) -> Callable[[Body], Body]:
    """Set top-level fields; `payment__x=v` sets payment.x."""

    def edit(body: Body) -> Body:
        for key, value in changes.items():
            if key.startswith("payment__"):
                body["payment"][key.removeprefix("payment__")] = value
            else:
                body[key] = value
        return body

    return edit


def _raw_number(field: str, literal: str) -> bytes:
    """The example body with `field` replaced by a raw token (NaN, Infinity) no JSON encoder would emit."""
    body = order_body()
    body[field] = "__RAW__"
    return json.dumps(body).replace('"__RAW__"', literal).encode()


def _data_uri(mime: str, size: int) -> str:
    return f"data:{mime};base64," + base64.b64encode(b"\x89PNG" + b"\0" * (size - 4)).decode()


REQUIRED = [
    "variantId",
    "quantity",
    "shippingAddress",
    "shippingCity",
    "shippingState",
    "shippingCost",
    "subtotal",
    "total",
    "totalBs",
    "exchangeRate",
    "payment",
]
REQUIRED_PAYMENT = ["method", "reference", "originBank", "payerName"]

# (id, edit of the example body, the field `fields` must name)
EDITS: list[tuple[str, Callable[[Body], Body], str]] = [
    *[(f"missing-{f}", _without(f), f) for f in REQUIRED],
    *[(f"missing-payment.{f}", _without("payment", f), f"payment.{f}") for f in REQUIRED_PAYMENT],
    # wrong types
    ("quantity-string", _with(quantity="1"), "quantity"),
    ("quantity-float", _with(quantity=1.5), "quantity"),
    ("quantity-bool", _with(quantity=True), "quantity"),
    ("subtotal-bool", _with(subtotal=True), "subtotal"),
    ("subtotal-string", _with(subtotal="12.00"), "subtotal"),
    ("subtotal-null", _with(subtotal=None), "subtotal"),
    ("shippingCity-number", _with(shippingCity=123), "shippingCity"),
    ("shippingAddress-object", _with(shippingAddress={"line": "x"}), "shippingAddress"),
    ("variantId-number", _with(variantId=1), "variantId"),
    ("payment-list", _with(payment=[{"method": "PAGO_MOVIL"}]), "payment"),
    ("payment-string", _with(payment="PAGO_MOVIL"), "payment"),
    ("payment-method-unknown", _with(payment__method="BITCOIN"), "payment.method"),
    ("payment-reference-number", _with(payment__reference=123), "payment.reference"),
    ("designViews-object", _with(designViews={"view": "front"}), "designViews"),
    ("designViews-of-strings", _with(designViews=["front"]), "designViews.0"),
    ("designUploadId-number", _with(designUploadId=5), "designUploadId"),
    ("previewUrl-number", _with(previewUrl=5), "previewUrl"),
    # negative and huge numbers
    ("shippingCost-negative", _with(shippingCost=-3.0), "shippingCost"),
    ("subtotal-negative", _with(subtotal=-12.0), "subtotal"),
    ("totalBs-negative", _with(totalBs=-600.0), "totalBs"),
    ("amountReported-negative", _with(payment__amountReported=-1), "payment.amountReported"),
    ("subtotal-huge", _with(subtotal=1e12), "subtotal"),
    ("total-1e300", _with(total=1e300), "total"),
    ("totalBs-huge", _with(totalBs=10**40), "totalBs"),
    ("quantity-huge", _with(quantity=10**30), "quantity"),
    ("exchangeRate-huge", _with(exchangeRate=1e20), "exchangeRate"),
    ("amountReported-huge", _with(payment__amountReported=1e15), "payment.amountReported"),
    # more than 2 decimals
    ("subtotal-3-decimals", _with(subtotal=12.001), "subtotal"),
    ("shippingCost-3-decimals", _with(shippingCost=3.005), "shippingCost"),
    ("totalBs-3-decimals", _with(totalBs=600.001), "totalBs"),
    # oversized and empty strings
    ("shippingAddress-301", _with(shippingAddress="a" * 301), "shippingAddress"),
    ("shippingCity-101", _with(shippingCity="a" * 101), "shippingCity"),
    ("shippingState-101", _with(shippingState="a" * 101), "shippingState"),
    ("variantId-65", _with(variantId="v" * 65), "variantId"),
    ("reference-65", _with(payment__reference="1" * 65), "payment.reference"),
    ("originBank-121", _with(payment__originBank="b" * 121), "payment.originBank"),
    ("payerName-121", _with(payment__payerName="p" * 121), "payment.payerName"),
    ("shippingAddress-empty", _with(shippingAddress=""), "shippingAddress"),
    ("shippingCity-blank", _with(shippingCity="   "), "shippingCity"),
    ("reference-empty", _with(payment__reference=""), "payment.reference"),
    # money that does not add up
    ("total-not-subtotal-plus-shipping", _with(total=16.00, totalBs=640.00), "total"),
    ("totalBs-off-0.6pct", _with(totalBs=603.60), "totalBs"),
    ("totalBs-low-0.6pct", _with(totalBs=596.40), "totalBs"),
    ("exchangeRate-zero", _with(exchangeRate=0), "exchangeRate"),
    ("exchangeRate-negative", _with(exchangeRate=-40.0), "exchangeRate"),
    # quantity bounds
    ("quantity-0", _with(quantity=0), "quantity"),
    ("quantity-1001", _with(quantity=1001), "quantity"),
    ("quantity-negative", _with(quantity=-1), "quantity"),
    # design and URLs
    ("designViews-21", _with(designViews=[{"view": f"v{i}"} for i in range(21)]), "designViews"),
    (
        "previewUrl-data-text-html",
        _with(previewUrl="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
        "previewUrl",
    ),
    ("previewUrl-data-svg", _with(previewUrl="data:image/svg+xml;base64,PHN2Zy8+"), "previewUrl"),
    ("previewUrl-data-not-base64", _with(previewUrl="data:image/png;base64,!!!not base64!!!"), "previewUrl"),
    ("previewUrl-javascript", _with(previewUrl="javascript:alert(document.cookie)"), "previewUrl"),
    ("previewUrl-file", _with(previewUrl="file:///etc/passwd"), "previewUrl"),
    ("previewUrl-relative", _with(previewUrl="/previews/x.png"), "previewUrl"),
    ("previewUrl-data-over-2MB", _with(previewUrl=_data_uri("image/png", 2 * 1024 * 1024 + 1)), "previewUrl"),
    ("receiptUrl-javascript", _with(payment__receiptUrl="javascript:alert(1)"), "payment.receiptUrl"),
    # NUL characters: PostgreSQL refuses them in text, which must surface as a 400, not a 500
    ("shippingCity-NUL", _with(shippingCity="Barqui\u0000simeto"), "shippingCity"),
    ("payerName-NUL", _with(payment__payerName="María\u0000"), "payment.payerName"),
    ("variantId-NUL", _with(variantId="var-1\u0000"), "variantId"),
    ("designUploadId-NUL", _with(designUploadId="\u0000"), "designUploadId"),
    ("previewUrl-NUL", _with(previewUrl="https://cdn.example.com/a\u0000.png"), "previewUrl"),
    (
        "receiptUrl-NUL",
        _with(payment__receiptUrl="https://cdn.example.com/r\u0000.jpg"),
        "payment.receiptUrl",
    ),
    (
        "designViews-NUL",
        _with(designViews=[{"view": "front", "imageUrl": "x\u0000"}]),
        "designViews.0.imageUrl",
    ),
]

# (id, raw request body, expected status, the field `fields` must name — None for non-400s)
RAW: list[tuple[str, bytes | Callable[[], bytes], int, str | None]] = [
    ("subtotal-NaN", _raw_number("subtotal", "NaN"), 400, "subtotal"),
    ("total-Infinity", _raw_number("total", "Infinity"), 400, "total"),
    ("shippingCost-minus-Infinity", _raw_number("shippingCost", "-Infinity"), 400, "shippingCost"),
    ("exchangeRate-NaN", _raw_number("exchangeRate", "NaN"), 400, "exchangeRate"),
    ("quantity-NaN", _raw_number("quantity", "NaN"), 400, "quantity"),
    ("quantity-1e400", _raw_number("quantity", "1e400"), 400, "quantity"),
    ("not-json", b"variantId=var-1&quantity=1", 400, "body"),
    ("truncated-json", json.dumps(order_body()).encode()[:-10], 400, "body"),
    ("empty", b"", 400, "body"),
    ("whitespace", b"   \n", 400, "body"),
    ("json-array", json.dumps([order_body()]).encode(), 400, "body"),
    ("json-string", b'"an order"', 400, "body"),
    ("json-null", b"null", 400, "body"),
    ("json-number", b"42", 400, "body"),
    ("invalid-utf8", b'{"variantId": "\xff\xfe"}', 400, "body"),
    ("deeply-nested-array", lambda: b"[" * 100_000 + b"]" * 100_000, 400, "body"),
    (
        "deeply-nested-field",
        lambda: (
            json.dumps(order_body())[:-1].encode()
            + b', "extra": '
            + b'{"a":' * 50_000
            + b"1"
            + b"}" * 50_000
            + b"}"
        ),
        400,
        "body",
    ),
    ("six-megabytes", lambda: b'{"variantId": "' + b"a" * (6 * 1024 * 1024) + b'"}', 413, None),
]


@pytest.fixture(scope="module")
def guest(server: Server) -> Iterator[httpx.Client]:
    with server.client() as http:
        yield http


def _count(admin: httpx.Client) -> int:
    response = admin.get("/api/orders")
    assert response.status_code == 200, response.text[:300]
    return len(response.json()["orders"])


def _fallback_files(server: Server) -> list[str]:
    return sorted(str(p) for p in server.fallback_dir.rglob("*.json")) if server.fallback_dir.exists() else []


def _assert_refused(response: httpx.Response, status: int, field: str | None) -> None:
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in response.text
    if status == 400:
        assert body["code"] == "invalid"
        assert field in body["fields"], body
        assert body["fields"][field]


@pytest.mark.parametrize(("edit", "field"), [(e, f) for _, e, f in EDITS], ids=[i for i, _, _ in EDITS])
def test_malformed_order_is_refused(
    server: Server, admin: httpx.Client, guest: httpx.Client, edit: Callable[[Body], Body], field: str
) -> None:
    before = _count(admin)
    response = guest.post("/api/orders", json=edit(copy.deepcopy(order_body())))
    _assert_refused(response, 400, field)
    assert _count(admin) == before
    assert _fallback_files(server) == []


@pytest.mark.parametrize(
    ("raw", "status", "field"), [(r, s, f) for _, r, s, f in RAW], ids=[i for i, *_ in RAW]
)
def test_malformed_raw_body_is_refused(
    server: Server,
    admin: httpx.Client,
    guest: httpx.Client,
    raw: bytes | Callable[[], bytes],
    status: int,
    field: str | None,
) -> None:
    before = _count(admin)
    content = raw() if callable(raw) else raw
    response = guest.post("/api/orders", content=content, headers={"Content-Type": "application/json"})
    _assert_refused(response, status, field)
    assert _count(admin) == before
    assert _fallback_files(server) == []


def test_six_megabytes_streamed_without_a_length_is_413(
    server: Server, admin: httpx.Client, guest: httpx.Client
) -> None:
    # Chunked upload: no Content-Length to refuse up front, so the limit must hold while reading.
    def chunks() -> Iterator[bytes]:
        yield b'{"variantId": "'
        for _ in range(6 * 16):
            yield b"a" * 65536
        yield b'"}'

    before = _count(admin)
    response = guest.post("/api/orders", content=chunks(), headers={"Content-Type": "application/json"})
    _assert_refused(response, 413, None)
    assert response.json()["code"] == "too_large"
    assert _count(admin) == before


def test_a_body_just_under_the_limit_with_a_2mb_preview_is_accepted(
    server: Server, admin: httpx.Client, guest: httpx.Client
) -> None:
    # The counterpart of the refusals above: the limits are where the SPEC puts them, not lower.
    before = _count(admin)
    body = order_body(previewUrl=_data_uri("image/png", 2 * 1024 * 1024))
    response = guest.post("/api/orders", json=body)
    assert response.status_code == 201, response.text[:500]
    order = admin.get(f"/api/orders/{response.json()['orderId']}").json()["order"]
    assert order["items"][0]["previewUrl"] == body["previewUrl"]
    assert _count(admin) == before + 1


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("depth", [17, 300, 900])
def test_deeply_nested_design_views_are_400(admin: httpx.Client, guest: httpx.Client, depth: int) -> None:
    # Valid JSON the parser takes, but deeper than any design view: such an order used to be stored
    # and then answer 500 on every GET and PUT of it (the response serialiser's depth limit).
    before = _count(admin)
    response = guest.post(
        "/api/orders", json=order_body(designViews=[{"view": "front", "layers": _nested(depth)}])
    )
    _assert_refused(response, 400, "designViews")
    assert _count(admin) == before


def test_modestly_nested_design_views_are_stored_and_served(server: Server, admin: httpx.Client) -> None:
    views = [
        {"view": "front", "layers": [{"image": {"url": "https://cdn.example.com/a.png", "box": [1, 2, 3]}}]},
        {"view": "back", "deep": _nested(14)},
    ]
    response = admin.post("/api/orders", json=order_body(designViews=views))
    assert response.status_code == 201, response.text[:500]
    order_id = response.json()["orderId"]
    got = admin.get(f"/api/orders/{order_id}")
    assert got.status_code == 200, got.text[:500]
    assert got.json()["order"]["items"][0]["designViewsJson"] == views
    moved = admin.put("/api/orders", json={"orderId": order_id, "status": "CONFIRMED"})
    assert moved.status_code == 200, moved.text[:500]


def test_an_idempotency_key_over_255_characters_is_400(admin: httpx.Client, guest: httpx.Client) -> None:
    before = _count(admin)
    response = guest.post("/api/orders", json=order_body(), headers={"Idempotency-Key": "k" * 256})
    _assert_refused(response, 400, "Idempotency-Key")
    assert _count(admin) == before


# ---- GET query parameters -------------------------------------------------------------------------------

A_UUID = "00000000-0000-4000-8000-000000000000"


def _cursor(created_at: str, order_id: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([created_at, order_id]).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": "3", "cursor": "garbage"}, "cursor"),
        ({"limit": "3", "cursor": "W10"}, "cursor"),  # base64 of "[]": decodes, but is not a cursor
        ({"limit": "3", "cursor": "eyJhIjoxfQ"}, "cursor"),  # base64 of {"a":1}
        ({"limit": "3", "cursor": "WyJub3QtYS1kYXRlIiwieCJd"}, "cursor"),  # ["not-a-date","x"]
        ({"limit": "3", "cursor": "x" * 201}, "cursor"),
        ({"cursor": "garbage"}, "cursor"),
        ({"status": "NOPE"}, "status"),
        ({"status": ["CONFIRMED", "NOPE"]}, "status"),
        ({"status": ""}, "status"),
        ({"q": "x" * 101}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"q": "a\x00b", "limit": "5"}, "q"),
        # Cursors are opaque, but a client can craft one: a date out of range once converted to UTC,
        # a date without an offset, an id that is not an order id, a NUL.
        pytest.param(
            {"limit": "3", "cursor": _cursor("0001-01-01T00:00:00+14:00", A_UUID)},
            "cursor",
            id="cursor-year-1",
        ),
        pytest.param(
            {"limit": "3", "cursor": _cursor("9999-12-31T23:59:59-14:00", A_UUID)},
            "cursor",
            id="cursor-year-9999",
        ),
        pytest.param(
            {"limit": "3", "cursor": _cursor("2026-01-01T00:00:00", A_UUID)}, "cursor", id="cursor-no-offset"
        ),
        pytest.param(
            {"limit": "3", "cursor": _cursor("2026-01-01T00:00:00+00:00", "a\u0000b")},
            "cursor",
            id="cursor-NUL-id",
        ),
        pytest.param(
            {"limit": "3", "cursor": _cursor("2026-01-01T00:00:00+00:00", 5)}, "cursor", id="cursor-number-id"
        ),
    ],
    ids=lambda v: "&".join(f"{k}={str(x)[:14]!r}" for k, x in v.items()) if isinstance(v, dict) else str(v),
)
def test_bad_query_parameters_are_400(admin: httpx.Client, params: dict[str, Any], field: str) -> None:
    _assert_refused(admin.get("/api/orders", params=params), 400, field)


# ---- PUT bodies -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (json.dumps({"status": "CONFIRMED"}), "orderId"),
        (json.dumps({"orderId": A_UUID}), "status"),
        (json.dumps({"orderId": 123, "status": "CONFIRMED"}), "orderId"),
        (json.dumps({"orderId": None, "status": "CONFIRMED"}), "orderId"),
        (json.dumps({"orderId": "x" * 65, "status": "CONFIRMED"}), "orderId"),
        (json.dumps({"orderId": A_UUID, "status": "DONE"}), "status"),
        (json.dumps({"orderId": A_UUID, "status": 3}), "status"),
        (json.dumps({"orderId": A_UUID, "status": ["CONFIRMED"]}), "status"),
        (
            json.dumps({"orderId": A_UUID, "status": "CONFIRMED", "expectedStatus": "SOMETHING"}),
            "expectedStatus",
        ),
        (json.dumps({"orderId": A_UUID, "status": "CONFIRMED", "force": "yes", "note": "n"}), "force"),
        (json.dumps({"orderId": A_UUID, "status": "CONFIRMED", "force": 1, "note": "n"}), "force"),
        (json.dumps({"orderId": A_UUID, "status": "CONFIRMED", "note": 5}), "note"),
        (json.dumps({"orderId": A_UUID, "status": "CONFIRMED", "note": "n" * 1001}), "note"),
        (json.dumps({"orderId": A_UUID, "status": "CONFIRMED", "note": "a\u0000b"}), "note"),
        ("not json", "body"),
        ("", "body"),
        ("[]", "body"),
        (json.dumps([{"orderId": A_UUID, "status": "CONFIRMED"}]), "body"),
        ("[" * 100_000, "body"),
    ],
    ids=lambda v: v[:40] if isinstance(v, str) else str(v),
)
def test_bad_put_bodies_are_400(admin: httpx.Client, content: str, field: str) -> None:
    response = admin.put(
        "/api/orders", content=content.encode(), headers={"Content-Type": "application/json"}
    )
    _assert_refused(response, 400, field)


def test_a_six_megabyte_put_is_413(admin: httpx.Client) -> None:
    content = b'{"orderId": "' + b"a" * (6 * 1024 * 1024) + b'"}'
    response = admin.put("/api/orders", content=content, headers={"Content-Type": "application/json"})
    _assert_refused(response, 413, None)


def test_a_nul_in_the_note_of_a_real_order_is_400(server: Server, admin: httpx.Client) -> None:
    created = admin.post("/api/orders", json=order_body()).json()
    response = admin.put(
        "/api/orders", json={"orderId": created["orderId"], "status": "CANCELLED", "note": "x\u0000"}
    )
    _assert_refused(response, 400, "note")
    assert admin.get(f"/api/orders/{created['orderId']}").json()["order"]["status"] == "REPORTED"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/api/auth/login", {"email": "admin@test.krafta\u0000", "password": "x"}, "email"),
        ("POST", "/api/auth/login", {"email": "admin@test.krafta", "password": "x\u0000"}, "password"),
        (
            "POST",
            "/api/users",
            {"email": "a\u0000b@test.krafta", "password": "12345678", "role": "TALLER"},
            "email",
        ),
        ("PUT", "/api/catalog", {"products": [{"id": "p\u0000", "name": "x"}]}, "products.0.id"),
        (
            "PUT",
            "/api/catalog",
            {
                "products": [
                    {
                        "id": "p",
                        "name": "x",
                        "variants": [
                            {"id": "v", "sku": "s", "basePrice": 1, "attributes": {"color": "\u0000"}}
                        ],
                    }
                ]
            },
            "products.0.variants.0.attributes.color",
        ),
    ],
    ids=["login-email", "login-password", "user-email", "catalog-id", "catalog-attributes"],
)
def test_nul_characters_elsewhere_are_400(
    admin: httpx.Client, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    _assert_refused(admin.request(method, path, json=body), 400, field)


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("/api/auth/login", b"not json"),
        ("/api/auth/login", b"[]"),
        ("/api/users", b"{"),
        ("/api/catalog", b"null"),
    ],
)
def test_other_endpoints_refuse_malformed_json_with_400(
    server: Server, admin: httpx.Client, path: str, content: bytes
) -> None:
    method = "PUT" if path == "/api/catalog" else "POST"
    response = admin.request(method, path, content=content, headers={"Content-Type": "application/json"})
    _assert_refused(response, 400, "body")
