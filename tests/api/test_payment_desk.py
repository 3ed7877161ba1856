"""The payment desk over HTTP (SQLite and PostgreSQL): an ADMIN rejects a payment with a reason, the
order goes back to PENDING, and the customer is shown why."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
from sqlalchemy import text

from tests.helpers import create_order, order_body, reference
from tests.servers import Server


def _customer(server: Server) -> str:
    email = f"cliente-{uuid.uuid4().hex[:8]}@test.krafta"
    server.make_user(email, role="CLIENTE")
    return server.login(email)


REASON = "the reference is not in the bank statement"


def _reject(admin: httpx.Client, order_id: str, note: Any = REASON) -> httpx.Response:
    body: dict[str, Any] = {"orderId": order_id, "status": "PENDING"}
    if note is not None:
        body["note"] = note
    return admin.put("/api/orders", json=body)


def test_a_rejected_payment_sends_the_order_back_to_pending_with_the_reason(
    server: Server, admin: httpx.Client
) -> None:
    token = _customer(server)
    created = create_order(server, token)

    answer = _reject(admin, created["orderId"])

    assert answer.status_code == 200, answer.text
    order = answer.json()["order"]
    assert order["status"] == "PENDING"
    [payment] = order["payments"]
    assert payment["status"] == "REJECTED"
    assert payment["rejectReason"] == "the reference is not in the bank statement"
    assert payment["reviewedBy"] == "admin@test.krafta"
    assert payment["reviewedAt"] is not None
    assert order["history"][-1]["fromStatus"] == "REPORTED" and order["history"][-1]["toStatus"] == "PENDING"
    with server.client(token) as customer:
        own = customer.get(f"/api/orders/{created['orderNumber']}").json()["order"]
    assert own["status"] == "PENDING"
    assert own["payments"][0]["status"] == "REJECTED"
    assert own["payments"][0]["rejectReason"] == "the reference is not in the bank statement"
    assert "reviewedBy" not in own["payments"][0]
    again = admin.get(f"/api/orders/{created['orderId']}").json()["order"]
    listed = admin.get("/api/orders", params={"status": "PENDING", "limit": 500}).json()["orders"]
    assert next(o for o in listed if o["id"] == created["orderId"])["payments"] == again["payments"]
    assert again["payments"][0]["rejectReason"] == "the reference is not in the bank statement"


def test_the_admin_is_offered_rejection_after_confirmation(server: Server, admin: httpx.Client) -> None:
    created = create_order(server)

    order = admin.get(f"/api/orders/{created['orderId']}").json()["order"]

    assert order["nextStatuses"] == ["CONFIRMED", "PENDING", "CANCELLED"]


def test_a_rejection_without_a_reason_is_a_400_naming_the_note(server: Server, admin: httpx.Client) -> None:
    created = create_order(server)

    for note in (None, "", "   "):
        answer = _reject(admin, created["orderId"], note)
        assert answer.status_code == 400, answer.text
        assert list(answer.json()["fields"]) == ["note"]
    assert admin.get(f"/api/orders/{created['orderId']}").json()["order"]["status"] == "REPORTED"


def test_only_an_admin_rejects_and_only_a_reported_order(
    server: Server, admin: httpx.Client, taller: httpx.Client
) -> None:
    created = create_order(server)

    by_taller = _reject(taller, created["orderId"])
    assert (
        admin.put("/api/orders", json={"orderId": created["orderId"], "status": "CONFIRMED"}).status_code
        == 200
    )
    confirmed = _reject(admin, created["orderId"])

    assert by_taller.status_code == 403, by_taller.text
    assert confirmed.status_code == 409, confirmed.text
    assert confirmed.json()["currentStatus"] == "CONFIRMED"


# ---- reused references ----------------------------------------------------------------------------


def _reference() -> str:
    """Nine digits no other test of the module uses (the module's orders share one database)."""
    return str(uuid.uuid4().int % 900_000_000 + 100_000_000)


def _order_paid_with(
    server: Server, reference: str, method: str = "PAGO_MOVIL", token: str | None = None
) -> str:
    with server.client(token) as http:
        answer = http.post("/api/orders", json=order_body(payment={"reference": reference, "method": method}))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["orderNumber"])


def _same(order: dict[str, Any]) -> list[list[str]]:
    return [p["sameReference"] for p in order["payments"]]


