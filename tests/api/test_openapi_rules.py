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
