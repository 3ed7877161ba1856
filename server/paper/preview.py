"""The design preview on a ticket: a `data:` image is drawn, anything else is printed as its text.

The server fetches nothing: an `http(s)` preview is printed as its URL (an order cannot make the
server reach into the shop's network). A `data:` image was checked when the order was placed
(PNG, JPEG or WebP, base64, at most 2 MB); here it is decoded once more, under bounds: its header
must say at most `MAX_PIXELS` (a small PNG can claim 20,000 × 20,000 and take gigabytes to decode),
and it is scaled down to what a ticket prints before it is embedded.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

__all__ = ["MAX_PIXELS", "Preview", "read_preview"]

MAX_PIXELS = 25_000_000
# 300 dpi over the largest box a ticket gives a preview (about 45 mm).
_PRINT_PIXELS = 540
_DATA = re.compile(r"^data:image/(?:png|jpeg|webp);base64,(?P<data>[A-Za-z0-9+/=\s]*)$", re.DOTALL)
_FORMATS = ("PNG", "JPEG", "WEBP")


@dataclass(frozen=True)
class Preview:
    """What the ticket shows for an item's preview: an image, or a line of text (its URL, or why
    the image is not printed)."""

    image: Image.Image | None = None
    text: str = ""


def read_preview(url: str | None) -> Preview | None:
    if not url:
        return None
    if not url.startswith("data:"):
        return Preview(text=url)
    match = _DATA.match(url)
    if match is None:
        return Preview(text="not an image this ticket can print")
    try:
        raw = base64.b64decode("".join(match["data"].split()), validate=True)
        with Image.open(io.BytesIO(raw), formats=_FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                return Preview(text=f"{image.width} × {image.height} pixels, too large to print")
            image.thumbnail((_PRINT_PIXELS, _PRINT_PIXELS))
            flat = _on_white(image)
    except Image.DecompressionBombError:
        # Pillow's own limit, far above ours, refuses at open.
        return Preview(text="too large to print")
    except (binascii.Error, ValueError, OSError, UnidentifiedImageError):
        return Preview(text="the image could not be read")
    return Preview(image=flat)


def _on_white(image: Image.Image) -> Image.Image:
    # Transparent designs print on white paper: flatten the alpha here rather than hand a mask to the PDF.
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, "white")
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")