def _listed(admin: httpx.Client, number: str, **params: Any) -> dict[str, Any]:
    orders = admin.get("/api/orders", params={"limit": 500, **params}).json()["orders"]
    return next(o for o in orders if o["orderNumber"] == number)


def test_two_orders_paid_with_one_reference_name_each_other(server: Server, admin: httpx.Client) -> None:
    digits = _reference()
    token = _customer(server)
    first = _order_paid_with(server, f"00{digits}", token=token)
    second = _order_paid_with(server, f"{digits[:4]}-{digits[4:]}")
    other_method = _order_paid_with(server, digits, method="TRANSFERENCIA")
    unrelated = _order_paid_with(server, _reference())

    one = admin.get(f"/api/orders/{first}").json()["order"]
    two = admin.get(f"/api/orders/{second}").json()["order"]
    streamed = next(o for o in admin.get("/api/orders").json()["orders"] if o["orderNumber"] == second)
    with server.client(token) as customer:
        own = customer.get(f"/api/orders/{first}").json()["order"]
        own_listed = customer.get("/api/orders", params={"limit": 50}).json()["orders"]

    assert _same(one) == [[second]]
    assert _same(two) == [[first]]
    assert _same(_listed(admin, first)) == [[second]]
    assert _same(streamed) == [[first]]
    assert _same(admin.get(f"/api/orders/{other_method}").json()["order"]) == [[]]
    assert _same(admin.get(f"/api/orders/{unrelated}").json()["order"]) == [[]]
    assert all("sameReference" not in p for p in own["payments"])
    assert all("sameReference" not in p for o in own_listed for p in o["payments"])


def test_the_filter_finds_the_orders_with_a_reused_reference(server: Server, admin: httpx.Client) -> None:
    digits = _reference()
    first = _order_paid_with(server, f"000{digits}")
    second = _order_paid_with(server, digits)
    alone = _order_paid_with(server, _reference())

    reused = {
        o["orderNumber"] for o in admin.get("/api/orders", params={"sameReference": "true"}).json()["orders"]
    }
    paged = admin.get("/api/orders", params={"sameReference": "true", "limit": 500}).json()["orders"]
    others = admin.get("/api/orders", params={"sameReference": "false", "limit": 500}).json()["orders"]

    assert {first, second} <= reused and alone not in reused
    assert {first, second} <= {o["orderNumber"] for o in paged}
    assert all(any(p["sameReference"] for p in o["payments"]) for o in paged)
    assert alone in {o["orderNumber"] for o in others}
    assert not {first, second} & {o["orderNumber"] for o in others}


def test_customers_may_not_filter_by_reused_references(server: Server) -> None:
    with server.client(_customer(server)) as customer:
        answer = customer.get("/api/orders", params={"sameReference": "true"})

    assert answer.status_code == 403, answer.text


def test_confirming_a_reused_reference_needs_force_and_a_note(server: Server, admin: httpx.Client) -> None:
    digits = _reference()
    first = _order_paid_with(server, f"0{digits}")
    second = _order_paid_with(server, digits)
    order_id = admin.get(f"/api/orders/{first}").json()["order"]["id"]

    plain = admin.put("/api/orders", json={"orderId": order_id, "status": "CONFIRMED"})
    no_note = admin.put("/api/orders", json={"orderId": order_id, "status": "CONFIRMED", "force": True})
    forced = admin.put(
        "/api/orders",
        json={
            "orderId": order_id,
            "status": "CONFIRMED",
            "force": True,
            "note": "both transfers are in the bank",
        },
    )

    assert plain.status_code == 409, plain.text
    assert plain.json()["code"] == "same_reference"
    assert plain.json()["sameReference"] == [second]
    assert no_note.status_code == 400 and list(no_note.json()["fields"]) == ["note"]
    assert forced.status_code == 200, forced.text
    confirmed = forced.json()["order"]
    assert confirmed["status"] == "CONFIRMED"
    assert [p["status"] for p in confirmed["payments"]] == ["CONFIRMED"]
    assert confirmed["history"][-1]["forced"] is True
    # A confirmed payment still claims its reference: the other order keeps its warning.
    assert _same(admin.get(f"/api/orders/{second}").json()["order"]) == [[first]]


