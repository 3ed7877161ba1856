"""`/api/catalog` and `/api/users` over HTTP on a live server (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.helpers import PASSWORD, create_order
from tests.servers import Server


def _uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def cliente(server: Server) -> Iterator[httpx.Client]:
    email = f"{_uid('cliente')}@test.krafta"
    server.make_user(email, role="CLIENTE")
    with server.client(server.login(email)) as http:
        yield http


def _catalog(http: httpx.Client) -> dict[str, dict[str, Any]]:
    response = http.get("/api/catalog")
    assert response.status_code == 200, response.text[:500]
    assert response.json()["success"] is True
    return {p["id"]: p for p in response.json()["products"]}


def _product(
    pid: str, *variants: tuple[str, float], active: bool = True, name: str = "Taza"
) -> dict[str, Any]:
    return {
        "id": pid,
        "name": name,
        "active": active,
        "variants": [{"id": vid, "sku": f"SKU-{vid}", "basePrice": price} for vid, price in variants],
    }


# ---- catalog -----------------------------------------------------------------------------------------


def test_the_fixture_catalog_is_listed(admin: httpx.Client) -> None:
    products = _catalog(admin)
    franela = products["franela"]
    assert franela["name"] == "Franela blanca" and franela["active"] is True
    variants = {v["id"]: v for v in franela["variants"]}
    assert variants["var-1"] == {
        "id": "var-1",
        "sku": "FRA-BLA-M",
        "basePrice": 12.0,
        "attributes": {},
        "active": True,
    }
    assert products["retirado"]["active"] is False


def test_admin_upserts_the_catalog(server: Server, admin: httpx.Client) -> None:
    pid, v1, v2 = _uid("taza"), _uid("var"), _uid("var")
    first = admin.put("/api/catalog", json={"products": [_product(pid, (v1, 8.50), (v2, 9.99))]})
    assert first.status_code == 200, first.text
    assert first.json() == {"success": True, "products": 1, "variants": 2}
    listed = _catalog(admin)[pid]
    assert {v["id"]: v["basePrice"] for v in listed["variants"]} == {v1: 8.5, v2: 9.99}

    # Upsert by id: the price and name change in place, nothing is duplicated, other products stay.
    second = admin.put(
        "/api/catalog",
        json={
            "products": [
                {
                    **_product(pid, (v1, 10.00), name="Taza grande"),
                    "variants": [
                        {
                            "id": v1,
                            "sku": "NEW",
                            "basePrice": 10.00,
                            "attributes": {"size": "L"},
                            "active": True,
                        }
                    ],
                }
            ]
        },
    )
    assert second.status_code == 200, second.text
    products = _catalog(admin)
    assert products[pid]["name"] == "Taza grande"
    variants = {v["id"]: v for v in products[pid]["variants"]}
    assert variants[v1]["basePrice"] == 10.0 and variants[v1]["sku"] == "NEW"
    assert variants[v1]["attributes"] == {"size": "L"}
    assert variants[v2]["basePrice"] == 9.99
    assert "franela" in products

    # The price check uses the catalog as it is now.
    order = create_order(server, variantId=v1, subtotal=10.00, total=13.00, totalBs=520.00)
    assert admin.get(f"/api/orders/{order['orderId']}").json()["order"]["priceCheck"] == "OK"


def test_deactivating_a_variant_makes_new_orders_unknown_variant(server: Server, admin: httpx.Client) -> None:
    pid, vid = _uid("gorra"), _uid("var")
    assert admin.put("/api/catalog", json={"products": [_product(pid, (vid, 7.00))]}).status_code == 200
    body = {"variantId": vid, "subtotal": 7.00, "total": 10.00, "totalBs": 400.00}
    before = create_order(server, **body)
    off = _product(pid, (vid, 7.00))
    off["variants"][0]["active"] = False
    assert admin.put("/api/catalog", json={"products": [off]}).status_code == 200
    after = create_order(server, **body)
    checks = [admin.get(f"/api/orders/{o['orderId']}").json()["order"]["priceCheck"] for o in (before, after)]
    assert checks == ["OK", "UNKNOWN_VARIANT"]


def test_catalog_can_be_read_without_a_session(server: Server) -> None:
    # The storefront reads prices; only changing them is an ADMIN's act.
    with server.client() as http:
        assert "franela" in _catalog(http)


def test_taller_may_not_change_the_catalog(taller: httpx.Client, admin: httpx.Client) -> None:
    pid = _uid("nope")
    response = taller.put("/api/catalog", json={"products": [_product(pid, (_uid("var"), 1.0))]})
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden"
    assert pid not in _catalog(admin)


def test_cliente_may_not_change_the_catalog(cliente: httpx.Client) -> None:
    response = cliente.put("/api/catalog", json={"products": []})
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}], ids=["none", "bad-token"])
def test_catalog_change_without_a_session_is_401(server: Server, headers: dict[str, str]) -> None:
    with server.client() as http:
        response = http.put("/api/catalog", json={"products": []}, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "not_authenticated"


def _deep(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"k": value}
    return value


BAD_CATALOGS: list[tuple[str, Any, str]] = [
    ("no-products", {}, "products"),
    ("products-not-list", {"products": {"id": "x"}}, "products"),
    ("product-without-id", {"products": [{"name": "x", "variants": []}]}, "products.0.id"),
    ("product-without-name", {"products": [{"id": "x", "variants": []}]}, "products.0.name"),
    ("product-id-65", {"products": [{"id": "x" * 65, "name": "x"}]}, "products.0.id"),
    (
        "variants-not-list",
        {"products": [{"id": "x", "name": "x", "variants": "var-1"}]},
        "products.0.variants",
    ),
    (
        "variant-without-price",
        {"products": [{"id": "x", "name": "x", "variants": [{"id": "v", "sku": "s"}]}]},
        "products.0.variants.0.basePrice",
    ),
    (
        "price-negative",
        {"products": [_product("x", ("v", -1.0))]},
        "products.0.variants.0.basePrice",
    ),
    (
        "price-string",
        {"products": [{"id": "x", "name": "x", "variants": [{"id": "v", "sku": "s", "basePrice": "12"}]}]},
        "products.0.variants.0.basePrice",
    ),
    ("price-3-decimals", {"products": [_product("x", ("v", 1.005))]}, "products.0.variants.0.basePrice"),
    (
        "active-string",
        {"products": [{"id": "x", "name": "x", "active": "yes"}]},
        "products.0.active",
    ),
    (
        "attributes-list",
        {
            "products": [
                {
                    "id": "x",
                    "name": "x",
                    "variants": [{"id": "v", "sku": "s", "basePrice": 1, "attributes": []}],
                }
            ]
        },
        "products.0.variants.0.attributes",
    ),
    (
        "attributes-nested-300",
        {
            "products": [
                {
                    "id": "x",
                    "name": "x",
                    "variants": [{"id": "v", "sku": "s", "basePrice": 1, "attributes": _deep(300)}],
                }
            ]
        },
        "products.0.variants.0.attributes",
    ),
    ("array-body", [{"id": "x"}], "body"),
]


@pytest.mark.parametrize(
    ("body", "field"), [(b, f) for _, b, f in BAD_CATALOGS], ids=[i for i, _, _ in BAD_CATALOGS]
)
def test_bad_catalog_bodies_are_400_and_change_nothing(admin: httpx.Client, body: Any, field: str) -> None:
    before = _catalog(admin)
    response = admin.put("/api/catalog", json=body)
    assert response.status_code == 400, response.text[:500]
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"], response.json()
    assert _catalog(admin) == before


def test_a_bad_product_late_in_the_list_writes_none_of_it(admin: httpx.Client) -> None:
    good = _uid("bien")
    body = {"products": [_product(good, (_uid("var"), 1.0)), {"id": "bad", "name": ""}]}
    assert admin.put("/api/catalog", json=body).status_code == 400
    assert good not in _catalog(admin)


# ---- users -------------------------------------------------------------------------------------------------


def test_admin_creates_a_user_who_can_log_in(server: Server, admin: httpx.Client) -> None:
    email = f"{_uid('Nuevo.Taller')}@Test.Krafta"
    response = admin.post("/api/users", json={"email": email, "password": "s3cret-pass", "role": "TALLER"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    user = body["user"]
    assert set(user) == {"id", "email", "role", "active", "createdAt"}
    assert user["email"] == email.lower() and user["role"] == "TALLER" and user["active"] is True
    assert str(uuid.UUID(user["id"])) == user["id"]

    token = server.login(email.lower(), "s3cret-pass")
    with server.client(token) as http:
        me = http.get("/api/auth/me").json()["user"]
    assert me == {"id": user["id"], "email": email.lower(), "role": "TALLER"}


def test_users_are_listed_for_admin_without_secrets(server: Server, admin: httpx.Client) -> None:
    email = f"{_uid('listado')}@test.krafta"
    made = admin.post("/api/users", json={"email": email, "password": PASSWORD, "role": "CREADOR"})
    assert made.status_code == 201, made.text
    response = admin.get("/api/users")
    assert response.status_code == 200, response.text
    users = {u["email"]: u for u in response.json()["users"]}
    assert users[email]["role"] == "CREADOR"
    assert {"admin@test.krafta", "taller@test.krafta"} <= set(users)
    assert PASSWORD not in response.text
    assert "password" not in response.text.lower() and "argon2" not in response.text


@pytest.mark.parametrize("client_name", ["taller", "cliente"])
def test_only_admin_manages_users(
    request: pytest.FixtureRequest, admin: httpx.Client, client_name: str
) -> None:
    http: httpx.Client = request.getfixturevalue(client_name)
    email = f"{_uid('intruso')}@test.krafta"
    response = http.post("/api/users", json={"email": email, "password": PASSWORD, "role": "ADMIN"})
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden"
    assert http.get("/api/users").status_code == 403
    assert email not in {u["email"] for u in admin.get("/api/users").json()["users"]}


def test_users_need_a_session(server: Server) -> None:
    with server.client() as http:
        assert http.get("/api/users").status_code == 401
        response = http.post(
            "/api/users", json={"email": "x@test.krafta", "password": PASSWORD, "role": "ADMIN"}
        )
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_duplicate_email_is_409(admin: httpx.Client, server: Server) -> None:
    email = f"{_uid('doble')}@test.krafta"
    first = admin.post("/api/users", json={"email": email, "password": PASSWORD, "role": "TALLER"})
    assert first.status_code == 201, first.text
    for again in (email, email.upper(), f"  {email}  "):
        response = admin.post(
            "/api/users", json={"email": again, "password": "other-password", "role": "ADMIN"}
        )
        assert response.status_code == 409, (again, response.text)
        assert response.json()["success"] is False
    # The first account is untouched: still TALLER, still its own password.
    server.login(email, PASSWORD)
    users = [u for u in admin.get("/api/users").json()["users"] if u["email"] == email]
    assert [u["role"] for u in users] == ["TALLER"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "short@test.krafta", "password": "1234567", "role": "TALLER"}, "password"),
        ({"email": "short@test.krafta", "password": "", "role": "TALLER"}, "password"),
        ({"email": "short@test.krafta", "password": 12345678, "role": "TALLER"}, "password"),
        ({"email": "role@test.krafta", "password": PASSWORD, "role": "SUPERUSER"}, "role"),
        ({"email": "role@test.krafta", "password": PASSWORD, "role": "admin"}, "role"),
        ({"email": "role@test.krafta", "password": PASSWORD}, "role"),
        ({"password": PASSWORD, "role": "TALLER"}, "email"),
        ({"email": "not-an-email", "password": PASSWORD, "role": "TALLER"}, "email"),
        ({"email": "a b@test.krafta", "password": PASSWORD, "role": "TALLER"}, "email"),
        ({"email": "", "password": PASSWORD, "role": "TALLER"}, "email"),
        ({"email": ["x@test.krafta"], "password": PASSWORD, "role": "TALLER"}, "email"),
    ],
    ids=[
        "password-7",
        "password-empty",
        "password-number",
        "role-unknown",
        "role-lowercase",
        "role-missing",
        "email-missing",
        "email-no-at",
        "email-space",
        "email-empty",
        "email-list",
    ],
)
def test_bad_user_bodies_are_400(admin: httpx.Client, body: dict[str, Any], field: str) -> None:
    response = admin.post("/api/users", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"], response.json()
    if isinstance(body.get("email"), str):
        listed = {u["email"] for u in admin.get("/api/users").json()["users"]}
        assert body["email"] not in listed
