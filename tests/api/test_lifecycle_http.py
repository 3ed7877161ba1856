"""`PUT /api/orders` over HTTP on a live server: the lifecycle table for each role, force, and bad ids.

The table covers every (from, to) pair for ADMIN, TALLER and CLIENTE. Orders are put into `from`
with ADMIN moves along the pipeline (or a forced correction for PENDING). A refused move changes
nothing, so refused cases share one order per status (checked unchanged after each); every allowed
move gets its own fresh order. The expected answers come from the SPEC table in
`test_lifecycle_unit.py`, not from the server's own module.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.domain.lifecycle import Role, Status
from tests.helpers import create_order
from tests.servers import Server
from tests.unit.test_lifecycle_unit import expected_next, expected_outcome

ADMIN_EMAIL = "admin@test.krafta"
TALLER_EMAIL = "taller@test.krafta"
CLIENTE_EMAIL = "cliente-lifecycle@test.krafta"
PENDING_NOTE = "test: payment evidence withdrawn"
EMAILS = {"ADMIN": ADMIN_EMAIL, "TALLER": TALLER_EMAIL, "CLIENTE": CLIENTE_EMAIL}
# The route from a fresh (REPORTED) order to each pipeline status, one ADMIN step at a time.
_PIPELINE = [
    Status.CONFIRMED,
    Status.IN_PRODUCTION,
    Status.READY,
    Status.HANDED_TO_DELIVERY,
    Status.COMPLETED,
]


class Orders:
    """Puts orders into a given status over HTTP, as an ADMIN would (the only way a client can)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.http = server.client(server.admin_token)
        self._shared: dict[Status, str] = {}

    def close(self) -> None:
        self.http.close()

    def move(self, order_id: str, status: Status, **extra: Any) -> dict[str, Any]:
        response = self.http.put("/api/orders", json={"orderId": order_id, "status": status.value, **extra})
        assert response.status_code == 200, response.text[:500]
        return response.json()["order"]

    def get(self, order_id: str) -> dict[str, Any]:
        response = self.http.get(f"/api/orders/{order_id}")
        assert response.status_code == 200, response.text[:500]
        return response.json()["order"]

    def new(self, status: Status) -> dict[str, Any]:
        order_id = create_order(self.server)["orderId"]
        if status is Status.PENDING:
            # POST always carries a payment, so PENDING is reachable only as an ADMIN correction.
            return self.move(order_id, status, force=True, note=PENDING_NOTE)
        if status is Status.CANCELLED:
            return self.move(order_id, status)
        order = self.get(order_id)
        for step in _PIPELINE[: _PIPELINE.index(status) + 1] if status in _PIPELINE else []:
            order = self.move(order_id, step)
        assert order["status"] == status.value
        return order

    def shared(self, status: Status) -> dict[str, Any]:
        """One order per status for the refused cases; rebuilt if a (wrongly) accepted move changed it."""
        if status in self._shared:
            order = self.get(self._shared[status])
            if order["status"] == status.value:
                return order
        order = self.new(status)
        self._shared[status] = order["id"]
        return order


@pytest.fixture(scope="module")
def orders(server: Server) -> Iterator[Orders]:
    factory = Orders(server)
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def clients(server: Server) -> Iterator[dict[str, httpx.Client]]:
    """One keep-alive client per role for the whole module: a new httpx.Client costs ~35 ms (SSL setup)."""
    server.make_user(CLIENTE_EMAIL, role="CLIENTE")
    tokens = {"ADMIN": server.admin_token, "TALLER": server.taller_token}
    tokens["CLIENTE"] = server.login(CLIENTE_EMAIL)
    by_role = {role: server.client(token) for role, token in tokens.items()}
    yield by_role
    for http in by_role.values():
        http.close()


TABLE = list(itertools.product(["ADMIN", "TALLER", "CLIENTE"], list(Status), list(Status)))


