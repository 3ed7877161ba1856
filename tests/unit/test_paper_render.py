"""Job tickets and manifests, rendered from order views, read back from their pixels and text.

Each ticket size is rasterised at a roll printer's and an office printer's resolution and both codes
are decoded from the image; customer text that looks like markup or PDF syntax prints as itself.
"""

from __future__ import annotations

import base64
import copy
import csv
import io
import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw

from server.domain.localday import day_span
from server.paper import (
    TICKET_SIZES,
    handed_over,
    manifest_csv,
    manifest_pdf,
    manifest_rows,
    qr_payload,
    tickets_pdf,
)
from server.paper.fonts import faces
from server.paper.payload import QR_MAX
from server.paper.ticket import MAX_PREVIEWS
from tests.pdf_pages import PRINTER_DPI, decode_pages, image_count, page_count, page_sizes_mm, page_texts

CARACAS = ZoneInfo("America/Caracas")
NOW = datetime(2026, 12, 5, 14, 30, tzinfo=UTC)


def order(number: str = "KRFT-482031", **overrides: Any) -> dict[str, Any]:
    """An order as `GET /api/orders/{id}` shows it to staff."""
    base: dict[str, Any] = {
        "id": "5d5a1cd2-0e17-4176-80bb-f842768db066",
        "orderNumber": number,
        "status": "IN_PRODUCTION",
        "shippingAddress": "Av. Libertador 123",
        "shippingCity": "Barquisimeto",
        "shippingState": "Lara",
        "createdAt": "2026-12-04T06:41:36.447177+00:00",
        "updatedAt": "2026-12-04T10:38:00.447177+00:00",
        "recipientName": "María Pérez",
        "recipientPhone": "+58 412-555-0101",
        "recipientIdNumber": "V-12345678",
        "delivery": None,
        "items": [
            {
                "id": "5c78fb9f-2960-4125-93d1-2a51f913f0ca",
                "variantId": "var-1",
                "productName": "Franela blanca",
                "variantLabel": "M · blanco",
                "quantity": 2,
                "previewUrl": "https://cdn.example.com/previews/franela-blanca-m.png",
            }
        ],
        "history": [
            {
                "toStatus": "REPORTED",
                "at": "2026-12-04T06:41:36+00:00",
                "note": "order created",
                "userEmail": None,
            },
            {"toStatus": "CONFIRMED", "at": "2026-12-04T10:38:00+00:00", "note": None, "userEmail": "a@k.co"},
        ],
    }
    base.update(overrides)
    return base


