"""Customer text made printable: what reaches paper is the characters, never an instruction.

The PDF is drawn with the canvas's string operators only (no Paragraph mini-markup, no HTML), so
`<b>`, `&amp;`, `%` or `\\) Tj` are printed as they read; reportlab escapes the PDF string itself.
What remains is characters that would steer the page rather than print: control characters
(newlines in a name would break the layout), format characters (a right-to-left override U+202E
would reverse what follows it in viewers that apply the bidi algorithm, zero-width marks hide text),
and unpaired surrogates. `plain` drops them and folds runs of whitespace into one space.
"""

from __future__ import annotations

import unicodedata
from typing import Any

__all__ = ["ascii_fold", "plain"]

_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def plain(value: Any) -> str:
    """`value` as one line of printable text ("" for None)."""
    if value is None:
        return ""
    out = []
    for ch in str(value):
        if ch.isspace():
            out.append(" ")
        elif unicodedata.category(ch) not in _DROPPED:
            out.append(ch)
    return " ".join("".join(out).split())


# Punctuation that variant labels and product names use, in the ASCII a scanner can type.
_PUNCTUATION = str.maketrans(
    {"·": "/", "•": "/", "–": "-", "—": "-", "×": "x", "“": '"', "”": '"', "‘": "'", "’": "'"}
)


def ascii_fold(value: str) -> str:
    """`value` in ASCII: accents dropped (`María` → `Maria`), other letters as `?`.

    For the QR payload: a scanner in keyboard mode types what it reads as key presses, and most
    are set up to type ASCII only.
    """
    decomposed = unicodedata.normalize("NFKD", value.translate(_PUNCTUATION))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return kept.encode("ascii", "replace").decode("ascii")