@pytest.mark.parametrize(("role", "frm", "to"), TABLE, ids=[f"{r}:{f}->{t}" for r, f, t in TABLE])
def test_lifecycle_table(
    orders: Orders, clients: dict[str, httpx.Client], role: str, frm: Status, to: Status
) -> None:
    outcome = expected_outcome(frm, to, role)
    order = orders.new(frm) if outcome == "ok" else orders.shared(frm)
    move: dict[str, Any] = {"orderId": order["id"], "status": to.value}
    if (frm, to) == (Status.REPORTED, Status.PENDING):
        move["note"] = "the reference is not in the bank statement"  # a rejection needs its reason
    response = clients[role].put("/api/orders", json=move)
    body = response.json()

    if outcome == "ok":
        assert response.status_code == 200, response.text[:500]
        moved = body["order"]
        assert body["success"] is True
        assert moved["id"] == order["id"]
        assert moved["status"] == to.value
        assert moved["nextStatuses"] == expected_next(to, role)
        last = moved["history"][-1]
        assert len(moved["history"]) == len(order["history"]) + 1
        assert (last["fromStatus"], last["toStatus"]) == (frm.value, to.value)
        assert (last["userEmail"], last["userRole"], last["forced"]) == (EMAILS[role], role, False)
        assert last["userId"]
        # And it is really stored, not only echoed back.
        assert orders.get(order["id"])["status"] == to.value
        return

    assert body["success"] is False
    if outcome == "forbidden":
        assert response.status_code == 403, response.text[:500]
        assert body["code"] == "forbidden"
    else:
        assert response.status_code == 409, response.text[:500]
        assert body["code"] == "conflict"
        assert body["currentStatus"] == frm.value
        assert body["nextStatuses"] == expected_next(frm, role)
    assert body["error"]
    after = orders.get(order["id"])
    assert after["status"] == frm.value
    assert len(after["history"]) == len(order["history"])


# ---- expectedStatus and force -------------------------------------------------------------------------


def test_expected_status_guards_against_a_double_move(server: Server, orders: Orders) -> None:
    order = orders.new(Status.REPORTED)
    with server.client(server.admin_token) as http:
        wrong = http.put(
            "/api/orders", json={"orderId": order["id"], "status": "CONFIRMED", "expectedStatus": "CONFIRMED"}
        )
        assert wrong.status_code == 409, wrong.text
        assert wrong.json()["currentStatus"] == "REPORTED"
        assert wrong.json()["nextStatuses"] == ["CONFIRMED", "PENDING", "CANCELLED"]
        assert orders.get(order["id"])["status"] == "REPORTED"

        move = {"orderId": order["id"], "status": "CONFIRMED", "expectedStatus": "REPORTED"}
        first = http.put("/api/orders", json=move)
        assert first.status_code == 200, first.text
        # The same key press arriving twice: the second finds the order already moved.
        second = http.put("/api/orders", json=move)
        assert second.status_code == 409, second.text
        assert second.json()["code"] == "conflict"
        assert second.json()["currentStatus"] == "CONFIRMED"
        assert second.json()["nextStatuses"] == ["IN_PRODUCTION", "CANCELLED"]
    assert [e["toStatus"] for e in orders.get(order["id"])["history"]] == ["REPORTED", "CONFIRMED"]


def test_taller_gets_its_own_next_statuses_in_a_409(server: Server, orders: Orders) -> None:
    order = orders.new(Status.CONFIRMED)
    with server.client(server.taller_token) as http:
        response = http.put(
            "/api/orders", json={"orderId": order["id"], "status": "READY", "expectedStatus": "IN_PRODUCTION"}
        )
    assert response.status_code == 409, response.text[:500]
    assert response.json()["currentStatus"] == "CONFIRMED"
    assert response.json()["nextStatuses"] == ["IN_PRODUCTION"]