def data_png(width: int = 300, height: int = 200) -> str:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((10, 10, width - 10, height - 10), fill=(20, 80, 200, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def tickets(orders: list[dict[str, Any]], size: str = "a6") -> bytes:
    return tickets_pdf(orders, size=size, zone=CARACAS, now=NOW)


@pytest.mark.parametrize("dpi", PRINTER_DPI)
@pytest.mark.parametrize("size", TICKET_SIZES)
def test_each_page_carries_its_number_in_both_codes(size: str, dpi: int) -> None:
    orders = [order("KRFT-482031"), order("KRFT-000007", items=[]), order("KRFT-999999", priority="rush")]
    pdf = tickets(orders, size)

    decoded = decode_pages(pdf, dpi)

    assert [d.code128 for d in decoded] == [["KRFT-482031"], ["KRFT-000007"], ["KRFT-999999"]]
    assert [[qr.split("|")[0] for qr in d.qr] for d in decoded] == [
        ["KRFT-482031"],
        ["KRFT-000007"],
        ["KRFT-999999"],
    ]


def test_sizes_are_a6_and_an_80mm_roll_as_long_as_the_ticket() -> None:
    short, long = order(), order(items=[{**order()["items"][0], "quantity": n} for n in range(1, 9)])

    a6 = page_sizes_mm(tickets([short, long], "a6"))
    roll = page_sizes_mm(tickets([short, long], "80mm"))

    assert a6 == [(105.0, 148.0), (105.0, 148.0)]
    assert [w for w, _ in roll] == [80.0, 80.0]
    assert roll[1][1] > roll[0][1]


def test_qr_payload_carries_number_rush_due_date_and_items_in_ascii() -> None:
    shown = order(
        priority="rush",
        # 02:00 UTC on the 10th is still the 9th in Caracas (UTC−4): the shop's day is printed.
        dueAt="2026-12-10T02:00:00+00:00",
        items=[
            {"productName": "Franela básica", "variantLabel": "L · blanco", "quantity": 2},
            {"productName": "Taza | 11oz", "quantity": 1},
        ],
    )

    payload = qr_payload(shown, CARACAS)
    decoded = decode_pages(tickets([shown]), 300)[0].qr

    assert payload == "KRFT-482031|RUSH|due 2026-12-09|2x Franela basica (L / blanco)|1x Taza / 11oz"
    assert decoded == [payload]


@pytest.mark.parametrize(
    ("due", "day"), [("2026-12-09", "2026-12-09"), ("2026-12-09T03:00:00+00:00", "2026-12-08")]
)
def test_a_due_day_or_instant_prints_as_the_shops_day(due: str, day: str) -> None:
    assert qr_payload(order(dueAt=due), CARACAS).split("|")[1] == f"due {day}"


def test_qr_payload_stays_short_and_says_how_many_items_it_left_out() -> None:
    many = order(items=[{"productName": f"Producto número {n}", "quantity": n} for n in range(1, 30)])

    payload = qr_payload(many, CARACAS)
    decoded = decode_pages(tickets([many]), 203)[0].qr

    assert len(payload) <= QR_MAX
    assert payload.startswith("KRFT-482031|1x Producto numero 1|")
    left_out = int(payload.rsplit("|+", 1)[1].removesuffix(" more"))
    assert payload.count("|") - 1 + left_out == 29
    assert decoded == [payload]


HOSTILE = {
    "recipientName": "<b>Ana</b> &amp; \\) Tj (x) שלום مرحبا\u202eevil\u200b",
    "shippingCity": "%PDF-1.4 endobj",
    "shippingState": "<para>Lara</para>",
    "items": [{"productName": "<font color=red>Franela</font>", "variantLabel": "${x} {{y}}", "quantity": 1}],
    "history": [
        {
            "at": "2026-12-04T12:00:00+00:00",
            "userEmail": "t@k.co",
            "note": "line one\nline two \x1b[31mred\x1b[0m",
        }
    ],
}


@pytest.mark.parametrize("size", TICKET_SIZES)
def test_customer_text_prints_as_itself(size: str) -> None:
    pdf = tickets([order(**HOSTILE), order("KRFT-000001")], size)

    # Lines wrap where the ticket is narrow: read the page as one line.
    text = page_texts(pdf)[0].replace("\n", " ")

    assert page_count(pdf) == 2
    for literal in ("<b>Ana</b> &amp; \\) Tj (x)", "%PDF-1.4 endobj", "<para>Lara</para>", "${x} {{y}}"):
        assert literal in text
    assert "<font color=red>Franela</font>" in text
    # Letters of right-to-left scripts are printed (in the order typed); the override and the
    # zero-width space that would steer or hide text are not, nor the newline or escape sequence.
    # (As the font draws them: DejaVu Sans has these letters; where the machine lacks it, the
    # fallback font prints a replacement mark for each, never nothing. PDFium reads a run of
    # right-to-left letters back in either order.)
    assert all(faces().fit(w) in text or faces().fit(w)[::-1] in text for w in ("שלום", "مرحبا"))
    assert "evil" in text
    assert not {"\u202e", "\u200b", "\x1b"} & set(text)
    assert "line one line two [31mred[0m" in text
    assert [d.code128 for d in decode_pages(pdf, 300)] == [["KRFT-482031"], ["KRFT-000001"]]


def test_a_data_preview_is_drawn_and_an_http_preview_is_printed_as_its_url() -> None:
    drawn = order(items=[{**order()["items"][0], "previewUrl": data_png()}])
    linked = order()

    pdf = tickets([drawn, linked])

    assert image_count(pdf, 0) == 1
    assert image_count(pdf, 1) == 0
    assert "https://cdn.example.com/previews/franela-blanca-m.png" in page_texts(pdf)[1].replace("\n", "")


def _png_claiming(width: int, height: int) -> str:
    # A real PNG header with a huge size and a broken body: decoding it would try to allocate
    # width × height pixels; the ticket must refuse from the header alone.
    small = io.BytesIO()
    Image.new("L", (1, 1)).save(small, "PNG")
    raw = bytearray(small.getvalue())
    raw[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    raw[29:33] = zlib.crc32(raw[12:29]).to_bytes(4, "big")  # the IHDR chunk's checksum
    return "data:image/png;base64," + base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(
    ("preview", "said"),
    [
        (_png_claiming(6000, 5000), "6000 × 5000 pixels, too large to print"),
        (_png_claiming(30000, 30000), "too large to print"),
        (
            "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAC0lEQVR4",
            "could not be read",
        ),
        ("data:image/png;base64,bm90IGFuIGltYWdl", "could not be read"),
    ],
)
def test_a_preview_that_cannot_be_printed_is_named_not_a_failure(preview: str, said: str) -> None:
    pdf = tickets([order(items=[{**order()["items"][0], "previewUrl": preview}])])

    assert said in page_texts(pdf)[0].replace("\n", " ")
    assert image_count(pdf, 0) == 0


def test_an_a6_ticket_with_too_much_stays_one_page_and_says_what_it_left_out() -> None:
    crowded = order(
        # Forty designs, each its own image.
        items=[
            {"productName": f"Producto {n}", "quantity": 1, "previewUrl": data_png(300, 200 + n)}
            for n in range(40)
        ],
        history=[
            {"at": f"2026-12-04T12:{n:02d}:00+00:00", "userEmail": "t@k.co", "note": f"nota {n}"}
            for n in range(30)
        ],
    )

    pdf = tickets([crowded], "a6")
    text = page_texts(pdf)[0]

    assert page_count(pdf) == 1
    assert "Producto 0" in text
    assert "Producto 39" not in text
    assert " more (see the order)" in text
    assert "nota 29" in text and "+29 earlier (see the order)" in text
    assert image_count(pdf, 0) == 1
    assert "+39 previews not shown (see the order)" in text
    assert decode_pages(pdf, 300)[0].code128 == ["KRFT-482031"]
    assert [w for w, _ in page_sizes_mm(tickets([crowded], "80mm"))] == [80.0]
    assert image_count(tickets([crowded], "80mm"), 0) == MAX_PREVIEWS


def test_the_same_orders_print_to_the_same_bytes() -> None:
    assert tickets([order()]) == tickets([copy.deepcopy(order())])


def handed(number: str, at: str, **overrides: Any) -> dict[str, Any]:
    delivery = {"courier": "MRW", "trackingNumber": f"T-{number[-6:]}", "handedAt": at}
    return order(number, status="HANDED_TO_DELIVERY", delivery=delivery, **overrides)


def test_manifest_rows_are_in_hand_over_order_with_pieces_counted() -> None:
    later = handed("KRFT-000002", "2026-12-05T20:00:00+00:00")
    earlier = handed("KRFT-000001", "2026-12-05T13:00:00+00:00", items=[{"quantity": 3}, {"quantity": 2}])

    rows = manifest_rows([later, earlier])

    assert [(r.number, r.pieces, r.tracking) for r in rows] == [
        ("KRFT-000001", 5, "T-000001"),
        ("KRFT-000002", 2, "T-000002"),
    ]


def test_manifest_csv_keeps_every_cell_text_in_a_spreadsheet() -> None:
    evil = handed(
        "KRFT-000003",
        "2026-12-05T13:00:00+00:00",
        recipientName='=HYPERLINK("http://x.example/","click")',
        recipientIdNumber="@SUM(A1)",
        shippingCity="-2+3",
        shippingState="\tLara",
    )

    raw = manifest_csv(manifest_rows([evil]), CARACAS)
    header, row = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))

    assert raw.startswith("\ufeff".encode())
    assert header[:4] == ["Order", "Recipient", "Phone", "ID number"]
    assert row[:6] == [
        "KRFT-000003",
        '\'=HYPERLINK("http://x.example/","click")',
        "'+58 412-555-0101",
        "'@SUM(A1)",
        "'-2+3",
        "Lara",
    ]
    assert row[-2:] == ["2", "2026-12-05T09:00-04:00"]


def test_manifest_pdf_lists_the_parcels_and_has_lines_to_sign() -> None:
    rows = manifest_rows(
        [handed(f"KRFT-{n:06d}", f"2026-12-05T{10 + n // 10:02d}:{n % 60:02d}:00+00:00") for n in range(70)]
    )

    pdf = manifest_pdf(rows, day=date(2026, 12, 5), courier="MRW", zone=CARACAS, now=NOW)
    text = "\n".join(page_texts(pdf))

    assert page_count(pdf) >= 2
    assert all(f"KRFT-{n:06d}" in text for n in range(70))
    assert "Courier manifest · Sat 05 Dec 2026 (America/Caracas) · courier MRW" in text
    assert "70 parcels, 140 items" in text
    assert text.count("Signature") == 2


def test_an_empty_manifest_says_so() -> None:
    pdf = manifest_pdf([], day=date(2026, 12, 5), courier=None, zone=CARACAS, now=NOW)

    assert "No parcels were handed over on this day." in page_texts(pdf)[0]


def test_the_shops_day_runs_midnight_to_midnight_in_its_zone() -> None:
    start, end = day_span(date(2026, 12, 5), CARACAS)
    dst_start, dst_end = day_span(date(2026, 3, 8), ZoneInfo("America/New_York"))

    assert (start, end) == (datetime(2026, 12, 5, 4, tzinfo=UTC), datetime(2026, 12, 6, 4, tzinfo=UTC))
    assert dst_end - dst_start == timedelta(hours=23)


def test_a_manifest_takes_the_hand_overs_of_the_shops_day_to_the_courier_asked() -> None:
    start, end = day_span(date(2026, 12, 5), CARACAS)
    orders = [
        handed("KRFT-000001", "2026-12-05T03:59:59+00:00"),  # 23:59:59 on the 4th in Caracas
        handed("KRFT-000002", "2026-12-05T04:00:00+00:00"),  # midnight: the 5th
        handed("KRFT-000003", "2026-12-06T01:00:00+00:00"),  # 21:00 on the 5th
        handed("KRFT-000004", "2026-12-06T04:00:00+00:00"),  # midnight: the 6th
        order("KRFT-000005", delivery=None),
        {
            **handed("KRFT-000006", "2026-12-05T12:00:00+00:00"),
            "delivery": {"courier": " zoom ", "handedAt": "2026-12-05T12:00:00+00:00"},
        },
    ]

    assert [o["orderNumber"] for o in handed_over(orders, start, end)] == [
        "KRFT-000002",
        "KRFT-000003",
        "KRFT-000006",
    ]
    assert [o["orderNumber"] for o in handed_over(orders, start, end, "ZOOM")] == ["KRFT-000006"]
