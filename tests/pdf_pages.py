"""Reading PDFs back as a person's tools would: pages rasterised to pixels, codes decoded from them.

PDFium (pypdfium2, the engine of Chrome's viewer) renders the pages — a reader independent of
reportlab, which wrote them — and zxing-cpp decodes the QR and Code 128 symbols from the pixels,
as a camera or a scanner would. Both install from PyPI with the `test` extra, so the README's test
command works on a fresh machine without Debian's poppler-utils or zbar-tools.
"""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image

__all__ = ["Decoded", "decode_pages", "page_count", "page_images", "page_sizes_mm", "page_texts"]

# A 203 dpi thermal roll printer's resolution, and an office laser's.
PRINTER_DPI = (203, 300)


@dataclass(frozen=True)
class Decoded:
    qr: list[str]
    code128: list[str]


def page_count(pdf: bytes) -> int:
    return len(pdfium.PdfDocument(pdf))


def page_sizes_mm(pdf: bytes) -> list[tuple[float, float]]:
    doc = pdfium.PdfDocument(pdf)
    return [
        (round(w * 25.4 / 72, 1), round(h * 25.4 / 72, 1))
        for w, h in (doc[i].get_size() for i in range(len(doc)))
    ]


def page_images(pdf: bytes, dpi: int) -> list[Image.Image]:
    doc = pdfium.PdfDocument(pdf)
    return [doc[i].render(scale=dpi / 72).to_pil().convert("L") for i in range(len(doc))]


def decode_pages(pdf: bytes, dpi: int) -> list[Decoded]:
    """Per page, the texts of the QR codes and Code 128 barcodes found in its pixels."""
    found = []
    for image in page_images(pdf, dpi):
        codes = zxingcpp.read_barcodes(image)
        found.append(
            Decoded(
                qr=[c.text for c in codes if c.format == zxingcpp.BarcodeFormat.QRCode],
                code128=[c.text for c in codes if c.format == zxingcpp.BarcodeFormat.Code128],
            )
        )
    return found


def page_texts(pdf: bytes) -> list[str]:
    """Per page, its text as a PDF reader extracts it (lines joined by newlines)."""
    doc = pdfium.PdfDocument(pdf)
    return [doc[i].get_textpage().get_text_range().replace("\r\n", "\n") for i in range(len(doc))]


def image_count(pdf: bytes, page: int) -> int:
    """How many raster images are placed on `page`."""
    doc = pdfium.PdfDocument(pdf)
    return sum(1 for _ in doc[page].get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE]))