@pytest.mark.parametrize(
    ("frm", "to"),
    [
        (Status.REPORTED, Status.READY),
        (Status.COMPLETED, Status.IN_PRODUCTION),
        (Status.CANCELLED, Status.REPORTED),
        (Status.READY, Status.CONFIRMED),
    ],
)
def test_admin_force_with_note_is_recorded(server: Server, orders: Orders, frm: Status, to: Status) -> None:
    order = orders.new(frm)
    note = f"correction: customer called about {order['orderNumber']}"
    with server.client(server.admin_token) as http:
        response = http.put(
            "/api/orders", json={"orderId": order["id"], "status": to.value, "force": True, "note": note}
        )
    assert response.status_code == 200, response.text[:500]
    moved = response.json()["order"]
    assert moved["status"] == to.value
    last = moved["history"][-1]
    assert last["forced"] is True
    assert (last["fromStatus"], last["toStatus"], last["note"]) == (frm.value, to.value, note)
    assert (last["userEmail"], last["userRole"]) == (ADMIN_EMAIL, "ADMIN")
    assert orders.get(order["id"])["history"][-1]["forced"] is True
    # Unforced moves are recorded as such: the flag is not simply always on.
    assert all(e["forced"] is False for e in moved["history"][:-1] if e["note"] != PENDING_NOTE)


def test_force_into_the_same_status_is_a_conflict(server: Server, orders: Orders) -> None:
    order = orders.new(Status.READY)
    with server.client(server.admin_token) as http:
        response = http.put(
            "/api/orders", json={"orderId": order["id"], "status": "READY", "force": True, "note": "no-op"}
        )
    assert response.status_code == 409, response.text[:500]
    assert response.json()["currentStatus"] == "READY"
    assert len(orders.get(order["id"])["history"]) == len(order["history"])


@pytest.mark.parametrize("note", [None, "", "   "])
def test_force_without_a_note_is_400(server: Server, orders: Orders, note: str | None) -> None:
    order = orders.new(Status.CONFIRMED)
    body: dict[str, Any] = {"orderId": order["id"], "status": "REPORTED", "force": True}
    if note is not None:
        body["note"] = note
    with server.client(server.admin_token) as http:
        response = http.put("/api/orders", json=body)
    assert response.status_code == 400, response.text[:500]
    assert response.json()["success"] is False
    assert "note" in response.json()["fields"]
    assert orders.get(order["id"])["status"] == "CONFIRMED"


@pytest.mark.parametrize("target", ["IN_PRODUCTION", "REPORTED"])
def test_force_by_taller_is_403(server: Server, orders: Orders, target: str) -> None:
    # IN_PRODUCTION is a move the TALLER may make unforced; forcing it is still an ADMIN-only act.
    order = orders.new(Status.CONFIRMED)
    with server.client(server.taller_token) as http:
        response = http.put(
            "/api/orders",
            json={"orderId": order["id"], "status": target, "force": True, "note": "I know what I am doing"},
        )
    assert response.status_code == 403, response.text[:500]
    assert response.json()["code"] == "forbidden"
    assert orders.get(order["id"])["status"] == "CONFIRMED"


# ---- sessions, ids and bodies -------------------------------------------------------------------------


NO_SESSION = [{}, {"Authorization": "Bearer not-a-jwt"}, {"Cookie": "krafta-token=x.y.z"}]


@pytest.mark.parametrize("headers", NO_SESSION, ids=["none", "garbage-bearer", "garbage-cookie"])
def test_put_without_a_session_is_403(server: Server, orders: Orders, headers: dict[str, str]) -> None:
    order = orders.new(Status.REPORTED)
    with server.client() as http:
        response = http.put(
            "/api/orders", json={"orderId": order["id"], "status": "CONFIRMED"}, headers=headers
        )
    assert response.status_code == 403, response.text[:500]
    body = response.json()
    assert body == {"success": False, "error": body["error"], "code": "not_authenticated"}
    assert orders.get(order["id"])["status"] == "REPORTED"


UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def test_unknown_order_id_is_404(server: Server) -> None:
    with server.client(server.admin_token) as http:
        for body in (
            {"orderId": UNKNOWN_ID, "status": "CONFIRMED"},
            {"orderId": UNKNOWN_ID, "status": "CONFIRMED", "force": True, "note": "x"},
            {"orderId": UNKNOWN_ID.upper(), "status": "CONFIRMED"},
        ):
            response = http.put("/api/orders", json=body)
            assert response.status_code == 404, response.text[:500]
            assert response.json()["code"] == "not_found"


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")} if root.exists() else set()


