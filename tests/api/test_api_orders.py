"""`/api/orders` over HTTP on a live server (SQLite and PostgreSQL): create, list, get, filters, paging.

The server is shared by the module, so each test makes its own orders and finds them again by
something unique to it (a city, a state or a payer name made from a fresh uuid).
"""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.helpers import EXAMPLE, create_order, order_body
from tests.servers import Server

NUMBER = re.compile(r"^KRFT-\d{6}$")


def _marker(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _list(http: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = http.get("/api/orders", params=params)
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert body["success"] is True
    assert body["nextCursor"] is None or "limit" in params
    return body["orders"]


def _get(http: httpx.Client, ident: str) -> dict[str, Any]:
    response = http.get(f"/api/orders/{ident}")
    assert response.status_code == 200, response.text[:500]
    assert response.json()["success"] is True
    return response.json()["order"]


def _sort_key(order: dict[str, Any]) -> tuple[datetime, str]:
    # Parsed, not compared as text: isoformat() drops the microseconds when they are zero.
    return datetime.fromisoformat(order["createdAt"]), order["id"]


# ---- POST -------------------------------------------------------------------------------------------


def test_post_returns_the_documented_shape(server: Server) -> None:
    with server.client() as http:
        response = http.post("/api/orders", json=order_body())
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"success", "orderId", "orderNumber", "status", "orderToken"}
    assert len(body["orderToken"]) >= 43
    assert body["success"] is True
    assert body["status"] == "REPORTED"
    assert NUMBER.match(body["orderNumber"]), body["orderNumber"]
    assert str(uuid.UUID(body["orderId"])) == body["orderId"]


def test_order_numbers_are_distinct_and_not_sequential(server: Server) -> None:
    numbers = [int(create_order(server)["orderNumber"][5:]) for _ in range(8)]
    assert len(set(numbers)) == 8
    steps = {b - a for a, b in itertools.pairwise(numbers)}
    assert steps != {1}, "order numbers must not be guessable from the previous one"


def test_posted_values_come_back_nested(server: Server, admin: httpx.Client) -> None:
    city = _marker("Ciudad")
    body = order_body(shippingCity=city, quantity=2, subtotal=24.00, total=27.00, totalBs=1080.00)
    with server.client() as http:
        created = http.post("/api/orders", json=body).json()
    order = _get(admin, created["orderId"])

    assert order["id"] == created["orderId"] and order["orderNumber"] == created["orderNumber"]
    assert order["status"] == "REPORTED" and order["storage"] == "database"
    for key in (
        "shippingAddress",
        "shippingCity",
        "shippingState",
        "shippingCost",
        "subtotal",
        "total",
        "totalBs",
        "exchangeRate",
    ):
        assert order[key] == body[key], key
    assert order["userId"] is None and order["guestId"].startswith("guest-")
    created_at = datetime.fromisoformat(order["createdAt"])
    assert created_at.utcoffset() is not None and created_at.utcoffset().total_seconds() == 0

    [item] = order["items"]
    assert item["variantId"] == "var-1" and item["quantity"] == 2
    assert item["productName"] == "Franela blanca" and item["unitPrice"] == 12.0
    assert item["previewUrl"] == body["previewUrl"]
    assert item["designViewsJson"] == body["designViews"]
    assert item["designUploadId"] is None

    [payment] = order["payments"]
    for key in ("method", "reference", "originBank", "payerName", "receiptUrl"):
        assert payment[key] == body["payment"][key], key
    assert payment["amountReported"] == body["payment"]["amountReported"]
    assert payment["amountExpected"] == body["totalBs"] == 1080.0
    assert payment["status"] == "REPORTED"
    assert payment["reviewedAt"] is None and payment["reviewedBy"] is None

    [created_event] = order["history"]
    assert created_event["fromStatus"] is None and created_event["toStatus"] == "REPORTED"
    assert created_event["userEmail"] is None and created_event["forced"] is False
    assert datetime.fromisoformat(created_event["at"]) == created_at


def test_amount_reported_defaults_to_total_bs(server: Server, admin: httpx.Client) -> None:
    body = order_body(shippingCost=5.50, subtotal=12.00, total=17.50, exchangeRate=36.5, totalBs=638.75)
    del body["payment"]["amountReported"]
    with server.client() as http:
        response = http.post("/api/orders", json=body)
    assert response.status_code == 201, response.text
    [payment] = _get(admin, response.json()["orderId"])["payments"]
    assert payment["amountReported"] == 638.75
    assert payment["amountExpected"] == 638.75


def test_money_keeps_its_cents_exactly(server: Server, admin: httpx.Client) -> None:
    # 0.1-style values are where a float column would show 19.989999…; Numeric keeps them.
    body = order_body(
        variantId="var-nope",
        subtotal=19.99,
        shippingCost=0.01,
        total=20.00,
        exchangeRate=36.55,
        totalBs=731.00,
        payment={"amountReported": 731.10},
    )
    created = create_order(
        server, **{k: v for k, v in body.items() if k != "payment"}, payment=body["payment"]
    )
    order = _get(admin, created["orderId"])
    assert (order["subtotal"], order["shippingCost"], order["total"]) == (19.99, 0.01, 20.0)
    assert (order["exchangeRate"], order["totalBs"]) == (36.55, 731.0)
    assert order["payments"][0]["amountReported"] == 731.1


def test_exchange_rate_keeps_four_decimals(server: Server, admin: httpx.Client) -> None:
    # Rates are quoted to 4 decimals (SPEC: > 0); totalBs is checked against the unrounded rate.
    created = create_order(server, exchangeRate=36.5012, totalBs=547.52)
    assert _get(admin, created["orderId"])["exchangeRate"] == 36.5012


def test_unknown_fields_are_ignored(server: Server, admin: httpx.Client) -> None:
    created = create_order(server, couponCode="NAVIDAD", status="COMPLETED", id="attacker-chosen")
    order = _get(admin, created["orderId"])
    assert order["status"] == "REPORTED"
    assert order["id"] != "attacker-chosen" and "couponCode" not in order


@pytest.mark.parametrize("total_bs", [597.01, 602.99], ids=["just-under", "just-over"])
def test_total_bs_within_half_a_percent_is_accepted(server: Server, total_bs: float) -> None:
    assert create_order(server, totalBs=total_bs)["status"] == "REPORTED"


def test_creator_of_a_logged_in_order_is_recorded(server: Server, admin: httpx.Client) -> None:
    email = f"{_marker('buyer')}@test.krafta"
    user = server.make_user(email, role="CLIENTE")
    created = create_order(server, server.login(email))
    order = _get(admin, created["orderId"])
    assert order["userId"] == user["id"] and order["guestId"] is None
    event = order["history"][0]
    assert (event["userEmail"], event["userRole"], event["userId"]) == (email, "CLIENTE", user["id"])


# ---- price check ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "check", "expected"),
    [
        ({}, "OK", None),
        ({"quantity": 3, "subtotal": 36.00, "total": 39.00, "totalBs": 1560.00}, "OK", None),
        ({"subtotal": 10.00, "total": 13.00, "totalBs": 520.00}, "MISMATCH", 12.0),
        ({"quantity": 2, "subtotal": 12.00}, "MISMATCH", 24.0),
        ({"variantId": "var-does-not-exist"}, "UNKNOWN_VARIANT", None),
        (
            {"variantId": "var-old", "subtotal": 5.00, "total": 8.00, "totalBs": 320.00},
            "UNKNOWN_VARIANT",
            None,
        ),
    ],
    ids=["ok", "ok-quantity-3", "mismatch-discount", "mismatch-quantity", "unknown", "inactive"],
)
def test_price_check(
    server: Server, admin: httpx.Client, overrides: dict[str, Any], check: str, expected: float | None
) -> None:
    created = create_order(server, **overrides)
    order = _get(admin, created["orderId"])
    assert order["priceCheck"] == check
    assert order["priceExpected"] == expected
    if check == "UNKNOWN_VARIANT":
        assert order["items"][0]["productName"] is None


