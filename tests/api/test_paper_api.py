"""Tickets and the manifest over HTTP (SQLite and PostgreSQL): who may print, what is printed, and
the codes read back from the pages' pixels."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.helpers import create_order
from tests.pdf_pages import decode_pages, page_count, page_sizes_mm, page_texts
from tests.servers import Server

TO_READY = ("CONFIRMED", "IN_PRODUCTION", "READY")


def _move(http: httpx.Client, order_id: str, status: str, **extra: Any) -> None:
    answer = http.put("/api/orders", json={"orderId": order_id, "status": status, **extra})
    assert answer.status_code == 200, answer.text


def _handed(server: Server, admin: httpx.Client, courier: str, tracking: str) -> dict[str, Any]:
    created = create_order(server)
    for status in TO_READY:
        _move(admin, created["orderId"], status)
    _move(admin, created["orderId"], "HANDED_TO_DELIVERY", courier=courier, trackingNumber=tracking)
    return created


def _pdf(answer: httpx.Response) -> bytes:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "no-store"
    return answer.content


@pytest.mark.parametrize("size", ["a6", "80mm"])
def test_a_ticket_by_number_or_id_carries_the_number_in_both_codes(
    server: Server, taller: httpx.Client, size: str
) -> None:
    created = create_order(server)
    number = created["orderNumber"]

    by_number = _pdf(taller.get(f"/api/orders/{number}/ticket", params={"size": size}))
    by_id = _pdf(taller.get(f"/api/orders/{created['orderId']}/ticket", params={"size": size}))

    assert by_number == by_id
    [page] = decode_pages(by_number, 203)
    assert page.code128 == [number]
    assert [qr.split("|")[0] for qr in page.qr] == [number]
    assert page_sizes_mm(by_number)[0][0] == (105.0 if size == "a6" else 80.0)


def test_tickets_for_several_numbers_come_one_page_each_in_the_order_asked(
    server: Server, admin: httpx.Client
) -> None:
    numbers = [create_order(server)["orderNumber"] for _ in range(3)]
    asked = [numbers[2], numbers[0], numbers[1]]

    pdf = _pdf(admin.get("/api/tickets", params={"number": asked}))

    assert [p.code128 for p in decode_pages(pdf, 203)] == [[n] for n in asked]


def test_one_order_typed_two_ways_is_one_ticket(server: Server, admin: httpx.Client) -> None:
    number = create_order(server)["orderNumber"]
    digits = number.removeprefix("KRFT-")

    answer = admin.get("/api/tickets", params={"number": [digits, number, f"krft-{digits}"]})

    assert answer.headers["x-ticket-count"] == "1"
    assert [p.code128 for p in decode_pages(_pdf(answer), 203)] == [[number]]


def test_tickets_by_status_print_every_order_in_it_oldest_first(server: Server, admin: httpx.Client) -> None:
    created = [create_order(server) for _ in range(2)]
    for order in created:
        _move(admin, order["orderId"], "CONFIRMED")
    confirmed = admin.get("/api/orders", params={"status": "CONFIRMED", "limit": 500}).json()["orders"]

    pdf = _pdf(admin.get("/api/tickets", params={"status": "confirmed"}))

    printed = [p.code128[0] for p in decode_pages(pdf, 203)]
    assert printed == [o["orderNumber"] for o in reversed(confirmed)]
    assert {o["orderNumber"] for o in created} <= set(printed)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/tickets", {}, "number"),
        ("/api/tickets", {"number": "KRFT-000000", "status": "READY"}, "status"),
        ("/api/tickets", {"status": "SHIPPED"}, "status"),
        ("/api/tickets", {"number": "KRFT-000000", "size": "a4"}, "size"),
        ("/api/manifest", {"date": "2026-13-01"}, "date"),
        ("/api/manifest", {"format": "xlsx"}, "format"),
        ("/api/manifest", {"courier": "x" * 41}, "courier"),
    ],
)
def test_bad_parameters_are_400s_naming_the_parameter(
    admin: httpx.Client, path: str, params: dict[str, str], field: str
) -> None:
    answer = admin.get(path, params=params)

    assert answer.status_code == 400, answer.text
    assert field in answer.json()["fields"]


def test_an_unknown_number_is_a_404(admin: httpx.Client) -> None:
    assert admin.get("/api/orders/KRFT-999999/ticket").status_code == 404
    assert admin.get("/api/tickets", params={"number": "KRFT-999999"}).status_code == 404


def test_only_staff_print(server: Server) -> None:
    email = f"cliente-{uuid.uuid4().hex[:8]}@test.krafta"
    server.make_user(email, role="CLIENTE")
    token = server.login(email)
    own = create_order(server, token)
    with server.client(token) as customer, server.client(None) as anonymous:
        assert customer.get(f"/api/orders/{own['orderNumber']}/ticket").status_code == 403
        assert customer.get("/api/manifest").status_code == 403
        assert anonymous.get("/api/tickets", params={"status": "READY"}).status_code == 401


def test_the_manifest_lists_exactly_the_days_hand_overs_to_that_courier(
    server: Server, admin: httpx.Client
) -> None:
    courier = f"Zoom-{uuid.uuid4().hex[:6]}"
    mine = [_handed(server, admin, courier, f"Z-{n}") for n in range(2)]
    other = _handed(server, admin, f"MRW-{uuid.uuid4().hex[:6]}", "M-1")
    ready_only = create_order(server)
    for status in TO_READY:
        _move(admin, ready_only["orderId"], status)
    # The shop's day as the server counts it (the test server runs in the machine's zone).
    today = datetime.now(UTC).astimezone(_server_zone(admin)).date()

    rows = _csv(
        admin.get(
            "/api/manifest", params={"date": today.isoformat(), "courier": courier.lower(), "format": "csv"}
        )
    )
    everyone = _csv(admin.get("/api/manifest", params={"format": "csv"}))
    yesterday = _csv(
        admin.get("/api/manifest", params={"date": (today - timedelta(days=1)).isoformat(), "format": "csv"})
    )

    assert sorted(r["Order"] for r in rows) == sorted(o["orderNumber"] for o in mine)
    assert {r["Tracking"] for r in rows} == {"Z-0", "Z-1"}
    assert {other["orderNumber"], *(o["orderNumber"] for o in mine)} <= {r["Order"] for r in everyone}
    assert ready_only["orderNumber"] not in {r["Order"] for r in everyone}
    assert not {o["orderNumber"] for o in mine} & {r["Order"] for r in yesterday}


def test_the_manifest_pdf_names_the_day_and_the_courier_and_has_signature_lines(
    server: Server, admin: httpx.Client
) -> None:
    courier = f"Tealca-{uuid.uuid4().hex[:6]}"
    handed = _handed(server, admin, courier, "T-77")

    pdf = _pdf(admin.get("/api/manifest", params={"courier": courier}))
    text = "\n".join(page_texts(pdf))

    assert handed["orderNumber"] in text and "T-77" in text
    assert f"courier {courier}" in text
    assert "1 parcel, 1 items" in text
    assert text.count("Signature") == 2
    assert page_count(pdf) == 1


def _csv(answer: httpx.Response) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def _server_zone(admin: httpx.Client) -> ZoneInfo:
    # The manifest's title names the zone it counted the day in.
    text = page_texts(_pdf(admin.get("/api/manifest", params={"date": date(2026, 1, 1).isoformat()})))[0]
    return ZoneInfo(text.split("(", 1)[1].split(")", 1)[0])