PATH_LIKE = [
    "../../etc/passwd",
    "..%2F..",
    "..%2F..%2Fetc%2Fpasswd",
    "/etc/passwd",
    "..\\..\\evil",
    "orders/../../x",
    "KRFT-123456",
    ".",
    "..",
    "a" * 64,
]


@pytest.mark.parametrize("order_id", PATH_LIKE)
def test_path_like_order_id_is_404_and_touches_no_file(server: Server, order_id: str) -> None:
    before = _tree(server.data_dir)
    with server.client(server.admin_token) as http:
        for body in (
            {"orderId": order_id, "status": "CONFIRMED"},
            {"orderId": order_id, "status": "CANCELLED", "force": True, "note": "x"},
        ):
            response = http.put("/api/orders", json=body)
            assert response.status_code == 404, response.text[:500]
            assert response.json()["code"] == "not_found"
        # The same names through the GET path (url-encoded so they reach the handler as one segment).
        encoded = order_id.replace("%", "%25").replace("/", "%2F").replace("\\", "%5C").replace(".", "%2E")
        response = http.get(f"/api/orders/{encoded}")
        assert response.status_code == 404, response.text[:500]
    assert _tree(server.data_dir) == before
    assert not list(server.base_dir.rglob("passwd")) and not list(server.base_dir.rglob("evil*"))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "CONFIRMED"}, "orderId"),
        ({"orderId": UNKNOWN_ID}, "status"),
        ({}, "orderId"),
        ({"orderId": UNKNOWN_ID, "status": "SHIPPED"}, "status"),
        ({"orderId": UNKNOWN_ID, "status": ""}, "status"),
        ({"orderId": UNKNOWN_ID, "status": None}, "status"),
    ],
    ids=["no-orderId", "no-status", "empty", "unknown-status", "empty-status", "null-status"],
)
def test_missing_or_unknown_fields_are_400(server: Server, body: dict[str, Any], field: str) -> None:
    with server.client(server.admin_token) as http:
        response = http.put("/api/orders", json=body)
    assert response.status_code == 400, response.text[:500]
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"], response.json()


def test_an_unknown_status_on_a_real_order_is_400(server: Server, orders: Orders) -> None:
    order = orders.new(Status.REPORTED)
    with server.client(server.admin_token) as http:
        response = http.put("/api/orders", json={"orderId": order["id"], "status": "SHIPPED"})
    assert response.status_code == 400, response.text[:500]
    assert "status" in response.json()["fields"]
    assert orders.get(order["id"])["status"] == "REPORTED"


# ---- what a move does besides the status -------------------------------------------------------------


def test_confirming_marks_the_payment_confirmed(server: Server, orders: Orders) -> None:
    order = orders.new(Status.REPORTED)
    assert [p["status"] for p in order["payments"]] == ["REPORTED"]
    assert order["payments"][0]["reviewedAt"] is None and order["payments"][0]["reviewedBy"] is None
    confirmed = orders.move(order["id"], Status.CONFIRMED)
    for seen in (confirmed, orders.get(order["id"])):
        payment = seen["payments"][0]
        assert payment["status"] == "CONFIRMED"
        assert payment["reviewedBy"] == ADMIN_EMAIL
        reviewed = datetime.fromisoformat(payment["reviewedAt"])
        assert reviewed.utcoffset() is not None
        assert reviewed >= datetime.fromisoformat(payment["reportedAt"])


def test_cancelling_does_not_confirm_the_payment(orders: Orders) -> None:
    cancelled = orders.new(Status.CANCELLED)
    assert cancelled["payments"][0]["status"] == "REPORTED"
    assert cancelled["payments"][0]["reviewedBy"] is None


def test_updated_at_moves_forward(orders: Orders) -> None:
    order = orders.new(Status.REPORTED)
    moved = orders.move(order["id"], Status.CONFIRMED)
    assert datetime.fromisoformat(moved["updatedAt"]) > datetime.fromisoformat(order["updatedAt"])
    assert moved["createdAt"] == order["createdAt"]


def test_roles_are_the_server_roles() -> None:
    # The table above names roles as strings; make sure they are the ones the server knows.
    assert set(EMAILS) <= {r.value for r in Role}
