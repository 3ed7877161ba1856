"""Make docs/sample-ticket.pdf (A6) and docs/sample-ticket-80mm.pdf from one made-up order.

    python docs/sample_ticket.py

The order is what `GET /api/orders/{id}` answers staff, with the fields other issues add (`dueAt`,
`priority`, an item's `variantLabel`) and a small `data:` design preview drawn here.
"""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

from server.paper import tickets_pdf

HERE = Path(__file__).resolve().parent


def _design() -> str:
    image = Image.new("RGBA", (480, 360), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 20, 440, 340), fill=(30, 90, 170, 255))
    draw.rectangle((150, 150, 330, 210), fill=(250, 250, 250, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


ORDER = {
    "id": "0b7e1f3a-6a2d-4b8e-9c1d-2f4a5b6c7d8e",
    "orderNumber": "KRFT-482031",
    "status": "IN_PRODUCTION",
    "priority": "rush",
    "dueAt": "2026-12-09T20:00:00+00:00",
    "recipientName": "María Pérez",
    "recipientPhone": "+58 412-555-0101",
    "recipientIdNumber": "V-12345678",
    "shippingCity": "Barquisimeto",
    "shippingState": "Lara",
    "createdAt": "2026-12-04T14:20:05.000000+00:00",
    "items": [
        {
            "productName": "Franela blanca",
            "variantLabel": "M · blanco",
            "quantity": 2,
            "previewUrl": _design(),
        },
        {"productName": "Taza 11oz", "variantLabel": "blanca", "quantity": 1, "previewUrl": None},
    ],
    "history": [
        {"at": "2026-12-04T14:20:05+00:00", "userEmail": None, "note": "order created, payment reported"},
        {"at": "2026-12-05T13:10:00+00:00", "userEmail": "taller@krafta.demo", "note": "logo centred, 25 cm"},
    ],
}

if __name__ == "__main__":
    now = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
    zone = ZoneInfo("America/Caracas")
    for size, name in (("a6", "sample-ticket.pdf"), ("80mm", "sample-ticket-80mm.pdf")):
        (HERE / name).write_bytes(tickets_pdf([ORDER], size=size, zone=zone, now=now))
        print(HERE / name)
