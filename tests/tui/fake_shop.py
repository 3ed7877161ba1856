"""Fixed orders served through `httpx.MockTransport`, for the snapshot tests only.

Snapshots need the same pixels on every run: fixed orders, fixed times, a frozen clock. This is
not an end-to-end claim — the live-server tests in test_board_live.py are.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx

__all__ = ["NOW", "FakeShop", "frozen_clock", "make_order"]

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def frozen_clock() -> datetime:
    return NOW


def _at(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).isoformat()


_NEXT = {
    "REPORTED": ["CONFIRMED", "PENDING", "CANCELLED"],
    "CONFIRMED": ["IN_PRODUCTION", "CANCELLED"],
    "IN_PRODUCTION": ["READY", "CANCELLED"],
    "READY": ["HANDED_TO_DELIVERY", "CANCELLED"],
    "HANDED_TO_DELIVERY": ["COMPLETED", "CANCELLED"],
    "COMPLETED": [],
    "CANCELLED": [],
}
_PIPELINE = ["REPORTED", "CONFIRMED", "IN_PRODUCTION", "READY", "HANDED_TO_DELIVERY", "COMPLETED"]


def make_order(
    n: int,
    status: str,
    *,
    hours_ago: float,
    in_status_hours: float | None = None,
    city: str = "Barquisimeto",
    state: str = "Lara",
    product: str = "Franela blanca",
    quantity: int = 1,
    total: float = 15.0,
    payer: str = "María Pérez",
    reported_bs: float | None = None,
    price_check: str = "OK",
    variant_label: str | None = None,
) -> dict[str, Any]:
    """One order in the API's shape (docs/API.md), with a plausible history up to `status`."""
    order_id = f"00000000-0000-4000-8000-{n:012d}"
    total_bs = round(total * 40, 2)
    history = [
        {
            "id": f"ev-{n}-0",
            "fromStatus": None,
            "toStatus": "REPORTED",
            "userId": None,
            "userEmail": None,
            "userRole": None,
            "at": _at(hours_ago),
            "note": "order created",
            "forced": False,
        }
    ]
    steps = _PIPELINE[1 : _PIPELINE.index(status) + 1] if status in _PIPELINE else []
    entered = in_status_hours if in_status_hours is not None else hours_ago / 2
    for i, step in enumerate(steps):
        at = hours_ago - (hours_ago - entered) * (i + 1) / len(steps)
        history.append(
            {
                "id": f"ev-{n}-{i + 1}",
                "fromStatus": history[-1]["toStatus"],
                "toStatus": step,
                "userId": "u-1",
                "userEmail": "taller@krafta.demo" if i else "admin@krafta.demo",
                "userRole": "TALLER" if i else "ADMIN",
                "at": _at(at),
                "note": None,
                "forced": False,
            }
        )
    if status == "CANCELLED":
        history.append(
            {
                "id": f"ev-{n}-x",
                "fromStatus": "REPORTED",
                "toStatus": "CANCELLED",
                "userId": "u-1",
                "userEmail": "admin@krafta.demo",
                "userRole": "ADMIN",
                "at": _at(entered),
                "note": "payment never arrived",
                "forced": False,
            }
        )
    return {
        "id": order_id,
        "orderNumber": f"KRFT-{100000 + n * 7919 % 900000:06d}",
        "status": status,
        "userId": None,
        "guestId": f"guest-{n}",
        "shippingAddress": f"Calle {n} con Av. {n + 10}",
        "shippingCity": city,
        "shippingState": state,
        "shippingCost": 3.0,
        "subtotal": total - 3.0,
        "total": total,
        "totalBs": total_bs,
        "exchangeRate": 40.0,
        "priceCheck": price_check,
        "priceExpected": (total - 1.0) if price_check == "MISMATCH" else None,
        "createdAt": _at(hours_ago),
        "updatedAt": _at(entered),
        "enteredStatusAt": _at(entered),
        "storage": "database",
        "items": [
            {
                "id": f"it-{n}",
                "variantId": "var-1",
                "productName": product,
                "variantLabel": variant_label,
                "quantity": quantity,
                "unitPrice": round((total - 3.0) / quantity, 2),
                "designUploadId": None,
                "previewUrl": f"https://cdn.example.com/previews/{n}.png",
                "designViewsJson": [],
            }
        ],
        "payments": [
            {
                "id": f"pay-{n}",
                "method": "PAGO_MOVIL",
                "amountReported": reported_bs if reported_bs is not None else total_bs,
                "amountExpected": total_bs,
                "reference": f"00{n:09d}",
                "originBank": "Banesco",
                "payerName": payer,
                "receiptUrl": f"https://cdn.example.com/receipts/{n}.jpg",
                "status": "REPORTED" if status == "REPORTED" else "CONFIRMED",
                "reportedAt": _at(hours_ago),
                "reviewedAt": None,
                "reviewedBy": None,
            }
        ],
        "history": history,
        # What a server with a one-day rule for every open status says (FakeShop publishes it).
        "stuck": status not in ("COMPLETED", "CANCELLED") and entered >= 24,
        "delivery": None,
        "nextStatuses": list(_NEXT.get(status, [])),
    }


