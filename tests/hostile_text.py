"""Issue 14: text that a customer, an admin or a courier form can send, built to be misread.

Rich markup (an unmatched closing tag, a hyperlink, a style), a terminal hyperlink written as the
escape itself (OSC 8), a right-to-left override and zero-width characters, in every text field an
order, a catalog and an account can hold. `hostile_shop` stores them through the real API; the
CLI's and the board's tests (tests/cli/test_cli_literal_text.py, tests/tui/test_board_literal_text.py)
print them with every renderer and hold the output to `assert_inert` and `shown`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.helpers import order_body

if TYPE_CHECKING:
    from tests.servers import Server

__all__ = [
    "CLOSE",
    "COURIER",
    "DETAIL",
    "EMAIL",
    "EMAIL_SHOWN",
    "LINK",
    "PAID",
    "TRACKING",
    "HostileShop",
    "assert_inert",
    "hostile",
    "hostile_shop",
    "short",
    "short_shown",
    "shown",
    "visible",
]

CLOSE = "[/close]"  # an unmatched closing tag: rich raised MarkupError on it
LINK = "[link=https://evil.example]x[/link]"  # a real hyperlink when read as markup
PAID = "[bold red]PAID[/]"  # styled when read as markup
OSC8 = "\x1b]8;;https://evil.example\x1b\\"  # a hyperlink written as the escape itself
HIDDEN = "\u202e\u200b\ufeff"  # right-to-left override, zero-width space, BOM
ISOLATE = "\u2066\u200f"  # left-to-right isolate, right-to-left mark


def hostile(tag: str) -> str:
    """`tag` followed by every attack (≤ 100 characters: the shortest long text field)."""
    return f"{tag}{CLOSE}{LINK}{PAID}{OSC8}{HIDDEN}"


def shown(tag: str) -> str:
    """What `hostile(tag)` must look like on the screen: markup as typed, each control a U+FFFD."""
    return f"{tag}{CLOSE}{LINK}{PAID}\ufffd]8;;https://evil.example\ufffd\\\ufffd\ufffd\ufffd"


def short(tag: str) -> str:
    """For the 64-character fields (variant id, SKU, payment reference)."""
    return f"{tag}{CLOSE}{PAID}{ISOLATE}"


def short_shown(tag: str) -> str:
    return f"{tag}{CLOSE}{PAID}\ufffd\ufffd"


# The server lowercases e-mails; `[bold red]eve[/]` is still a style to rich.
EMAIL = f"{CLOSE}[bold red]eve[/]\u202e@evil.example"
EMAIL_SHOWN = f"{CLOSE}[bold red]eve[/]\ufffd@evil.example"
COURIER = f"MRW{CLOSE}{PAID}"  # the server refuses controls in a courier and a tracking number
TRACKING = f"T1{CLOSE}"
RECIPIENT = f"Ana{CLOSE}{LINK}{PAID}"  # … and in a recipient's name
URL = f"https://evil.example/{CLOSE}{PAID}"

# Left on the screen when something was not neutralised.
FOREIGN = ["\x1b]", "\u202e", "\u200b", "\ufeff", "\u2066", "\u200f", "MarkupError"]


def assert_inert(output: str, where: str) -> None:
    """No OSC (rich writes [link=…] as OSC 8), no bidi or zero-width character, no MarkupError."""
    for bad in FOREIGN:
        assert bad not in output, f"{where}: {bad!r} reached the terminal:\n{output[-3000:]}"


def visible(screen: str) -> str:
    """A terminal's output without its colour codes (SGR) and with LF for CR LF."""
    return re.sub(r"\x1b\[[0-9;:?]*[A-Za-z]", "", screen).replace("\r\n", "\n")


@dataclass(frozen=True)
class HostileShop:
    confirmed: dict[str, Any]  # CONFIRMED: lists, batches, cards
    handed: dict[str, Any]  # handed to a hostile courier, with hostile notes: the detail
    ready: dict[str, Any]  # READY: left for a client to hand over
    token: str  # the hostile admin's session


def hostile_shop(server: Server) -> HostileShop:
    """A hostile product in the catalog, a hostile admin account and three hostile orders."""
    catalog = {
        "products": [
            {
                "id": "hostile",
                "name": hostile("Franela"),
                "variants": [
                    {
                        "id": short("var"),
                        "sku": short("sku"),
                        "basePrice": 12.00,
                        "attributes": {"talla": hostile("L")},
                    }
                ],
            }
        ]
    }
    with server.client(server.admin_token) as http:
        assert http.put("/api/catalog", json=catalog).status_code == 200
    server.make_user(EMAIL, role="ADMIN")
    token = server.login(EMAIL)
    made: dict[str, dict[str, Any]] = {}
    steps = {
        "confirmed": ["CONFIRMED"],
        "handed": ["CONFIRMED", "IN_PRODUCTION", "READY"],
        "ready": ["CONFIRMED", "IN_PRODUCTION", "READY"],
    }
    for name, moves in steps.items():
        body = order_body(
            payment={
                "reference": short("ref"),
                "originBank": hostile("Banco"),
                "payerName": hostile("Eve"),
                "receiptUrl": URL,
            },
            variantId=short("var"),
            shippingAddress=hostile("Calle"),
            shippingCity=hostile("Caracas"),
            shippingState=hostile("Miranda"),
            previewUrl=URL,
            recipientName=RECIPIENT,
        )
        with server.client() as http:
            response = http.post("/api/orders", json=body)
        assert response.status_code == 201, response.text
        order_id = response.json()["orderId"]
        with server.client(token) as http:
            for step in moves:
                move = {"orderId": order_id, "status": step, "note": hostile("nota")}
                assert http.put("/api/orders", json=move).status_code == 200
            if name == "handed":
                handover = {
                    "orderId": order_id,
                    "status": "HANDED_TO_DELIVERY",
                    "courier": COURIER,
                    "trackingNumber": TRACKING,
                }
                response = http.put("/api/orders", json=handover)
                assert response.status_code == 200, response.text
            made[name] = http.get(f"/api/orders/{order_id}").json()["order"]
    return HostileShop(token=token, **made)


# What an order's detail (`orders show`, the board's enter) must show, each as typed.
DETAIL = [
    shown("Calle"),
    shown("Caracas"),
    shown("Miranda"),
    RECIPIENT,
    # The product's name and its variant's label (attributes), literal; the board's narrower item
    # column cuts the rest of these 100-character texts with "…".
    f"{shown('Franela')} · L{CLOSE}",
    URL,
    short_shown("ref"),
    shown("Banco"),
    shown("Eve"),
    shown("nota"),
    COURIER,
    TRACKING,
    EMAIL_SHOWN,
]
