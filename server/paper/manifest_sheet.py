"""The manifest as A4 pages to sign: a table of the day's parcels, totals, and signature lines.

Cells are cut to their column with `…` (the CSV carries the full text).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime, tzinfo

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from server.domain.localday import zone_name
from server.paper.fonts import faces
from server.paper.manifest import ManifestRow
from server.paper.text import plain

__all__ = ["manifest_pdf"]

# (heading, width in mm, the row's text); the widths fill A4's 180 mm between margins.
_COLUMNS: tuple[tuple[str, float], ...] = (
    ("#", 7),
    ("Order", 22),
    ("Recipient", 31),
    ("Phone", 28),
    ("ID", 20),
    ("City", 30),
    ("Tracking", 30),
    ("Items", 12),
)
_MARGIN = 15 * mm
_ROW = 7 * mm
_CELL = 8.0


def _row_cells(n: int, r: ManifestRow, *, with_courier: bool) -> tuple[str, ...]:
    city = r.city if not r.state else f"{r.city}, {r.state}"
    # A manifest of every courier names each parcel's courier beside its tracking number.
    tracking = f"{r.courier}: {r.tracking}" if with_courier and r.courier else r.tracking
    return (str(n), r.number, r.recipient, r.phone, r.id_number, city, tracking, str(r.pieces))


def _clip(text: str, width: float, size: float) -> str:
    face = faces()
    text = face.fit(text)
    if face.width(text, size) <= width:
        return text
    while text and face.width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def manifest_pdf(
    rows: Sequence[ManifestRow], *, day: date, courier: str | None, zone: tzinfo, now: datetime
) -> bytes:
    """A4 pages: a table of the day's parcels, totals, and lines for the courier's signature."""
    face = faces()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(f"Courier manifest {day.isoformat()}")
    canvas.setCreator("krafta")
    width, height = A4
    who = f" · courier {plain(courier)}" if courier else ""
    title = f"Courier manifest · {day:%a %d %b %Y} ({zone_name(zone)}){who}"
    page = 1

    def head(table: bool = True) -> float:
        canvas.setFont(face.bold, 13)
        canvas.drawString(_MARGIN, height - _MARGIN - 13, face.fit(title))
        canvas.setFont(face.regular, 7)
        canvas.drawRightString(
            width - _MARGIN, _MARGIN / 2, f"printed {now.astimezone(zone):%Y-%m-%d %H:%M} · page {page}"
        )
        y = height - _MARGIN - 13 - 8 * mm
        if not table:
            return y
        x = _MARGIN
        canvas.setFont(face.bold, 8)
        for heading, col in _COLUMNS:
            canvas.drawString(x + 1, y + 2, heading)
            x += col * mm
        canvas.setLineWidth(0.8)
        canvas.line(_MARGIN, y, width - _MARGIN, y)
        return y

    y = head()
    for n, row in enumerate(rows, start=1):
        if y - _ROW < _MARGIN + 5 * mm:
            canvas.showPage()
            page += 1
            y = head()
        y -= _ROW
        x = _MARGIN
        canvas.setFont(face.regular, _CELL)
        for (_, col), text in zip(_COLUMNS, _row_cells(n, row, with_courier=not courier), strict=True):
            canvas.drawString(x + 1, y + 2.2 * mm, _clip(text, col * mm - 3, _CELL))
            x += col * mm
        canvas.setLineWidth(0.3)
        canvas.line(_MARGIN, y, width - _MARGIN, y)

    signature = 62 * mm
    if y - signature < _MARGIN:
        canvas.showPage()
        page += 1
        y = head(table=False)
    total = sum(r.pieces for r in rows)
    canvas.setFont(face.bold, 10)
    parcels = "parcel" if len(rows) == 1 else "parcels"
    summary = f"{len(rows)} {parcels}, {total} items" if rows else "No parcels were handed over on this day."
    canvas.drawString(_MARGIN, y - 9 * mm, summary)
    _signature_lines(canvas, y - 20 * mm, width)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _signature_lines(canvas: Canvas, y: float, width: float) -> None:
    """Lines to fill by hand: the courier receives, the shop hands over."""
    face = faces()
    half = (width - 2 * _MARGIN - 10 * mm) / 2
    for column, heading in enumerate(("Received by the courier", "Handed over by the shop")):
        x = _MARGIN + column * (half + 10 * mm)
        canvas.setFont(face.bold, 9)
        canvas.drawString(x, y, heading)
        canvas.setFont(face.regular, 8)
        for n, label in enumerate(("Name", "ID number", "Date and time", "Signature")):
            line_y = y - (10 + n * 10) * mm
            canvas.drawString(x, line_y + 1.5, label)
            canvas.setLineWidth(0.5)
            canvas.line(x + 24 * mm, line_y, x + half, line_y)
