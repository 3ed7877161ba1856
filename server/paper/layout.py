"""A page as a column of blocks: each knows its height before it is drawn.

Tickets on a roll (80 mm) are as long as their blocks; an A6 page is not, so the blocks that can
grow (items, notes) are cut to the room that is left, with a line saying how many were left out.
Text is drawn with `drawString` only: the characters, never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reportlab.pdfgen.canvas import Canvas

from server.paper.fonts import Face, faces

__all__ = ["LEADING", "Block", "Line", "gap", "lines_block", "rule", "wrap"]

LEADING = 1.25

Draw = Callable[[Canvas, float, float], None]


@dataclass(frozen=True)
class Block:
    """Something `height` points tall that draws itself below (x, top)."""

    height: float
    draw: Draw


@dataclass(frozen=True)
class Line:
    text: str
    size: float = 9
    bold: bool = False


def wrap(text: str, width: float, size: float, *, bold: bool = False, face: Face | None = None) -> list[str]:
    """`text` broken into lines no wider than `width` points: at spaces, inside a word too long."""
    face = face or faces()
    text = face.fit(text)
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if face.width(candidate, size, bold=bold) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for ch in word:
            if current and face.width(current + ch, size, bold=bold) > width:
                lines.append(current)
                current = ""
            current += ch
    if current or not lines:
        lines.append(current)
    return lines


def lines_block(lines: Sequence[Line], width: float) -> Block:
    """Lines of text, each wrapped to `width`."""
    face = faces()
    laid: list[tuple[str, Line]] = [
        (part, line) for line in lines for part in wrap(line.text, width, line.size, bold=line.bold)
    ]
    height = sum(line.size * LEADING for _, line in laid)

    def draw(canvas: Canvas, x: float, top: float) -> None:
        y = top
        for part, line in laid:
            y -= line.size * LEADING
            canvas.setFont(face.bold if line.bold else face.regular, line.size)
            # The baseline sits a fifth of the leading above the line's bottom: room for descenders.
            canvas.drawString(x, y + line.size * 0.25, part)

    return Block(height, draw)


def gap(height: float) -> Block:
    return Block(height, lambda canvas, x, top: None)


def rule(width: float, space: float) -> Block:
    def draw(canvas: Canvas, x: float, top: float) -> None:
        canvas.setLineWidth(0.5)
        canvas.line(x, top - space / 2, x + width, top - space / 2)

    return Block(space, draw)