def default_orders() -> list[dict[str, Any]]:
    rows = [
        (1, "REPORTED", 0.4, None, "Caracas", "Distrito Capital", "Taza mágica", 2, 21.0, "José Rodríguez"),
        (2, "REPORTED", 30, 30, "Maracaibo", "Zulia", "Franela negra", 1, 15.0, "Ana Gómez"),
        (3, "CONFIRMED", 5, 2, "Barquisimeto", "Lara", "Franela blanca", 3, 39.0, "María Pérez"),
        (
            4,
            "CONFIRMED",
            52,
            40,
            "Valencia",
            "Carabobo",
            "Gorra bordada con logo grande",
            1,
            18.0,
            "Luis Díaz",
        ),
        (5, "CONFIRMED", 1, 0.5, "Mérida", "Mérida", "Franela blanca", 1, 15.0, "Carla Suárez"),
        (6, "IN_PRODUCTION", 20, 6, "Barquisimeto", "Lara", "Sudadera", 1, 33.0, "Pedro Pérez"),
        (7, "IN_PRODUCTION", 80, 70, "Cumaná", "Sucre", "Taza mágica", 4, 39.0, "Rosa Martínez"),
        (8, "READY", 9, 1, "Puerto La Cruz", "Anzoátegui", "Franela blanca", 2, 27.0, "Juan Torres"),
        (9, "HANDED_TO_DELIVERY", 60, 3, "San Cristóbal", "Táchira", "Franela negra", 1, 15.0, "Elena Ruiz"),
        (10, "COMPLETED", 200, 100, "Barquisimeto", "Lara", "Franela blanca", 1, 15.0, "María Pérez"),
        (11, "CANCELLED", 120, 110, "Coro", "Falcón", "Sudadera", 1, 33.0, "Miguel Ángel"),
    ]
    orders = [
        make_order(
            n,
            status,
            hours_ago=h,
            in_status_hours=s,
            city=c,
            state=st,
            product=p,
            quantity=q,
            total=t,
            payer=payer,
            reported_bs=(t * 40 - 100) if n == 4 else None,
            price_check="MISMATCH" if n == 4 else "OK",
        )
        for n, status, h, s, c, st, p, q, t, payer in rows
    ]
    return sorted(orders, key=lambda o: o["createdAt"], reverse=True)


class FakeShop:
    """Answers the few endpoints the board calls, from an in-memory list of orders."""

    def __init__(
        self,
        orders: list[dict[str, Any]] | None = None,
        *,
        role: str = "ADMIN",
        stuck_rules: dict[str, int] | None = None,
    ) -> None:
        self.orders = orders if orders is not None else default_orders()
        # What the server publishes with staff lists; by default the one-day rule `stuck` says.
        self.stuck_rules = stuck_rules if stuck_rules is not None else dict.fromkeys(_PIPELINE[:-1], 86400)
        self.user = {"id": "u-1", "email": f"{role.lower()}@krafta.demo", "role": role}
        self.requests: list[tuple[str, str]] = []
        self.puts: list[dict[str, Any]] = []

    def _offered(self, order: dict[str, Any]) -> dict[str, Any]:
        """The order as this user gets it: only an ADMIN is offered cancellation or the payment check."""
        if self.user["role"] == "ADMIN":
            return order
        offered = [s for s in order["nextStatuses"] if s != "CANCELLED" and order["status"] != "REPORTED"]
        return {**order, "nextStatuses": offered}

    def _page(self, orders: list[dict[str, Any]], cursor: str | None) -> dict[str, Any]:
        page: dict[str, Any] = {"success": True, "orders": orders, "nextCursor": cursor}
        if self.user["role"] in ("ADMIN", "TALLER"):
            page["stuckRules"] = self.stuck_rules
        return page

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def _json(self, status: int, body: dict[str, Any]) -> httpx.Response:
        return httpx.Response(status, json=body)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.requests.append((request.method, path))
        if path == "/api/auth/me":
            # What the server publishes for the role (server/domain/lifecycle.py::moves_of).
            offered = (self._offered({"status": s, "nextStatuses": to}) for s, to in _NEXT.items())
            moves = {o["status"]: o["nextStatuses"] for o in offered}
            expires = "2026-03-03T15:00:00+00:00"
            return self._json(200, {"success": True, "user": self.user, "expiresAt": expires, "moves": moves})
        if path == "/api/orders" and request.method == "GET":
            statuses = request.url.params.get_list("status")
            found = [self._offered(o) for o in self.orders if not statuses or o["status"] in statuses]
            limit = request.url.params.get("limit")
            start = int(request.url.params.get("cursor") or 0)
            if limit is None:
                return self._json(200, self._page(found, None))
            end = start + int(limit)
            cursor = str(end) if end < len(found) else None
            return self._json(200, self._page(found[start:end], cursor))
        if path.startswith("/api/orders/") and request.method == "GET":
            key = unquote(path.rsplit("/", 1)[1])
            for order in self.orders:
                if key in (order["id"], order["orderNumber"]):
                    return self._json(200, {"success": True, "order": self._offered(order)})
            return self._json(404, {"success": False, "error": "No such order.", "code": "not_found"})
        if path == "/api/orders" and request.method == "PUT":
            body = json.loads(request.content)
            self.puts.append(body)
            for order in self.orders:
                if order["id"] == body["orderId"]:
                    if (
                        body.get("expectedStatus") != order["status"]
                        or body["status"] not in order["nextStatuses"]
                    ):
                        return self._json(
                            409,
                            {
                                "success": False,
                                "error": "Order moved.",
                                "code": "conflict",
                                "currentStatus": order["status"],
                                "nextStatuses": order["nextStatuses"],
                            },
                        )
                    order["status"] = body["status"]
                    order["nextStatuses"] = list(_NEXT[body["status"]])
                    return self._json(200, {"success": True, "order": order})
            return self._json(404, {"success": False, "error": "No such order.", "code": "not_found"})
        return self._json(404, {"success": False, "error": "Not found.", "code": "not_found"})