def test_design_upload_id_naming_no_upload_is_400(server: Server, admin: httpx.Client) -> None:
    city = _marker("Ciudad")
    with server.client() as http:
        body = order_body(shippingCity=city, designUploadId=str(uuid.uuid4()))
        response = http.post("/api/orders", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["success"] is False
    assert "designUploadId" in response.json()["fields"]
    assert _list(admin, q=city) == []


# ---- Idempotency-Key ----------------------------------------------------------------------------------


def test_repeated_post_with_the_same_key_creates_one_order(server: Server, admin: httpx.Client) -> None:
    city = _marker("Idem")
    body = order_body(shippingCity=city)
    key = str(uuid.uuid4())
    with server.client(None, headers={"Idempotency-Key": key}) as http:
        first = http.post("/api/orders", json=body)
        # Same JSON with the keys in another order is the same request.
        again = http.post("/api/orders", json=dict(reversed(list(body.items()))))
        third = http.post("/api/orders", json=body)
    assert first.status_code == 201, first.text
    assert again.status_code == 201 and third.status_code == 201
    # The order token is answered once: a retry gets the first answer without it.
    assert first.json().pop("orderToken")
    assert again.json() == third.json() == {k: v for k, v in first.json().items() if k != "orderToken"}
    assert "orderToken" not in again.json()
    assert [o["id"] for o in _list(admin, q=city)] == [first.json()["orderId"]]


def test_same_idempotency_key_with_another_body_is_409(server: Server, admin: httpx.Client) -> None:
    city = _marker("Idem")
    key = str(uuid.uuid4())
    other_body = order_body(shippingCity=city, quantity=2, subtotal=24.0, total=27.0, totalBs=1080.0)
    with server.client(None, headers={"Idempotency-Key": key}) as http:
        first = http.post("/api/orders", json=order_body(shippingCity=city))
        other = http.post("/api/orders", json=other_body)
    assert first.status_code == 201, first.text
    assert other.status_code == 409, other.text
    assert other.json()["success"] is False and other.json()["code"] == "idempotency_conflict"
    [only] = _list(admin, q=city)
    assert only["id"] == first.json()["orderId"] and only["items"][0]["quantity"] == 1


def test_without_a_key_each_post_is_a_new_order(server: Server, admin: httpx.Client) -> None:
    city = _marker("NoKey")
    for _ in range(2):
        create_order(server, shippingCity=city)
    assert len(_list(admin, q=city)) == 2


# ---- GET list -----------------------------------------------------------------------------------------


def test_list_is_newest_first(server: Server, admin: httpx.Client) -> None:
    state = _marker("Estado")
    ids = [create_order(server, shippingState=state)["orderId"] for _ in range(5)]
    assert [o["id"] for o in _list(admin, q=state)] == list(reversed(ids))
    everything = _list(admin)
    assert len(everything) >= 5
    keys = [_sort_key(o) for o in everything]
    assert keys == sorted(keys, reverse=True), "createdAt descending, ties broken by id descending"


def test_every_order_in_the_list_is_complete(admin: httpx.Client, server: Server) -> None:
    create_order(server)
    for order in _list(admin):
        assert order["items"] and order["payments"] and order["history"], order["orderNumber"]
        assert order["history"][0]["toStatus"] == "REPORTED"
        assert order["history"][-1]["toStatus"] == order["status"]
        assert "nextStatuses" in order


def test_next_statuses_depend_on_the_caller(
    server: Server, admin: httpx.Client, taller: httpx.Client
) -> None:
    email = f"{_marker('owner')}@test.krafta"
    server.make_user(email, role="CLIENTE")
    token = server.login(email)
    reported = create_order(server, token)["orderId"]
    confirmed = create_order(server, token)["orderId"]
    assert admin.put("/api/orders", json={"orderId": confirmed, "status": "CONFIRMED"}).status_code == 200

    with server.client(token) as customer:
        views = {"ADMIN": admin, "TALLER": taller, "CLIENTE": customer}
        expected = {
            ("ADMIN", reported): ["CONFIRMED", "PENDING", "CANCELLED"],
            ("ADMIN", confirmed): ["IN_PRODUCTION", "CANCELLED"],
            ("TALLER", reported): [],
            ("TALLER", confirmed): ["IN_PRODUCTION"],
            ("CLIENTE", reported): [],
            ("CLIENTE", confirmed): [],
        }
        for (role, order_id), next_statuses in expected.items():
            http = views[role]
            assert _get(http, order_id)["nextStatuses"] == next_statuses, (role, order_id)
            listed = {o["id"]: o for o in _list(http)}
            assert listed[order_id]["nextStatuses"] == next_statuses, (role, order_id)


def test_filter_by_status_is_repeatable(server: Server, admin: httpx.Client) -> None:
    state = _marker("Estado")
    reported, confirmed, cancelled = (create_order(server, shippingState=state)["orderId"] for _ in range(3))
    assert admin.put("/api/orders", json={"orderId": confirmed, "status": "CONFIRMED"}).status_code == 200
    assert admin.put("/api/orders", json={"orderId": cancelled, "status": "CANCELLED"}).status_code == 200

    assert {o["id"] for o in _list(admin, q=state, status="CONFIRMED")} == {confirmed}
    both = _list(admin, q=state, status=["CONFIRMED", "CANCELLED"])
    assert {o["id"] for o in both} == {confirmed, cancelled}
    assert {o["id"] for o in _list(admin, q=state, status=["reported"])} == {reported}
    assert _list(admin, q=state, status="COMPLETED") == []
    # Without q, the status filter alone still returns only that status.
    statuses = {o["status"] for o in _list(admin, status=["CONFIRMED", "CANCELLED"])}
    assert statuses == {"CONFIRMED", "CANCELLED"}


def test_search_by_number_city_state_and_payer(server: Server, admin: httpx.Client) -> None:
    city, state, payer = _marker("Ciudad"), _marker("Estado"), _marker("Pagador Perez")
    target = create_order(server, shippingCity=city, shippingState=state, payment={"payerName": payer})
    create_order(server)  # a neighbour that must not match

    number = target["orderNumber"]
    assert target["orderId"] in {o["id"] for o in _list(admin, q=number)}
    assert target["orderId"] in {o["id"] for o in _list(admin, q=number.lower())}
    for q in (city, city.upper(), state, state.lower(), payer, payer.lower(), city[-6:], f"  {city}  "):
        assert [o["id"] for o in _list(admin, q=q)] == [target["orderId"]], q
    assert _list(admin, q=_marker("nothing")) == []


@pytest.mark.parametrize("name", ["Ñáñez", "Ángel Ávila", "ÉDGAR"])
def test_search_is_case_insensitive_beyond_ascii(server: Server, admin: httpx.Client, name: str) -> None:
    # Venezuelan names and places carry accents; staff type them as they come, in either case.
    payer = f"{name} {uuid.uuid4().hex[:8]}"
    target = create_order(server, payment={"payerName": payer})["orderId"]
    for q in (payer, payer.lower(), payer.upper()):
        assert [o["id"] for o in _list(admin, q=q)] == [target], q


@pytest.mark.parametrize("q", ["%", "_", "\\", "%%%"])
def test_search_treats_like_wildcards_literally(server: Server, admin: httpx.Client, q: str) -> None:
    create_order(server)
    assert _list(admin, q=q) == []


def test_paging_covers_every_order_exactly_once(server: Server, admin: httpx.Client) -> None:
    state = _marker("Paginas")
    made = {create_order(server, shippingState=state)["orderId"] for _ in range(7)}
    for scope in ({"q": state}, {}):
        everything = [o["id"] for o in _list(admin, **scope)]
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            params: dict[str, Any] = {**scope, "limit": 3}
            if cursor:
                params["cursor"] = cursor
            response = admin.get("/api/orders", params=params)
            assert response.status_code == 200, response.text[:500]
            page = response.json()
            assert len(page["orders"]) <= 3
            seen += [o["id"] for o in page["orders"]]
            pages += 1
            cursor = page["nextCursor"]
            if cursor is None:
                break
            assert pages < 1000, "the cursor does not advance"
        assert seen == everything, scope
        assert len(seen) == len(set(seen))
        assert made <= set(seen)
    assert len(_list(admin, q=state, limit=500)) == 7


def test_a_limit_that_fits_everything_has_no_next_cursor(server: Server, admin: httpx.Client) -> None:
    state = _marker("Estado")
    for _ in range(2):
        create_order(server, shippingState=state)
    response = admin.get("/api/orders", params={"q": state, "limit": 2})
    assert len(response.json()["orders"]) == 2 and response.json()["nextCursor"] is None
    response = admin.get("/api/orders", params={"q": state, "limit": 1})
    assert len(response.json()["orders"]) == 1 and response.json()["nextCursor"]


# ---- GET one -----------------------------------------------------------------------------------------


def test_get_one_by_uuid_and_by_number(server: Server, admin: httpx.Client) -> None:
    created = create_order(server)
    by_id = _get(admin, created["orderId"])
    assert by_id["orderNumber"] == created["orderNumber"]
    assert _get(admin, created["orderId"].upper())["id"] == created["orderId"]
    assert _get(admin, created["orderNumber"]) == by_id
    assert _get(admin, created["orderNumber"].lower()) == by_id
    listed = {o["id"]: o for o in _list(admin)}
    assert listed[created["orderId"]] == by_id


def test_get_one_by_the_number_as_people_type_it(server: Server, admin: httpx.Client) -> None:
    created = create_order(server)
    digits = created["orderNumber"].removeprefix("KRFT-")
    by_id = _get(admin, created["orderId"])
    for typed in (digits, f"krft-{digits}", f"KRFT {digits}", f" {digits} "):
        assert _get(admin, typed) == by_id, typed
    # A number nobody has is said back as the number it was read as.
    taken = {o["orderNumber"] for o in _list(admin)}
    free = next(f"{n:06d}" for n in range(1_000_000) if f"KRFT-{n:06d}" not in taken)
    response = admin.get(f"/api/orders/{free}")
    assert response.status_code == 404 and f"KRFT-{free}" in response.json()["error"], response.text


def test_get_unknown_order_is_404(server: Server, admin: httpx.Client) -> None:
    taken = {o["orderNumber"] for o in _list(admin)}
    free_number = next(f"KRFT-{n:06d}" for n in range(1_000_000) if f"KRFT-{n:06d}" not in taken)
    for ident in (str(uuid.uuid4()), free_number, "nope", "KRFT-12", "KRFT-1234567"):
        response = admin.get(f"/api/orders/{ident}")
        assert response.status_code == 404, (ident, response.text[:300])
        assert response.json()["success"] is False and response.json()["code"] == "not_found"


# ---- who sees what --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Cookie": "krafta-token=nope"}],
    ids=["none", "bad-bearer", "bad-cookie"],
)
def test_reading_orders_needs_a_session(server: Server, headers: dict[str, str]) -> None:
    created = create_order(server)
    with server.client() as http:
        for path in ("/api/orders", *(f"/api/orders/{created[k]}" for k in ("orderId", "orderNumber"))):
            response = http.get(path, headers=headers)
            assert response.status_code == 401, (path, response.text[:300])
            assert response.json()["code"] == "not_authenticated"
            assert "orders" not in response.json() and "order" not in response.json()


