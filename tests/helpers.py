"""Small helpers shared by the test suites: free ports, valid order bodies, creating orders over HTTP."""

from __future__ import annotations

import copy
import itertools
import json
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.servers import Server

__all__ = ["CATALOG", "EXAMPLE", "PASSWORD", "create_order", "free_port", "order_body", "reference"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE: dict[str, Any] = json.loads((ROOT / "examples" / "order.json").read_text())
PASSWORD = "correct-horse-1"
# The catalog every server under test starts with (`bootstrap()`).
CATALOG: dict[str, Any] = {
    "products": [
        {
            "id": "franela",
            "name": "Franela blanca",
            "variants": [
                {"id": "var-1", "sku": "FRA-BLA-M", "basePrice": 12.00},
                {"id": "var-2", "sku": "FRA-BLA-L", "basePrice": 12.00},
            ],
        },
        {
            "id": "retirado",
            "name": "Producto retirado",
            "active": False,
            "variants": [
                {"id": "var-old", "sku": "OLD", "basePrice": 5.00},
            ],
        },
    ]
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Each body's own payment reference: two orders paid with one reference are the payment desk's
# warning (`sameReference`), and confirming one then needs force — as in a shop, every transfer has
# its own. The process id keeps the live layer's processes apart; the count, the calls of one.
_REFERENCES = itertools.count(1)


def reference() -> str:
    """A payment reference no other call (of any test process sharing a database) returns."""
    return f"{os.getpid() % 100_000:05d}{next(_REFERENCES):06d}"


def order_body(payment: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid POST /api/orders body (examples/order.json) with top-level `overrides` and `payment` merged;
    its payment reference is its own (`reference()`) unless `payment` gives one."""
    body = copy.deepcopy(EXAMPLE)
    body.update(overrides)
    body["payment"] = {**body["payment"], "reference": reference(), **(payment or {})}
    return body


def create_order(server: Server, token: str | None = None, **overrides: Any) -> dict[str, Any]:
    """POST an order (as `token`'s user, or a guest); asserts 201 and returns the response JSON."""
    with server.client(token) as http:
        response = http.post("/api/orders", json=order_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()