def test_a_rejected_payment_claims_its_reference_no_more(server: Server, admin: httpx.Client) -> None:
    digits = _reference()
    first = _order_paid_with(server, digits)
    second = _order_paid_with(server, f"00{digits}")
    order_id = admin.get(f"/api/orders/{first}").json()["order"]["id"]

    rejected = _reject(admin, order_id).json()["order"]
    then = admin.get(f"/api/orders/{second}").json()["order"]
    confirmed = admin.put("/api/orders", json={"orderId": then["id"], "status": "CONFIRMED"})

    assert _same(rejected) == [[]]
    assert _same(then) == [[]]
    assert confirmed.status_code == 200, confirmed.text


# ---- the order token and new evidence -----------------------------------------------------------------


def _guest_order(server: Server) -> dict[str, Any]:
    with server.client() as http:
        answer = http.post("/api/orders", json=order_body())
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _evidence(
    server: Server, ident: str, *, token: str | None = None, session: str | None = None, **payment: Any
) -> httpx.Response:
    body = {
        "method": "TRANSFERENCIA",
        "reference": reference(),
        "originBank": "Mercantil",
        "payerName": "Ana Rojas",
    }
    headers = {"X-Order-Token": token} if token is not None else {}
    with server.client(session) as http:
        return http.post(f"/api/orders/{ident}/payments", json={**body, **payment}, headers=headers)


def test_the_201_carries_a_token_that_opens_that_order_only(server: Server) -> None:
    mine, other = _guest_order(server), _guest_order(server)
    token = mine["orderToken"]

    with server.client() as http:
        opened = http.get(f"/api/orders/{mine['orderNumber']}", headers={"X-Order-Token": token})
        by_id = http.get(f"/api/orders/{mine['orderId']}", headers={"X-Order-Token": token})
        another = http.get(f"/api/orders/{other['orderNumber']}", headers={"X-Order-Token": token})
        wrong = http.get(f"/api/orders/{mine['orderNumber']}", headers={"X-Order-Token": token[:-2] + "xx"})
        none = http.get(f"/api/orders/{mine['orderNumber']}")
        listed = http.get("/api/orders", headers={"X-Order-Token": token})

    assert len(token) >= 43 and token != other["orderToken"]  # 32 random bytes, URL-safe
    assert opened.status_code == 200 and by_id.status_code == 200, opened.text
    order = opened.json()["order"]
    assert order["id"] == mine["orderId"] and order["nextStatuses"] == []
    assert "reviewedBy" not in order["payments"][0] and "sameReference" not in order["payments"][0]
    assert "userEmail" not in order["history"][0]
    assert another.status_code == 404 and wrong.status_code == 404
    assert another.json()["error"] == f"No order {other['orderNumber']}."
    assert none.status_code == 401 and listed.status_code == 401


def test_the_token_is_stored_only_as_its_hash(server: Server) -> None:
    created = _guest_order(server)

    with server.app.state.services.db.read_conn() as conn:  # type: ignore[attr-defined]
        row = (
            conn.execute(text("SELECT * FROM orders WHERE id = :id"), {"id": created["orderId"]})
            .mappings()
            .one()
        )

    assert created["orderToken"] not in {str(v) for v in row.values()}
    assert row["order_token_hash"] == hashlib.sha256(created["orderToken"].encode()).hexdigest()


def test_new_evidence_from_the_token_holder_reports_the_order_again(
    server: Server, admin: httpx.Client
) -> None:
    created = _guest_order(server)
    assert _reject(admin, created["orderId"]).status_code == 200

    answer = _evidence(server, created["orderNumber"], token=created["orderToken"], reference="0004455667788")

    assert answer.status_code == 201, answer.text
    order = answer.json()["order"]
    assert order["status"] == "REPORTED" and order["nextStatuses"] == []
    assert [p["status"] for p in order["payments"]] == ["REJECTED", "REPORTED"]
    assert order["payments"][0]["rejectReason"] == REASON
    new = order["payments"][1]
    assert (new["method"], new["reference"], new["originBank"], new["payerName"]) == (
        "TRANSFERENCIA",
        "0004455667788",
        "Mercantil",
        "Ana Rojas",
    )
    assert new["amountExpected"] == new["amountReported"] == order["totalBs"]
    assert [(e["fromStatus"], e["toStatus"]) for e in order["history"]][-2:] == [
        ("REPORTED", "PENDING"),
        ("PENDING", "REPORTED"),
    ]
    staff = admin.get(f"/api/orders/{created['orderId']}").json()["order"]
    assert staff["status"] == "REPORTED" and staff["nextStatuses"][0] == "CONFIRMED"
    assert [p["status"] for p in staff["payments"]] == ["REJECTED", "REPORTED"]
    assert staff["history"][-1]["userId"] is None and staff["history"][-1]["note"] == "new payment evidence"
    assert staff["enteredStatusAt"] == staff["history"][-1]["at"]
    # Confirming now confirms the new payment only; the rejected one stays rejected.
    confirmed = admin.put("/api/orders", json={"orderId": created["orderId"], "status": "CONFIRMED"})
    assert [p["status"] for p in confirmed.json()["order"]["payments"]] == ["REJECTED", "CONFIRMED"]