def test_a_customer_sees_only_their_own_orders(server: Server, admin: httpx.Client) -> None:
    emails = [f"{_marker('cliente')}@test.krafta" for _ in range(2)]
    users = [server.make_user(e, role="CLIENTE") for e in emails]
    tokens = [server.login(e) for e in emails]
    mine = {create_order(server, tokens[0])["orderId"] for _ in range(2)}
    theirs = create_order(server, tokens[1])
    guest = create_order(server)

    with server.client(tokens[0]) as http:
        listed = _list(http)
        assert {o["id"] for o in listed} == mine
        assert all(o["userId"] == users[0]["id"] and o["nextStatuses"] == [] for o in listed)
        assert {o["id"] for o in _list(http, limit=1)} <= mine
        assert _get(http, next(iter(mine)))["userId"] == users[0]["id"]
        for ident in (theirs["orderId"], theirs["orderNumber"], guest["orderId"], guest["orderNumber"]):
            response = http.get(f"/api/orders/{ident}")
            assert response.status_code == 404, (ident, response.text[:300])
        # A customer cannot move their own order either.
        response = http.put("/api/orders", json={"orderId": next(iter(mine)), "status": "CANCELLED"})
        assert response.status_code == 403
    with server.client(tokens[1]) as http:
        assert [o["id"] for o in _list(http)] == [theirs["orderId"]]
    # Staff see all of them.
    assert mine | {theirs["orderId"], guest["orderId"]} <= {o["id"] for o in _list(admin)}


