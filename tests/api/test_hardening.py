"""Attacks and accidents found in review, each against the live server on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import jwt
import pytest

from tests.helpers import PASSWORD, create_order, order_body
from tests.servers import JWT_SECRET, Server


def _count(admin: httpx.Client) -> int:
    return len(admin.get("/api/orders").json()["orders"])


def _raw_body(**overrides: object) -> str:
    # json.dumps escapes a lone surrogate as "\ud800", exactly what a hostile client would send.
    return json.dumps(order_body(**overrides))


@pytest.mark.parametrize(
    "body",
    [
        _raw_body(designViews=[{"k": "\ud800"}]),
        _raw_body(designViews=[{"\udfff": 1}]),
        _raw_body(shippingCity="Caracas \ud83d"),
    ],
    ids=["value", "key", "typed-field"],
)
def test_a_lone_surrogate_is_refused_and_the_list_keeps_working(
    server: Server, admin: httpx.Client, body: str
) -> None:
    before = _count(admin)
    with server.client() as guest:
        r = guest.post("/api/orders", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["fields"]
    listed = admin.get("/api/orders")
    assert listed.status_code == 200 and len(listed.json()["orders"]) == before


def test_a_surrogate_in_catalog_attributes_is_refused(server: Server, admin: httpx.Client) -> None:
    body = (
        '{"products": [{"id": "p", "name": "n", "variants": [{"id": "v", "sku": "s", "basePrice": 1, '
        '"attributes": {"talla": "\\ud800"}}]}]}'
    )
    r = admin.put("/api/catalog", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and "attributes" in next(iter(r.json()["fields"]))
    with server.client() as guest:
        assert guest.get("/api/catalog").status_code == 200


def test_an_integer_too_long_to_convert_is_a_400(server: Server, admin: httpx.Client) -> None:
    before = _count(admin)
    body = _raw_body().replace('"quantity": 1', '"quantity": ' + "9" * 5000)
    with server.client() as guest:
        r = guest.post("/api/orders", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["fields"] == {"body": "not valid JSON"}
    assert _count(admin) == before


def test_a_token_with_an_absurd_expiry_is_a_401(server: Server) -> None:
    user = server.make_user(f"exp-{uuid.uuid4().hex[:8]}@test.krafta", role="ADMIN")
    claims = {"sub": user["id"], "role": "ADMIN", "exp": 10**12, "jti": uuid.uuid4().hex}
    token = jwt.encode(claims, JWT_SECRET, algorithm="HS256")
    with server.client(token) as http:
        assert http.get("/api/auth/me").status_code == 401


@pytest.mark.parametrize("email", ["a@.", "a@b@c.de", "a@b.", "a@b..c", "@b.co", "ana@localhost"])
def test_malformed_emails_are_refused(admin: httpx.Client, email: str) -> None:
    r = admin.post("/api/users", json={"email": email, "password": PASSWORD, "role": "TALLER"})
    assert r.status_code == 400 and "email" in r.json()["fields"]


def test_a_burst_of_parallel_wrong_logins_gets_at_most_five_guesses(server: Server) -> None:
    email = f"burst-{uuid.uuid4().hex[:8]}@test.krafta"
    server.make_user(email, role="TALLER")

    def guess(i: int) -> int:
        with server.client() as guest:
            return guest.post("/api/auth/login", json={"email": email, "password": f"wrong-{i}"}).status_code

    with ThreadPoolExecutor(24) as pool:
        codes = list(pool.map(guess, range(24)))
    assert codes.count(401) <= 5, codes
    assert codes.count(429) >= 19 and set(codes) <= {401, 429}


def test_a_stray_file_in_the_fallback_is_set_aside_not_fatal(server: Server, admin: httpx.Client) -> None:
    server.fallback_dir.mkdir(parents=True, exist_ok=True)
    stray = server.fallback_dir / "stray.json"
    stray.write_text("{}")
    (server.fallback_dir / "notes.json").write_text("not json at all")
    listed = admin.get("/api/orders")
    assert listed.status_code == 200
    with server.client(headers={"Idempotency-Key": "stray-k"}) as guest:
        keyed = guest.post("/api/orders", json=order_body())
    assert keyed.status_code == 201
    assert not stray.exists()
    assert sorted(p.name for p in (server.fallback_dir / "invalid").iterdir()) == ["notes.json", "stray.json"]


def test_other_users_orders_stay_not_found_by_number_and_id(server: Server) -> None:
    owner = server.make_user(f"own-{uuid.uuid4().hex[:8]}@test.krafta")
    other = server.make_user(f"oth-{uuid.uuid4().hex[:8]}@test.krafta")
    created = create_order(server, server.login(owner["email"]))
    with server.client(server.login(other["email"])) as http:
        for ident in (created["orderId"], created["orderNumber"]):
            assert http.get(f"/api/orders/{ident}").status_code == 404