def test_new_evidence_from_the_owner_session(server: Server, admin: httpx.Client) -> None:
    session = _customer(server)
    created = create_order(server, session)
    _reject(admin, created["orderId"])

    answer = _evidence(server, created["orderId"], session=session, amountReported=590.5)

    assert answer.status_code == 201, answer.text
    order = answer.json()["order"]
    assert order["status"] == "REPORTED" and order["payments"][1]["amountReported"] == 590.5
    staff = admin.get(f"/api/orders/{created['orderId']}").json()["order"]
    assert staff["history"][-1]["userId"] == order["userId"]


def test_evidence_from_anyone_else_is_refused(server: Server, admin: httpx.Client) -> None:
    created, other = _guest_order(server), _guest_order(server)
    _reject(admin, created["orderId"])
    number = created["orderNumber"]

    answers = {
        "another order's token": _evidence(server, number, token=other["orderToken"]),
        "a wrong token": _evidence(server, number, token="x" * 43),
        "another customer": _evidence(server, number, session=_customer(server)),
        "no one": _evidence(server, number),
        "staff": _evidence(server, number, session=server.admin_token),
    }

    assert {why: a.status_code for why, a in answers.items()} == {
        "another order's token": 404,
        "a wrong token": 404,
        "another customer": 404,
        "no one": 401,
        "staff": 403,
    }
    assert admin.get(f"/api/orders/{number}").json()["order"]["status"] == "PENDING"


def test_evidence_is_taken_only_while_pending(server: Server, admin: httpx.Client) -> None:
    created = _guest_order(server)

    answer = _evidence(server, created["orderNumber"], token=created["orderToken"])

    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "conflict" and answer.json()["currentStatus"] == "REPORTED"
    assert len(admin.get(f"/api/orders/{created['orderId']}").json()["order"]["payments"]) == 1


def test_bad_evidence_is_a_400_naming_the_field(server: Server, admin: httpx.Client) -> None:
    created = _guest_order(server)
    _reject(admin, created["orderId"])
    token = created["orderToken"]

    bad_method = _evidence(server, created["orderNumber"], token=token, method="EFECTIVO")
    long_reference = _evidence(server, created["orderNumber"], token=token, reference="1" * 65)
    bad_receipt = _evidence(server, created["orderNumber"], token=token, receiptUrl="javascript:alert(1)")
    with server.client() as http:
        not_json = http.post(
            f"/api/orders/{created['orderNumber']}/payments",
            content=b"{",
            headers={"X-Order-Token": token, "Content-Type": "application/json"},
        )

    assert [list(a.json()["fields"]) for a in (bad_method, long_reference, bad_receipt)] == [
        ["method"],
        ["reference"],
        ["receiptUrl"],
    ]
    assert all(a.status_code == 400 for a in (bad_method, long_reference, bad_receipt, not_json))
    assert admin.get(f"/api/orders/{created['orderId']}").json()["order"]["status"] == "PENDING"


def test_an_idempotent_retry_of_evidence_adds_one_payment(server: Server, admin: httpx.Client) -> None:
    created = _guest_order(server)
    _reject(admin, created["orderId"])
    body = {"method": "PAGO_MOVIL", "reference": reference(), "originBank": "BDV", "payerName": "Ana Rojas"}
    headers = {"X-Order-Token": created["orderToken"], "Idempotency-Key": "evidence-1"}

    with server.client() as http:
        first = http.post(f"/api/orders/{created['orderNumber']}/payments", json=body, headers=headers)
        again = http.post(f"/api/orders/{created['orderNumber']}/payments", json=body, headers=headers)
        other = http.post(
            f"/api/orders/{created['orderNumber']}/payments",
            json={**body, "payerName": "Otra"},
            headers=headers,
        )

    assert first.status_code == again.status_code == 201, again.text
    assert again.json()["order"]["payments"] == first.json()["order"]["payments"]
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
    assert len(admin.get(f"/api/orders/{created['orderId']}").json()["order"]["payments"]) == 2
