"""The ticket's typeface: DejaVu Sans when the machine has it, reportlab's own Vera otherwise.

The PDF standard fonts (Helvetica…) carry Latin-1 only; a customer's name in another script would
print as boxes. DejaVu Sans (Debian's `fonts-dejavu-core`, present wherever fontconfig is) covers
Latin, Greek, Cyrillic, Hebrew and Arabic and is embedded (subset) in the PDF, so the page prints
the same on any printer. Vera ships with reportlab and covers Latin. A character the font lacks is
printed as U+FFFD (or `?`) rather than silently left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

__all__ = ["Face", "faces"]

# Where Debian/Ubuntu, Fedora, Arch and Homebrew put DejaVu Sans (regular, bold).
_DEJAVU_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/opt/homebrew/share/fonts",
)


@dataclass(frozen=True)
class Face:
    """A registered font pair and the characters it can draw."""

    regular: str
    bold: str
    family: str
    chars: frozenset[int]
    missing: str

    def fit(self, text: str) -> str:
        """`text` with each character the font cannot draw replaced by a visible mark."""
        if all(ord(ch) in self.chars for ch in text):
            return text
        return "".join(ch if ord(ch) in self.chars else self.missing for ch in text)

    def width(self, text: str, size: float, *, bold: bool = False) -> float:
        return float(pdfmetrics.stringWidth(text, self.bold if bold else self.regular, size))


def _dejavu() -> tuple[Path, Path] | None:
    for folder in map(Path, _DEJAVU_DIRS):
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


@cache
def faces() -> Face:
    """Register the typeface once per process and describe it."""
    found = _dejavu()
    if found is not None:
        family, (regular, bold) = "DejaVu Sans", found
    else:
        family, regular, bold = "Vera", Path("Vera.ttf"), Path("VeraBd.ttf")  # on reportlab's font path
    names = ("KraftaSans", "KraftaSans-Bold")
    fonts = [TTFont(name, str(path)) for name, path in zip(names, (regular, bold), strict=True)]
    for font in fonts:
        pdfmetrics.registerFont(font)
    chars = frozenset(fonts[0].face.charToGlyph) & frozenset(fonts[1].face.charToGlyph)
    missing = "\ufffd" if 0xFFFD in chars else "?"
    return Face(names[0], names[1], family, chars, missing)
