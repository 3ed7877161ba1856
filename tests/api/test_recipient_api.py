"""The recipient's name, phone and ID number over HTTP (SQLite and PostgreSQL): accepted when the order
is placed, stored, shown to staff and to the order's owner; bad values are 400s naming the field."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.domain.records import upgrade
from server.domain.shape import problems
from tests.helpers import create_order, order_body
from tests.servers import Server

RECIPIENT = {
    "recipientName": "José Gregorio Hernández",
    "recipientPhone": "+58 412-555-0101",
    "recipientIdNumber": "V-12.345.678",
}


def test_recipient_is_stored_and_shown_to_staff_and_to_the_owner(server: Server, admin: httpx.Client) -> None:
    email = f"cliente-{uuid.uuid4().hex[:8]}@test.krafta"
    server.make_user(email, role="CLIENTE")
    token = server.login(email)
    padded = {key: f"  {value} " for key, value in RECIPIENT.items()}
    created = create_order(server, token, **padded)

    staff = admin.get(f"/api/orders/{created['orderNumber']}").json()["order"]
    listed = admin.get("/api/orders", params={"limit": 500}).json()["orders"]
    with server.client(token) as customer:
        own = customer.get(f"/api/orders/{created['orderId']}").json()["order"]

    for view in (staff, next(o for o in listed if o["id"] == created["orderId"]), own):
        assert {key: view[key] for key in RECIPIENT} == RECIPIENT


def test_an_order_without_a_recipient_has_nulls(server: Server, admin: httpx.Client) -> None:
    created = create_order(server)

    order = admin.get(f"/api/orders/{created['orderId']}").json()["order"]

    assert {key: order[key] for key in RECIPIENT} == dict.fromkeys(RECIPIENT)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("recipientName", "x" * 121),
        ("recipientName", "Ana\u202eanA"),
        ("recipientName", "Ana\nPérez"),
        ("recipientName", "   "),
        ("recipientName", 42),
        ("recipientPhone", "0412-CALL-ME"),
        ("recipientPhone", "+" + "1" * 32),
        ("recipientPhone", "+ - +"),
        ("recipientIdNumber", "V-12345678/9"),
        ("recipientIdNumber", "V-" + "1" * 19),
        ("recipientIdNumber", "V-"),
        ("recipientIdNumber", ["V-1"]),
    ],
)
def test_a_bad_recipient_value_is_a_400_naming_the_field(server: Server, field: str, value: Any) -> None:
    with server.client() as http:
        answer = http.post("/api/orders", json=order_body(**{field: value}))

    assert answer.status_code == 400, answer.text
    assert list(answer.json()["fields"]) == [field]


def test_the_longest_values_are_taken(server: Server, admin: httpx.Client) -> None:
    longest = {
        "recipientName": "Ñ" * 120,
        "recipientPhone": "+" + "5" * 31,
        "recipientIdNumber": "J-" + "1" * 18,
    }

    created = create_order(server, **longest)

    order = admin.get(f"/api/orders/{created['orderId']}").json()["order"]
    assert {key: order[key] for key in longest} == longest


def test_a_fallback_file_from_before_the_recipient_is_completed_with_nulls() -> None:
    [old_file] = (Path(__file__).parent / "data" / "fallback_v0006").glob("*.json")
    record = upgrade(json.loads(old_file.read_text()))
    for key in RECIPIENT:
        del record[key]

    missing = problems(record)
    upgraded = problems(upgrade(record))

    assert missing == [f"order.{key} is missing" for key in RECIPIENT]
    assert upgraded == []
    assert {key: record[key] for key in RECIPIENT} == dict.fromkeys(RECIPIENT)
