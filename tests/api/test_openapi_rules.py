"""Issue 14: the rules schemathesis found the server enforcing without the OpenAPI description saying
so are stated now — each checked two ways: the description says it, and the server does what the
description says on a value on each side of the rule (validated with jsonschema against the
description itself, so the two cannot drift apart unnoticed)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import jsonschema_rs
import pytest

from tests.helpers import order_body
from tests.servers import Server


@pytest.fixture(scope="module")
def spec(server: Server) -> dict[str, Any]:
    with server.client() as http:
        return http.get("/openapi.json").json()  # type: ignore[no-any-return]


def _valid(spec: dict[str, Any], name: str, value: Any) -> bool:
    # The component with the rest of the description beside it, so its $refs resolve.
    schema = {**spec["components"]["schemas"][name], "components": spec["components"]}
    return bool(jsonschema_rs.validator_for(schema).is_valid(value))


def _matches(schema: dict[str, Any], value: Any) -> bool:
    return bool(jsonschema_rs.validator_for(schema).is_valid(value))


def test_exchange_rate_is_a_number_above_zero(spec: dict[str, Any], server: Server) -> None:
    rate = spec["components"]["schemas"]["OrderIn"]["properties"]["exchangeRate"]
    assert rate["type"] == "number" and rate["exclusiveMinimum"] == 0  # on main: number or string
    total = spec["components"]["schemas"]["OrderIn"]["properties"]["total"]
    assert total["type"] == "number" and total["minimum"] == 0
    with server.client() as http:
        for value, accepted in ((0, False), ("36.5", False), (36.5, True)):
            body = order_body(exchangeRate=value)
            assert _valid(spec, "OrderIn", body) is accepted
            if not accepted:
                answer = http.post("/api/orders", json=body)
                assert answer.status_code == 400 and "exchangeRate" in answer.json()["fields"], answer.text


@pytest.mark.parametrize(
    ("email", "accepted"),
    [("ana@tienda.com", True), ("ana@tienda", False), ("@tienda.com", False), ("a b@tienda.com", False)],
)
def test_a_user_email_is_described_as_the_server_reads_it(
    spec: dict[str, Any], admin: httpx.Client, email: str, accepted: bool
) -> None:
    local, _, domain = email.partition("@")
    email = f"{local}{uuid.uuid4().hex[:6]}@{domain}" if local else email
    body = {"email": email, "password": "a-long-password", "role": "TALLER"}
    assert _valid(spec, "UserIn", body) is accepted  # on main every string up to 254 characters
    assert (admin.post("/api/users", json=body).status_code == 201) is accepted


def test_no_string_the_api_reads_may_hold_nul(spec: dict[str, Any], server: Server) -> None:
    body = order_body(shippingCity="Mara\u0000caibo")
    assert not _valid(spec, "OrderIn", body)  # on main the description allowed it
    assert _valid(spec, "OrderIn", order_body())
    with server.client() as http:
        assert http.post("/api/orders", json=body).status_code == 400
    q = next(p for p in spec["paths"]["/api/orders"]["get"]["parameters"] if p["name"] == "q")
    assert any(b.get("pattern") == "^[^\\u0000]*$" for b in q["schema"]["anyOf"])


def test_a_cursor_is_described_as_the_server_makes_it(spec: dict[str, Any], admin: httpx.Client) -> None:
    cursor = next(p for p in spec["paths"]["/api/orders"]["get"]["parameters"] if p["name"] == "cursor")
    [string] = [b for b in cursor["schema"]["anyOf"] if b.get("type") == "string"]
    for _ in range(2):
        assert admin.post("/api/orders", json=order_body()).status_code == 201
    page = admin.get("/api/orders", params={"limit": 1}).json()
    made = page.get("nextCursor")
    assert made, page
    assert _matches(string, made)
    assert not _matches(string, "not a cursor!")
    assert admin.get("/api/orders", params={"limit": 1, "cursor": "not a cursor!"}).status_code == 400


def test_a_tracking_number_goes_with_a_hand_over_only(spec: dict[str, Any], admin: httpx.Client) -> None:
    move = {"orderId": str(uuid.uuid4()), "status": "CANCELLED", "note": "x", "trackingNumber": "TRK-1"}
    assert not _valid(spec, "AdvanceIn", move)  # on main the description allowed it
    assert _valid(spec, "AdvanceIn", {**move, "status": "HANDED_TO_DELIVERY"})
    assert _valid(spec, "AdvanceIn", {k: v for k, v in move.items() if k != "trackingNumber"})
    answer = admin.put("/api/orders", json=move)
    assert answer.status_code == 400 and "trackingNumber" in answer.json()["fields"], answer.text


def test_trace_is_405_naming_the_methods_allowed(server: Server) -> None:
    with server.client() as http:
        answer = http.request("TRACE", "/api/orders")
    assert answer.status_code == 405 and answer.json()["code"] == "method_not_allowed"
    # On main the 405 came without Allow (RFC 9110 asks for it; schemathesis checks it).
    assert {m.strip() for m in answer.headers["allow"].split(",")} >= {"GET", "POST", "PUT"}


# Found by the CI fuzz test's coverage, fuzzing and stateful phases (tests/live/test_fuzz_openapi.py):
# (component, body, what the server answers). Each body breaks one rule the description did not state.
_HAND_OVER = {"orderId": str(uuid.uuid4()), "status": "HANDED_TO_DELIVERY", "courier": "Zoom"}
STATED = [
    ("OrderIn", order_body(shippingCity="   "), 400),  # trimmed text must keep a character
    ("OrderIn", order_body(payment={"receiptUrl": "000"}), 400),  # an http(s) URL
    ("OrderIn", order_body(previewUrl=""), 400),  # an http(s) URL or an image data: URI
    ("OrderIn", {**order_body(), "extra": {"k\u0000": 1}}, 400),  # NUL in a key the model ignores
    ("AdvanceIn", {**_HAND_OVER, "trackingNumber": "TRK\u00981"}, 400),  # no control characters
    ("AdvanceIn", {"orderId": str(uuid.uuid4()), "status": "READY", "force": True}, 400),  # note
    ("UserIn", {"email": "ana\u0085x@tienda.com", "password": "a-long-password", "role": "TALLER"}, 400),
]


@pytest.mark.parametrize(("name", "body", "status"), STATED, ids=lambda v: v if isinstance(v, str) else "")
def test_rules_the_fuzz_test_found_are_stated(
    spec: dict[str, Any], admin: httpx.Client, name: str, body: dict[str, Any], status: int
) -> None:
    assert not _valid(spec, name, body)  # on main the description allowed it
    path = {
        "OrderIn": ("POST", "/api/orders"),
        "AdvanceIn": ("PUT", "/api/orders"),
        "UserIn": ("POST", "/api/users"),
    }
    method, url = path[name]
    if name == "AdvanceIn":  # a real order, so the answer is about the rule, not a missing order
        body = {**body, "orderId": admin.post("/api/orders", json=order_body()).json()["orderId"]}
    answer = admin.request(method, url, json=body)
    assert answer.status_code == status, answer.text


def test_a_plan_change_is_described_as_the_server_takes_it(spec: dict[str, Any], admin: httpx.Client) -> None:
    ident = admin.post("/api/orders", json=order_body()).json()["orderNumber"]
    for body in ({}, {"expectedStatus": "PENDING"}, {"priority": None}):
        assert not _valid(spec, "PlanIn", body), body  # on main all three were allowed
        assert admin.patch(f"/api/orders/{ident}", json=body).status_code == 400
    assert _valid(spec, "PlanIn", {"priority": "rush"})
    assert admin.patch(f"/api/orders/{ident}", json={"priority": "rush"}).status_code == 200


def test_every_json_body_is_described(spec: dict[str, Any]) -> None:
    # On main these had no requestBody: the fuzzer sent none and got 415.
    for path in (
        "/api/auth/password",
        "/api/users/device-tokens",
        "/api/users/{email}/password",
        "/api/orders/{ident}/payments",
    ):
        assert spec["paths"][path]["post"]["requestBody"]["required"] is True, path
    products = spec["components"]["schemas"]["CatalogIn"]["properties"]["products"]
    assert products["maxItems"] == 4998  # more cannot fit the body's 5,000 arrays and objects


def test_text_parameters_list_the_values_the_server_takes(spec: dict[str, Any], admin: httpx.Client) -> None:
    def schema(path: str, name: str) -> dict[str, Any]:
        parameter = next(p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name)
        return parameter["schema"]  # type: ignore[no-any-return]

    for path, name, value in (("/api/orders", "priority", "urgent"), ("/api/tickets", "status", "")):
        assert not _matches(schema(path, name), value)  # on main any text up to 16/40 characters
        assert admin.get(path, params={name: value}).status_code == 400
    assert _matches(schema("/api/orders", "priority"), "rush")


def test_a_device_token_for_a_whole_number_of_days(spec: dict[str, Any], admin: httpx.Client) -> None:
    # JSON Schema's integer includes 30.0: the server took only 30 (400 "valid integer" on main).
    body = {"name": f"fuzz {uuid.uuid4().hex[:6]}", "role": "TALLER", "days": 30.0}
    assert _valid(spec, "DeviceTokenIn", body)
    assert admin.post("/api/users/device-tokens", json=body).status_code == 201, body
    assert admin.post("/api/users/device-tokens", json={**body, "days": 30.5}).status_code == 400
    assert not _valid(spec, "DeviceTokenIn", {**body, "name": "two  spaces"})
    assert admin.post("/api/users/device-tokens", json={**body, "name": "two  spaces"}).status_code == 400


def test_the_manifest_day_is_a_date_not_a_number(admin: httpx.Client) -> None:
    # On main date=0 was read as 0 seconds after 1970 and answered 1970-01-01's manifest (200).
    assert admin.get("/api/manifest", params={"date": "0"}).status_code == 400
    assert admin.get("/api/manifest", params={"date": "2026-12-05", "format": "csv"}).status_code == 200
    # On main a NUL in the courier was taken (200), though the description says no text holds NUL.
    assert admin.get("/api/manifest", params={"courier": "Zo\u0000om"}).status_code == 400
