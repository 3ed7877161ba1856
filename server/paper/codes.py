"""The codes on a ticket: a QR code (its text from `payload.py`) and a Code 128 barcode of the
order number.

The Code 128 carries the order number alone. Its narrowest bar is 3 dots of a 203 dpi thermal
printer (0.375 mm): bars that fall between printer dots come out uneven, and an uneven narrow
bar is the misread we saw when rendering at 200 dpi with 0.33 mm bars.
"""

from __future__ import annotations

from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

__all__ = ["BAR_MODULE", "code128_width", "draw_code128", "draw_qr"]

BAR_MODULE = 3 * inch / 203
# Quiet zone on each side of the barcode: 10 modules (the symbology's minimum).
_QUIET = 10 * BAR_MODULE


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """A QR code of `payload`, `size` points square (its 4-module quiet zone included), at (x, y)."""
    widget = QrCodeWidget(payload, barLevel="M", barBorder=4)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    drawing.drawOn(canvas, x, y)


def _barcode(value: str, height: float) -> Code128:
    return Code128(value, barWidth=BAR_MODULE, barHeight=height, quiet=1, lquiet=_QUIET, rquiet=_QUIET)


def code128_width(value: str) -> float:
    """Width in points of `value`'s barcode, quiet zones included."""
    return float(_barcode(value, 10).width)


def draw_code128(canvas: Canvas, value: str, x: float, y: float, height: float) -> None:
    """A Code 128 barcode of `value` (ASCII), its quiet zone starting at (x, y)."""
    if not value.isascii() or not value.isprintable():
        raise ValueError("Code 128 carries printable ASCII only")
    _barcode(value, height).drawOn(canvas, x, y)
