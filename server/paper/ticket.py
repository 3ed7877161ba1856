"""Job tickets: one page per order, A6 or an 80 mm roll, drawn from the order as staff see it.

Top to bottom: the order number in large type (RUSH beside it), the due date and status, the QR
code with the recipient beside it, the Code 128 barcode, the items, the design preview, the staff
notes, and a footer with when the ticket was printed. Times are printed in the shop's time zone.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from server.domain.localday import zone_name
from server.paper.codes import code128_width, draw_code128, draw_qr
from server.paper.facts import due_date, item_lines, rush, staff_notes
from server.paper.fonts import faces
from server.paper.layout import LEADING, Block, Line, gap, lines_block, rule
from server.paper.payload import qr_payload
from server.paper.preview import Preview, read_preview
from server.paper.text import plain

__all__ = ["SHEETS", "Sheet", "tickets_pdf"]


@dataclass(frozen=True)
class Sheet:
    """A ticket's paper: `height` None is a roll, cut as long as the ticket."""

    width: float
    height: float | None
    margin: float
    number_size: float
    qr: float
    bar_height: float
    preview: float

    @property
    def inner(self) -> float:
        return self.width - 2 * self.margin


SHEETS: dict[str, Sheet] = {
    "a6": Sheet(105 * mm, 148 * mm, 6 * mm, 26, 30 * mm, 12 * mm, 38 * mm),
    # A roll printer prints 72 mm of its 80 mm paper.
    "80mm": Sheet(80 * mm, None, 4 * mm, 24, 30 * mm, 12 * mm, 45 * mm),
}
_FOOTER = 6.5
_FOOTER_GAP = 3 * mm
_NOTES_GAP = 1.5 * mm
_MIN_IMAGE = 15 * mm
MAX_PREVIEWS = 4


def tickets_pdf(orders: Iterable[Mapping[str, Any]], *, size: str, zone: tzinfo, now: datetime) -> bytes:
    """A PDF with one ticket page per order (as staff see them), in `orders`' order."""
    sheet = SHEETS[size]
    out = io.BytesIO()
    # invariant: no creation date or random document id, so one order prints to the same bytes.
    canvas = Canvas(out, pagesize=(sheet.width, sheet.height or sheet.width), invariant=1, pageCompression=1)
    canvas.setTitle("Job tickets")
    canvas.setCreator("krafta")
    for order in orders:
        _page(canvas, sheet, order, zone, now)
    canvas.save()
    return out.getvalue()


def _page(canvas: Canvas, sheet: Sheet, order: Mapping[str, Any], zone: tzinfo, now: datetime) -> None:
    top_blocks = [_header(sheet, order), _due_line(sheet, order, zone), _codes(sheet, order, zone)]
    top_blocks += [_barcode(sheet, order), rule(sheet.inner, 3 * mm)]
    footer = lines_block([Line(_footer_text(order, zone, now), _FOOTER)], sheet.inner)
    used = sum(b.height for b in top_blocks) + footer.height + 2 * sheet.margin + _FOOTER_GAP
    room = None if sheet.height is None else sheet.height - used
    blocks = top_blocks + _elastic(sheet, order, zone, room)
    height = sheet.height or used + sum(b.height for b in blocks[len(top_blocks) :])
    canvas.setPageSize((sheet.width, height))
    top = height - sheet.margin
    for block in blocks:
        block.draw(canvas, sheet.margin, top)
        top -= block.height
    footer.draw(canvas, sheet.margin, sheet.margin + footer.height)
    canvas.showPage()


def _header(sheet: Sheet, order: Mapping[str, Any]) -> Block:
    """The number in large type; RUSH beside it in white on black, or below it when there is no room."""
    face = faces()
    number = face.fit(plain(order.get("orderNumber")))
    size = sheet.number_size
    badge = size * 0.55
    badge_width = face.width("RUSH", badge, bold=True) + badge
    beside = face.width(number, size, bold=True) + 2 * mm + badge_width <= sheet.inner
    line = size * 1.15
    height = line if beside or not rush(order) else line + size

    def draw(canvas: Canvas, x: float, top: float) -> None:
        canvas.setFont(face.bold, size)
        canvas.drawString(x, top - size * 0.9, number)
        if not rush(order):
            return
        if beside:
            left, bottom, width = x + sheet.inner - badge_width, top - size * 0.95, badge_width
        else:
            left, bottom, width = x, top - line - size * 0.9, sheet.inner
        canvas.rect(left, bottom, width, size * 0.95, stroke=0, fill=1)
        canvas.setFillGray(1)
        canvas.setFont(face.bold, badge)
        canvas.drawCentredString(left + width / 2, bottom + (size * 0.95 - badge * 0.7) / 2, "RUSH")
        canvas.setFillGray(0)

    return Block(height, draw)


def _due_line(sheet: Sheet, order: Mapping[str, Any], zone: tzinfo) -> Block:
    status = plain(order.get("status")).replace("_", " ")
    due = due_date(order, zone)
    text = f"Due {due:%a %d %b %Y} · {status}" if due else status
    return lines_block([Line(text, 10, bold=due is not None)], sheet.inner)


def _recipient_lines(order: Mapping[str, Any]) -> list[Line]:
    name = plain(order.get("recipientName"))
    lines = [Line("Recipient", 7), Line(name or "(no recipient on the order)", 10, bold=bool(name))]
    if phone := plain(order.get("recipientPhone")):
        lines.append(Line(f"Tel. {phone}"))
    if id_number := plain(order.get("recipientIdNumber")):
        lines.append(Line(f"ID {id_number}"))
    place = ", ".join(p for p in (plain(order.get("shippingCity")), plain(order.get("shippingState"))) if p)
    if place:
        lines.append(Line(place, 9, bold=True))
    return lines


