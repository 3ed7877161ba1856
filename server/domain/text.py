"""Rules about text the server reads, as JSON Schema patterns, so the OpenAPI description states
them; the server's own checks stay where they are (pydantic's trim + `min_length`, `_email`,
`handover.printable`). Each pattern is written for both Python's `re` and JSON Schema's regex."""

from __future__ import annotations

import unicodedata

__all__ = ["CONTROLS", "NOT_BLANK", "PY_WHITESPACE", "WHITESPACE", "printable_schema"]

# What pydantic's `strip_whitespace` (Rust's `str::trim`, Unicode White_Space) removes.
WHITESPACE = "\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
# What Python's `str.isspace` calls whitespace (also the file separators U+001C..U+001F).
PY_WHITESPACE = WHITESPACE + "\\u001c-\\u001f"
# Somewhere in the text, a character that is not whitespace (a search, not anchored).
NOT_BLANK = f"[^{WHITESPACE}]"


def _ranges(categories: tuple[str, ...]) -> str:
    # The BMP's characters of these categories as class ranges (astral ones are left out: a JSON
    # Schema regex without the u flag cannot name them). Surrogates (Cs) never reach a str from JSON.
    codes = [c for c in range(0x10000) if unicodedata.category(chr(c)) in categories]
    parts, start = [], None
    for i, code in enumerate(codes):
        if start is None:
            start = code
        if i + 1 == len(codes) or codes[i + 1] != code + 1:
            parts.append(f"\\u{start:04x}" if start == code else f"\\u{start:04x}-\\u{code:04x}")
            start = None
    return "".join(parts)


# Control (Cc) and format (Cf) characters, which `handover.printable` refuses.
CONTROLS = _ranges(("Cc", "Cf"))


def printable_schema(max_length: int) -> dict[str, object]:
    """A trimmed text of at most `max_length` characters, not blank, without control or format characters."""
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": max_length,
        "pattern": f"^[^{CONTROLS}]*[^{CONTROLS}{WHITESPACE}][^{CONTROLS}]*$",
    }