def test_the_cookie_works_like_a_bearer_token(server: Server) -> None:
    created = create_order(server)
    with server.client(None, cookies={"krafta-token": server.taller_token}) as http:
        assert _get(http, created["orderId"])["id"] == created["orderId"]
        assert created["orderId"] in {o["id"] for o in _list(http)}
        assert http.get("/api/auth/me").json()["user"]["email"] == "taller@test.krafta"
        # The cookie is a real session for PUT too.
        response = http.put("/api/orders", json={"orderId": created["orderId"], "status": "CONFIRMED"})
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
    with server.client(None, cookies={"krafta-token": server.admin_token}) as http:
        response = http.put("/api/orders", json={"orderId": created["orderId"], "status": "CONFIRMED"})
        assert response.status_code == 200, response.text
        assert response.json()["order"]["history"][-1]["userEmail"] == "admin@test.krafta"


def test_example_order_is_valid() -> None:
    # The fixtures build on examples/order.json; it must be self-consistent for these tests to mean anything.
    assert EXAMPLE["total"] == EXAMPLE["subtotal"] + EXAMPLE["shippingCost"]
    assert EXAMPLE["totalBs"] == EXAMPLE["total"] * EXAMPLE["exchangeRate"]


def test_an_item_keeps_its_variants_attributes_as_they_were_when_ordered(
    server: Server, admin: httpx.Client
) -> None:
    # Issue 19: staff and the customer read "L · blanco" on the item, in the catalog's order of the
    # attributes; a variant without attributes has none, and a later catalog change keeps the old label.
    product, plain = _marker("prod"), _marker("var")
    labelled = _marker("var")
    catalog = {
        "products": [
            {
                "id": product,
                "name": "Franela etiquetada",
                "variants": [
                    {
                        "id": labelled,
                        "sku": "L-BLA",
                        "basePrice": 12.00,
                        "attributes": {"talla": "L", "color": "blanco"},
                    },
                    {"id": plain, "sku": "SIN", "basePrice": 12.00},
                ],
            }
        ]
    }
    assert admin.put("/api/catalog", json=catalog).status_code == 200
    email = f"{_marker('cliente')}@test.krafta"
    server.make_user(email, role="CLIENTE")
    token = server.login(email)
    city = _marker("Ciudad")
    ordered = create_order(server, token, variantId=labelled, shippingCity=city)
    unlabelled = create_order(server, token, variantId=plain, shippingCity=city)

    catalog["products"][0]["variants"][0]["attributes"] = {"talla": "XL", "color": "negro"}
    assert admin.put("/api/catalog", json=catalog).status_code == 200

    with server.client(token) as mine:
        for http in (admin, mine):
            [item] = _get(http, ordered["orderId"])["items"]
            assert item["variantLabel"] == "L · blanco"
            assert _get(http, unlabelled["orderId"])["items"][0]["variantLabel"] is None
            listed = {o["id"]: o for o in _list(http, q=city)}
            assert listed[ordered["orderId"]]["items"][0]["variantLabel"] == "L · blanco"
            assert listed[unlabelled["orderId"]]["items"][0]["variantLabel"] is None