def _codes(sheet: Sheet, order: Mapping[str, Any], zone: tzinfo) -> Block:
    payload = qr_payload(order, zone)
    beside = sheet.inner - sheet.qr - 2 * mm
    recipient = lines_block(_recipient_lines(order), beside)
    height = max(sheet.qr, recipient.height + 1 * mm) + 1 * mm

    def draw(canvas: Canvas, x: float, top: float) -> None:
        # The QR's own quiet zone (4 modules) is its margin: it starts at the page margin's edge.
        draw_qr(canvas, payload, x - 2 * mm, top - sheet.qr, sheet.qr)
        recipient.draw(canvas, x + sheet.qr, top - 1 * mm)

    return Block(height, draw)


def _barcode(sheet: Sheet, order: Mapping[str, Any]) -> Block:
    number = str(order.get("orderNumber") or "")
    width = code128_width(number)

    def draw(canvas: Canvas, x: float, top: float) -> None:
        draw_code128(
            canvas, number, x + (sheet.inner - width) / 2, top - sheet.bar_height - 1 * mm, sheet.bar_height
        )

    return Block(sheet.bar_height + 2 * mm, draw)


def _elastic(sheet: Sheet, order: Mapping[str, Any], zone: tzinfo, room: float | None) -> list[Block]:
    """Items, previews and notes, cut to `room` (None: a roll, no limit).

    Items come first but leave room for one preview and the latest note, when there are some;
    previews (at most `MAX_PREVIEWS`, each image shrunk to the room left) come next, then notes,
    latest first. Whatever is left out is counted on a line of its own.
    """
    blocks: list[Block] = []
    left = math.inf if room is None else room

    def take(block: Block) -> None:
        nonlocal left
        blocks.append(block)
        left -= block.height

    items = [
        f"{q} × {product}" + (f" — {variant}" if variant else "") for q, product, variant in item_lines(order)
    ]
    notes = [f"{n.at.astimezone(zone):%d %b %H:%M} {n.by}: {n.text}" for n in staff_notes(order)]
    previews, left_out = _previews(order)
    # The floors hold a heading or a "+N" line (small type) besides the one note or preview.
    notes_floor = (_small(2) + _line(9) + _NOTES_GAP) if notes else 0.0
    preview_floor = 0.0
    if previews:
        preview_floor = _small(1) + (_MIN_IMAGE + 2 * mm if any(p.image for p in previews) else _small(1))

    take(_cut(sheet, "Items", items, left - preview_floor - notes_floor, keep="first", size=11))
    for preview in previews:
        if preview.image is not None:
            box = min(sheet.preview, left - notes_floor - _small(1) - 2 * mm)
            block = _image(sheet, preview.image, box) if box >= _MIN_IMAGE else None
        else:
            block = lines_block([Line(f"Preview: {preview.text}", 7)], sheet.inner)
        if block is None or block.height + _small(1) > left - notes_floor:
            left_out += 1
        else:
            take(block)
    if left_out and _small(1) <= left - notes_floor:
        take(lines_block([Line(f"+{left_out} previews not shown (see the order)", 7)], sheet.inner))
    if notes:
        take(gap(_NOTES_GAP))
        take(_cut(sheet, "Notes", notes, left, keep="last"))
    return blocks


def _line(size: float) -> float:
    return size * LEADING


def _small(lines: int) -> float:
    return lines * _line(7)


def _previews(order: Mapping[str, Any]) -> tuple[list[Preview], int]:
    """The first `MAX_PREVIEWS` distinct previews of the items, and how many more there are (those
    are counted, not decoded: an order of 40 items is not 40 images to decode for one page)."""
    found = (item.get("previewUrl") for item in order.get("items") or ())
    urls = list(dict.fromkeys(url for url in found if isinstance(url, str) and url))
    shown = [p for p in map(read_preview, urls[:MAX_PREVIEWS]) if p is not None]
    return shown, len(urls[MAX_PREVIEWS:])


def _cut(
    sheet: Sheet, heading: str, texts: Sequence[str], room: float, *, keep: str, size: float = 9
) -> Block:
    """A heading and `texts`, as many as fit in `room`; the rest counted on a last line."""
    lines = [Line(heading, 7)]
    full = lines_block([*lines, *(Line(t, size) for t in texts)], sheet.inner)
    if full.height <= room:
        return full
    for shown in range(len(texts) - 1, -1, -1):
        kept = texts[:shown] if keep == "first" else texts[len(texts) - shown :]
        more = len(texts) - shown
        word = "earlier" if keep == "last" else "more"
        rest = Line(f"+{more} {word} (see the order)", 7)
        block = lines_block([*lines, *(Line(t, size) for t in kept), rest], sheet.inner)
        if block.height <= room:
            return block
    return lines_block([Line(f"{heading}: {len(texts)} (see the order)", 7)], sheet.inner)


def _image(sheet: Sheet, image: Any, box: float) -> Block:
    scale = min(box / image.height, sheet.inner / image.width)
    width, height = image.width * scale, image.height * scale
    reader = ImageReader(image)

    def draw(canvas: Canvas, x: float, top: float) -> None:
        canvas.drawImage(reader, x + (sheet.inner - width) / 2, top - height - 1 * mm, width, height)

    return Block(height + 2 * mm, draw)


def _footer_text(order: Mapping[str, Any], zone: tzinfo, now: datetime) -> str:
    placed = order.get("createdAt")
    placed_text = ""
    if isinstance(placed, str):
        placed_text = f" · placed {datetime.fromisoformat(placed).astimezone(zone):%Y-%m-%d %H:%M}"
    return f"printed {now.astimezone(zone):%Y-%m-%d %H:%M} ({zone_name(zone)}){placed_text}"
